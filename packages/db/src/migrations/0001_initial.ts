import type { Knex } from 'knex';

/**
 * Core tables. Every timestamp is epoch milliseconds in a BIGINT column (UTC, identical on
 * SQLite and PostgreSQL, cheap to compare for leases).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => {
    t.increments('id').primary();
    t.string('sha256', 64).notNullable().unique({ indexName: 'documents_sha256_unique' });
    t.string('file_name', 512).notNullable();
    t.text('source_path').notNullable();
    t.bigInteger('size_bytes').notNullable();
    t.integer('page_count').nullable();
    t.enu('status', ['processing', 'completed', 'failed'], {
      useNative: false,
      enumName: 'document_status',
    }).notNullable();
    t.string('claim_owner', 255).nullable();
    t.bigInteger('lease_expires_at').nullable();
    t.text('storage_path').nullable();
    t.bigInteger('filed_at').nullable();
    t.string('provider', 32).nullable();
    t.string('model', 128).nullable();
    t.jsonb('metadata').nullable();
    t.text('text_content').nullable();
    t.string('category', 128).nullable();
    t.string('subcategory', 128).nullable();
    t.string('doc_type', 256).nullable();
    t.string('issuer', 512).nullable();
    t.string('primary_date', 10).nullable();
    t.double('total_amount').nullable();
    t.string('currency', 3).nullable();
    t.string('title', 512).nullable();
    t.text('summary').nullable();
    t.double('confidence').nullable();
    t.string('error_code', 64).nullable();
    t.text('error_message').nullable();
    t.integer('attempt_count').notNullable().defaultTo(0);
    t.integer('near_duplicate_of').nullable().references('id').inTable('documents').onDelete('SET NULL');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['status', 'lease_expires_at'], 'documents_status_lease_idx');
    t.index(['status', 'filed_at'], 'documents_status_filed_idx');
    t.index(['category'], 'documents_category_idx');
    t.index(['subcategory'], 'documents_subcategory_idx');
    t.index(['doc_type'], 'documents_doc_type_idx');
    t.index(['issuer'], 'documents_issuer_idx');
    t.index(['primary_date'], 'documents_primary_date_idx');
    t.index(['total_amount'], 'documents_total_amount_idx');
    t.index(['created_at'], 'documents_created_at_idx');
  });

  await knex.schema.createTable('duplicates', (t) => {
    t.increments('id').primary();
    t.integer('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.string('sha256', 64).notNullable();
    t.string('file_name', 512).notNullable();
    t.text('source_path').notNullable();
    t.text('stored_path').nullable();
    t.bigInteger('detected_at').notNullable();
    t.index(['document_id'], 'duplicates_document_idx');
  });

  await knex.schema.createTable('extraction_attempts', (t) => {
    t.increments('id').primary();
    t.integer('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.integer('attempt_no').notNullable();
    t.string('provider', 32).notNullable();
    t.string('model', 128).notNullable();
    t.enu('status', ['succeeded', 'failed'], { useNative: false, enumName: 'attempt_status' }).notNullable();
    t.bigInteger('input_tokens').notNullable().defaultTo(0);
    t.bigInteger('cached_input_tokens').notNullable().defaultTo(0);
    t.bigInteger('output_tokens').notNullable().defaultTo(0);
    t.bigInteger('reasoning_tokens').notNullable().defaultTo(0);
    t.double('cost_usd').notNullable().defaultTo(0);
    t.integer('latency_ms').notNullable().defaultTo(0);
    t.string('error_code', 64).nullable();
    t.text('error_message').nullable();
    t.string('prompt_version', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['document_id', 'attempt_no'], { indexName: 'extraction_attempts_doc_no_unique' });
    t.index(['created_at'], 'extraction_attempts_created_at_idx');
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    t.bigInteger('at').notNullable();
    t.string('actor', 255).notNullable();
    t.string('action', 128).notNullable();
    t.integer('document_id').nullable().references('id').inTable('documents').onDelete('SET NULL');
    t.jsonb('details').nullable();
    t.index(['document_id'], 'audit_log_document_idx');
    t.index(['at'], 'audit_log_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_log');
  await knex.schema.dropTableIfExists('extraction_attempts');
  await knex.schema.dropTableIfExists('duplicates');
  await knex.schema.dropTableIfExists('documents');
}
