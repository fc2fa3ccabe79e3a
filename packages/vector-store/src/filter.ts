import type { Knex } from 'knex';

/** Filters on the extracted fields (same names and semantics as `@autod/db`'s DocumentFilter). */
export interface SearchFilter {
  category?: string;
  docType?: string;
  /** Case-insensitive "contains". */
  issuer?: string;
  /** Inclusive lower bound on the primary date (YYYY-MM-DD). */
  from?: string;
  /** Inclusive upper bound on the primary date (YYYY-MM-DD). */
  to?: string;
  minAmount?: number;
  maxAmount?: number;
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** True when at least one filter field is set. */
export function hasFilter(f: SearchFilter | undefined): f is SearchFilter {
  if (!f) return false;
  return Object.values(f).some((v) => v !== undefined && v !== '');
}

/** Apply `f` to a query over `autod_vec_docs` aliased `alias`. */
export function applyFilter(q: Knex.QueryBuilder, f: SearchFilter | undefined, alias: string): void {
  if (!f) return;
  const c = (name: string): string => `${alias}.${name}`;
  if (f.category !== undefined && f.category !== '') q.where(c('category'), f.category);
  if (f.docType !== undefined && f.docType !== '') q.where(c('doc_type'), f.docType);
  if (f.issuer !== undefined && f.issuer !== '') {
    q.whereRaw(`?? LIKE ? ESCAPE '\\'`, [c('issuer_lc'), `%${escapeLike(f.issuer.toLowerCase())}%`]);
  }
  if (f.from !== undefined && f.from !== '') q.where(c('primary_date'), '>=', f.from);
  if (f.to !== undefined && f.to !== '') q.where(c('primary_date'), '<=', f.to);
  if (f.minAmount !== undefined) q.where(c('total_amount'), '>=', f.minAmount);
  if (f.maxAmount !== undefined) q.where(c('total_amount'), '<=', f.maxAmount);
}
