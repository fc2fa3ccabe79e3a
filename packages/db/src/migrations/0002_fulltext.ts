import type { Knex } from 'knex';

/** Columns of the full-text index, in bm25 weight order (see documents.ts). */
export const FTS_COLUMNS = ['title', 'issuer', 'doc_type', 'category', 'summary', 'text_content'] as const;

const cols = FTS_COLUMNS.join(', ');
const newCols = FTS_COLUMNS.map((c) => `new.${c}`).join(', ');
const oldCols = FTS_COLUMNS.map((c) => `old.${c}`).join(', ');

/**
 * Full-text index.
 * - SQLite: an FTS5 external-content table over `documents`, kept in sync by triggers (so every
 *   write path, including deletes, updates it in the same transaction).
 * - PostgreSQL: a generated, stored `tsvector` column with a GIN index.
 * Both use a language-neutral tokenizer (`unicode61` / `simple`): documents come in many languages.
 */
export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw(`
      ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(issuer, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(doc_type, '') || ' ' || coalesce(category, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(summary, '')), 'C') ||
        setweight(to_tsvector('simple', left(coalesce(text_content, ''), 200000)), 'D')
      ) STORED`);
    await knex.raw('CREATE INDEX documents_search_idx ON documents USING GIN (search_vector)');
    return;
  }
  await knex.raw(
    `CREATE VIRTUAL TABLE documents_fts USING fts5(${cols}, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`,
  );
  await knex.raw(`CREATE TRIGGER documents_fts_ai AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, ${cols}) VALUES (new.id, ${newCols});
  END`);
  await knex.raw(`CREATE TRIGGER documents_fts_ad AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, ${cols}) VALUES ('delete', old.id, ${oldCols});
  END`);
  await knex.raw(`CREATE TRIGGER documents_fts_au AFTER UPDATE OF ${cols} ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, ${cols}) VALUES ('delete', old.id, ${oldCols});
    INSERT INTO documents_fts(rowid, ${cols}) VALUES (new.id, ${newCols});
  END`);
  await knex.raw(`INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')`);
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('DROP INDEX IF EXISTS documents_search_idx');
    await knex.raw('ALTER TABLE documents DROP COLUMN IF EXISTS search_vector');
    return;
  }
  await knex.raw('DROP TRIGGER IF EXISTS documents_fts_au');
  await knex.raw('DROP TRIGGER IF EXISTS documents_fts_ad');
  await knex.raw('DROP TRIGGER IF EXISTS documents_fts_ai');
  await knex.raw('DROP TABLE IF EXISTS documents_fts');
}

function isPostgres(knex: Knex): boolean {
  return (knex.client as { dialect?: string }).dialect === 'postgresql';
}
