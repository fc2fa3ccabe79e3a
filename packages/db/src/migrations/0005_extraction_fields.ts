import type { Knex } from 'knex';

/**
 * Schema 1.1 columns (issue 13): the customer, invoice number and due date as filterable columns, and the review
 * flag a document gets when a key field's confidence is under the review threshold.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.string('customer', 512).nullable();
    t.string('invoice_number', 256).nullable();
    t.string('due_date', 10).nullable();
    t.boolean('needs_review').notNullable().defaultTo(false);
    t.jsonb('review_reasons').nullable();
  });
  await knex.schema.alterTable('documents', (t) => {
    t.index(['customer'], 'documents_customer_idx');
    t.index(['invoice_number'], 'documents_invoice_number_idx');
    t.index(['due_date'], 'documents_due_date_idx');
    t.index(['needs_review', 'status'], 'documents_needs_review_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.dropIndex(['customer'], 'documents_customer_idx');
    t.dropIndex(['invoice_number'], 'documents_invoice_number_idx');
    t.dropIndex(['due_date'], 'documents_due_date_idx');
    t.dropIndex(['needs_review', 'status'], 'documents_needs_review_idx');
  });
  await knex.schema.alterTable('documents', (t) => {
    t.dropColumn('review_reasons');
    t.dropColumn('needs_review');
    t.dropColumn('due_date');
    t.dropColumn('invoice_number');
    t.dropColumn('customer');
  });
}
