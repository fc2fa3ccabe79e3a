import {
  DOCUMENT_FILTER,
  VECTOR_STORE_ATTRIBUTE_KEYS,
  type DocumentFilter,
  type DocumentFilterDefinition,
  type FilterParameter,
  type FilterValue,
} from '@autod/core';
import type { Knex } from 'knex';

/**
 * A document filter (`DocumentFilter` of `@autod/core`). The index applies the keys whose column it carries (see
 * {@link INDEX_COLUMNS} and {@link openAIFilterKeys}); the app checks the others (`SearchOptions.accept`).
 */
export type SearchFilter = DocumentFilter;

/**
 * The `documents` columns the local index keeps on its attribute rows (`autod_vec_docs`), and the column that holds
 * each. `issuer` is kept lower-cased for its "contains" match.
 */
export const INDEX_COLUMNS: Readonly<Record<string, string>> = {
  category: 'category',
  doc_type: 'doc_type',
  issuer: 'issuer_lc',
  primary_date: 'primary_date',
  total_amount: 'total_amount',
};

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The parameters of `definition` the local index can apply, with a value in `f`. */
function indexed(
  f: SearchFilter | undefined,
  definition: DocumentFilterDefinition,
): [FilterParameter, string, FilterValue][] {
  if (!f) return [];
  const out: [FilterParameter, string, FilterValue][] = [];
  for (const p of definition.parameters) {
    const column = INDEX_COLUMNS[p.column];
    const value = f[p.key];
    if (column === undefined || value === undefined || value === '') continue;
    out.push([p, column, value]);
  }
  return out;
}

/** True when `f` sets at least one key the local index applies. */
export function hasFilter(
  f: SearchFilter | undefined,
  definition: DocumentFilterDefinition = DOCUMENT_FILTER,
): f is SearchFilter {
  return indexed(f, definition).length > 0;
}

/** Apply the keys of `f` the index carries to a query over `autod_vec_docs` aliased `alias` (derived from the definition). */
export function applyFilter(
  q: Knex.QueryBuilder,
  f: SearchFilter | undefined,
  alias: string,
  definition: DocumentFilterDefinition = DOCUMENT_FILTER,
): void {
  for (const [p, name, value] of indexed(f, definition)) {
    const column = `${alias}.${name}`;
    if (p.operator === 'eq') q.where(column, value);
    else if (p.operator === 'gte') q.where(column, '>=', value);
    else if (p.operator === 'lte') q.where(column, '<=', value);
    else q.whereRaw(`?? LIKE ? ESCAPE '\\'`, [column, `%${escapeLike(String(value).toLowerCase())}%`]);
  }
}

const OPENAI_ATTRIBUTES: ReadonlySet<string> = new Set(VECTOR_STORE_ATTRIBUTE_KEYS);

/**
 * The filter keys sent to OpenAI as attribute filters: those on a column OpenAI files carry as an attribute
 * (`VECTOR_STORE_ATTRIBUTE_KEYS`: category, subcategory, doc_type, issuer, primary_date, total_amount, currency...)
 * whose match OpenAI can express (equal, at least, at most). A "contains" key on a carried attribute (issuer) is
 * checked on the hits' attributes instead; the rest by the app.
 */
export function openAIFilterKeys(definition: DocumentFilterDefinition = DOCUMENT_FILTER): string[] {
  return definition.parameters
    .filter((p) => OPENAI_ATTRIBUTES.has(p.column) && p.operator !== 'contains')
    .map((p) => p.key);
}

/** An OpenAI vector-store attribute filter: one comparison, or several joined with `and`. */
export type OpenAIAttributeFilter =
  | { type: 'eq' | 'gte' | 'lte'; key: string; value: string | number | boolean }
  | { type: 'and'; filters: { type: 'eq' | 'gte' | 'lte'; key: string; value: string | number | boolean }[] };

/** SearchFilter → OpenAI comparison/compound filter (`undefined` when there is nothing to filter). */
export function toOpenAIFilters(
  f: SearchFilter | undefined,
  definition: DocumentFilterDefinition = DOCUMENT_FILTER,
): OpenAIAttributeFilter | undefined {
  if (!f) return undefined;
  const parts: { type: 'eq' | 'gte' | 'lte'; key: string; value: string | number | boolean }[] = [];
  for (const p of definition.parameters) {
    const value = f[p.key];
    if (value === undefined || value === '' || !OPENAI_ATTRIBUTES.has(p.column) || p.operator === 'contains') continue;
    parts.push({ type: p.operator, key: p.column, value });
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { type: 'and', filters: parts };
}

/**
 * The "contains" keys of `f` on attributes OpenAI files carry, as a test of a hit's attributes (OpenAI filters have
 * no substring match).
 */
export function openAIHitFilter(
  f: SearchFilter | undefined,
  definition: DocumentFilterDefinition = DOCUMENT_FILTER,
): (attributes: Readonly<Record<string, unknown>>) => boolean {
  const checks: [string, string][] = [];
  for (const p of definition.parameters) {
    const value = f?.[p.key];
    if (value === undefined || value === '' || p.operator !== 'contains' || !OPENAI_ATTRIBUTES.has(p.column)) continue;
    checks.push([p.column, String(value).toLowerCase()]);
  }
  return (attributes) =>
    checks.every(([key, needle]) => {
      const v = attributes[key];
      return typeof v === 'string' && v.toLowerCase().includes(needle);
    });
}
