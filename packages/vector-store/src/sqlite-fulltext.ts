import type { Knex } from 'knex';
import type { FullTextSearch } from './vector-index.js';
import { applyFilter } from './filter.js';
import { tokenize } from './embedder.js';
import { TABLES } from './migrations.js';

/** A stand-alone FTS5 full-text index (for apps without `@autod/db`, tests and the benchmark). */
export interface Fts5FullText {
  /** Add or replace a document's text. */
  add(id: number, title: string, text: string): Promise<void>;
  addMany(rows: { id: number; title: string; text: string }[]): Promise<void>;
  /** bm25 search filtered through `autod_vec_docs` (the vector index's attribute rows). */
  search: FullTextSearch;
}

const TABLE = 'autod_vec_fts';

/** Create (if needed) an FTS5 table `autod_vec_fts` on a SQLite `knex` and return its search function. */
export async function createFts5FullText(knex: Knex): Promise<Fts5FullText> {
  await knex.raw(`CREATE VIRTUAL TABLE IF NOT EXISTS ${TABLE} USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')`);
  const addMany = async (rows: { id: number; title: string; text: string }[]): Promise<void> => {
    await knex.transaction(async (trx) => {
      for (const r of rows) {
        await trx(TABLE).where('rowid', r.id).delete();
        await trx(TABLE).insert({ rowid: r.id, title: r.title, body: r.text });
      }
    });
  };
  return {
    addMany,
    add: (id, title, text) => addMany([{ id, title, text }]),
    search: async (query, limit, filter) => {
      const tokens = tokenize(query);
      if (tokens.length === 0) return [];
      const match = tokens.map((t) => `"${t.replace(/"/g, '')}"*`).join(' ');
      const q = knex(TABLE)
        .join({ d: TABLES.docs }, 'd.doc_id', `${TABLE}.rowid`)
        .whereRaw(`${TABLE} MATCH ?`, [match])
        .select(
          'd.doc_id as id',
          knex.raw(`-bm25(${TABLE}, 3.0, 1.0) AS score`),
          knex.raw(`snippet(${TABLE}, -1, '[', ']', '…', 16) AS snippet`),
        );
      applyFilter(q, filter, 'd');
      const rows = (await q.orderBy('score', 'desc').limit(limit)) as { id: number | string; score: number; snippet: string }[];
      return rows.map((r) => ({ id: Number(r.id), score: Number(r.score), snippet: r.snippet }));
    },
  };
}
