import type { DocumentFilterDefinition, FilterValues } from '@autod/core';
import type { Knex } from 'knex';
import { escapeLike } from './context.js';

/**
 * The SQL of a document filter (SQLite and PostgreSQL alike), derived from its definition: `eq` is `column = value`,
 * `contains` a case-insensitive `LIKE '%value%'` (wildcards in the value are literal), `gte`/`lte` inclusive bounds.
 * Keys the definition does not know are ignored; an empty text matches everything.
 */
export function applyDocumentFilter(
  q: Knex.QueryBuilder,
  definition: DocumentFilterDefinition,
  filter: FilterValues,
  table: string,
): void {
  for (const p of definition.parameters) {
    const value = filter[p.key];
    if (value === undefined) continue;
    const column = `${table}.${p.column}`;
    switch (p.operator) {
      case 'eq':
        q.where(column, value);
        break;
      case 'contains':
        if (value !== '')
          q.whereRaw(`lower(??) LIKE ? ESCAPE '\\'`, [column, `%${escapeLike(String(value).toLowerCase())}%`]);
        break;
      case 'gte':
        q.where(column, '>=', value);
        break;
      case 'lte':
        q.where(column, '<=', value);
        break;
    }
  }
}
