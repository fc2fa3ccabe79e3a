import type { Knex } from 'knex';
import type { FullTextSearch } from './vector-index.js';
import { applyFilter } from './filter.js';
import { tokenize } from './embedder.js';
import { highlightSnippet } from './snippet.js';
import { TABLES } from './migrations.js';
import { SqlRunner } from './sql-runner.js';

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
  await knex.raw(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${TABLE} USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')`,
  );
  const sql = new SqlRunner(knex);
  const addMany = async (rows: { id: number; title: string; text: string }[]): Promise<void> => {
    if (sql.raw) {
      // Two statements prepared once per connection (knex would prepare two per document).
      await sql.session((s) =>
        s.transaction(() => {
          for (const r of rows) {
            s.run(`DELETE FROM ${TABLE} WHERE rowid = ?`, [r.id]);
            s.run(`INSERT INTO ${TABLE} (rowid, title, body) VALUES (?, ?, ?)`, [r.id, r.title, r.text]);
          }
        }),
      );
      return;
    }
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
      // Exact terms first (cheap: no prefix expansion); prefix terms only when that finds fewer
      // than `limit` documents (partial words, plurals).
      const rank = async (match: string) => {
        // Rank with bm25 only, then snippet the returned rows from their bodies (rowid lookups):
        // snippet() in the ranking query runs for every match, and MATCH + rowid IN re-runs the
        // query per row.
        const q = knex(TABLE)
          .join({ d: TABLES.docs }, 'd.doc_id', `${TABLE}.rowid`)
          .whereRaw(`${TABLE} MATCH ?`, [match])
          .select('d.doc_id as id', knex.raw(`-bm25(${TABLE}, 3.0, 1.0) AS score`));
        applyFilter(q, filter, 'd');
        return sql.select<{ id: number | string; score: number }>(q.orderBy('score', 'desc').limit(limit));
      };
      const terms = tokens.map((t) => `"${t.replace(/"/g, '')}"`);
      let rows = await rank(terms.join(' '));
      if (rows.length < limit) {
        const prefixed = await rank(terms.map((t) => `${t}*`).join(' '));
        if (prefixed.length > rows.length) rows = prefixed;
      }
      if (rows.length === 0) return [];
      const bodies = await sql.select<{ id: number | string; body: string }>(
        knex(TABLE)
          .select('rowid as id', 'body')
          .whereIn(
            'rowid',
            rows.map((r) => Number(r.id)),
          ),
      );
      const byId = new Map(bodies.map((r) => [Number(r.id), r.body]));
      return rows.map((r) => ({
        id: Number(r.id),
        score: Number(r.score),
        snippet: highlightSnippet(byId.get(Number(r.id)) ?? '', query),
      }));
    },
  };
}
