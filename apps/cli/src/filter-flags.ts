import { Option, type Command } from 'commander';
import type { DocumentFilter, DocumentFilterDefinition, FilterParameter } from '@autod/core';
import { flagsError } from './flags.js';

/** The value placeholder a flag shows in help. */
function placeholder(p: FilterParameter): string {
  if (p.type === 'date') return 'date';
  if (p.type === 'number') return 'n';
  if (p.type === 'enum') return p.key;
  return p.operator === 'contains' ? 'text' : 'value';
}

/**
 * The document-filter options of `list`, `export` and `search`, one per key of the filter definition: `--status
 * <status>`, `--from <date>`..., and for a boolean key a switch and its negation (`--needs-review`,
 * `--no-needs-review`). Help texts are the definition's descriptions.
 */
export function addFilterOptions(cmd: Command, definition: DocumentFilterDefinition): void {
  for (const p of definition.parameters) {
    if (p.type === 'boolean') {
      cmd.addOption(new Option(p.flag, p.description));
      cmd.addOption(new Option(`--no-${p.flag.slice(2)}`, `the opposite of ${p.flag}`));
    } else {
      cmd.addOption(new Option(`${p.flag} <${placeholder(p)}>`, p.description));
    }
  }
}

/**
 * The filter the options of {@link addFilterOptions} give, validated by the definition's query schema (the same one
 * `GET /v1/documents` uses): every bad value is reported at once as `CFG_INVALID` (exit 78) naming its flag.
 */
export function filterFromOptions(cmd: Command, definition: DocumentFilterDefinition): DocumentFilter {
  const raw: Record<string, string> = {};
  for (const p of definition.parameters) {
    const option = cmd.options.find((o) => o.long === p.flag);
    const value: unknown = option ? cmd.getOptionValue(option.attributeName()) : undefined;
    if (typeof value === 'string' || typeof value === 'boolean') raw[p.key] = String(value);
  }
  if (Object.keys(raw).length === 0) return {}; // nothing to validate (and the schema is not even built)
  const parsed = definition.querySchema.safeParse(raw);
  if (!parsed.success) {
    throw flagsError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '');
        return { flag: definition.parameter(key)?.flag ?? key, message: issue.message, got: raw[key] };
      }),
    );
  }
  return definition.pick(parsed.data);
}
