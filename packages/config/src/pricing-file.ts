import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ModelPriceEntry } from './settings.js';

const price = (what: string) =>
  z
    .number({ error: `${what} must be a number (USD per 1M tokens)` })
    .min(0, { error: `${what} must be at least 0` })
    .max(10_000, { error: `${what} must be at most 10000 (USD per 1M tokens; is it per token?)` });

/** One entry of AUTOD_PRICING_FILE: USD per 1M tokens; `cachedInput` defaults to `input`. */
const entrySchema = z.strictObject({
  input: price('input'),
  cachedInput: price('cachedInput').optional(),
  output: price('output'),
  /** When the price was last checked (informational). */
  checkedOn: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'checkedOn must be a date YYYY-MM-DD' })
    .optional(),
  /** Where the price comes from (informational). */
  source: z.string().optional(),
});

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.path.length === 0)
    return 'must be an object {"input": …, "output": …} (optional: cachedInput, checkedOn, source)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${issue.path.join('.')} is missing`;
  return issue.message;
}

export type PricingFileResult = { table: Record<string, ModelPriceEntry> } | { problems: string[] };

/**
 * Reads and validates a pricing file: one JSON object whose keys are model names and whose values are
 * `{ input, cachedInput?, output }` in USD per 1M tokens (`$schema` is ignored). Never throws: every problem is
 * returned as one line naming the model and the field.
 */
export function readPricingFile(file: string): PricingFileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problems: [code === 'ENOENT' ? `file does not exist (${file})` : `cannot read ${file} (${code ?? 'error'})`],
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problems: [`${file} is not valid JSON (${(error as Error).message})`] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      problems: [`${file} must hold one JSON object: {"model": {"input": 1.25, "cachedInput": 0.125, "output": 10}}`],
    };
  }
  const table: Record<string, ModelPriceEntry> = {};
  const problems: string[] = [];
  for (const [model, value] of Object.entries(parsed)) {
    if (model === '$schema') continue;
    if (model.trim() === '') {
      problems.push(`${file}: a model name must not be empty`);
      continue;
    }
    const entry = entrySchema.safeParse(value, { reportInput: true });
    if (!entry.success) {
      const issues = [...new Set(entry.error.issues.map(issueText))];
      problems.push(`${file}: "${model}": ${issues.join('; ')}`);
      continue;
    }
    const e = entry.data;
    table[model] = { input: e.input, cachedInput: e.cachedInput ?? e.input, output: e.output };
  }
  if (problems.length === 0 && Object.keys(table).length === 0) problems.push(`${file} names no model`);
  return problems.length > 0 ? { problems } : { table };
}
