import type { Knex } from 'knex';

/**
 * Corrections and acceptances a person made to a document's extracted fields (issue 13: review). Append-only:
 * the latest row per field is the value in force; `reprocess` re-applies them unless forced.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('document_corrections', (t) => {
    t.increments('id').primary();
    t.integer('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.enu('kind', ['correct', 'accept'], { useNative: false, enumName: 'correction_kind' }).notNullable();
    /** The corrected field; null for an acceptance of the whole extraction. */
    t.string('field', 64).nullable();
    t.jsonb('value').nullable();
    t.jsonb('previous').nullable();
    t.string('actor', 255).notNullable();
    t.text('note').nullable();
    t.bigInteger('at').notNullable();
    t.index(['document_id', 'id'], 'document_corrections_doc_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('document_corrections');
}
