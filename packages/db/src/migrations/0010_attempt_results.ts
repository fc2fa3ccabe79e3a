import type { Knex } from 'knex';

/**
 * Every extraction result is kept (issue 12: `reprocess` keeps every earlier result): `extraction_attempts.result`
 * holds the metadata an attempt produced (null for a failed attempt and for attempts from before this migration).
 * `prompt_version` (since 0001) is now filled in by the pipeline. Independent of any other migration after 0008.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('extraction_attempts', (t) => {
    t.jsonb('result').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect === 'postgresql') {
    await knex.schema.alterTable('extraction_attempts', (t) => {
      t.dropColumn('result');
    });
    return;
  }
  // SQLite ≥ 3.35 drops a column in place (both drivers bundle a newer SQLite); knex's own dropColumn rebuilds the table.
  await knex.raw('ALTER TABLE extraction_attempts DROP COLUMN result');
}
