import type { Knex } from 'knex';

/**
 * Where the original of an image document is kept and what it was. An image (JPEG, PNG, TIFF...) is
 * filed as a PDF made from it (`storage_path`), with the original beside it (`original_path`, same
 * stem, its own extension). `media_type` is what the dropped file was (`application/pdf`, `image/png`...);
 * both are null on rows written before this migration.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.text('original_path').nullable();
    t.string('media_type', 100).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  // Plain DROP COLUMN (SQLite ≥ 3.35, PostgreSQL): knex's SQLite fallback rebuilds the table, which
  // would drop the full-text triggers of 0002.
  await knex.raw('ALTER TABLE documents DROP COLUMN media_type');
  await knex.raw('ALTER TABLE documents DROP COLUMN original_path');
}
