import type { Knex } from 'knex';

/**
 * The spend ledger (issue 12): one row per paid upstream call (an extraction or repair answer, an embeddings call, an
 * OpenAI Batch API submission). A row is written `pending` with the call's estimated cost *before* the call, so the
 * daily/monthly budget check of every process sees the calls in flight of every other process; it is `settled` with
 * the billed usage afterwards, or `released` (nothing billed) when the call failed without an answer. A process killed
 * mid-call leaves its row `pending`: it counts at its estimate.
 *
 * The attempts recorded before this migration are copied in as settled rows, so `autod costs` keeps its history.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('spend_ledger', (t) => {
    t.increments('id').primary();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('settled_at').nullable();
    t.string('status', 16).notNullable().checkIn(['pending', 'settled', 'released'], 'spend_ledger_status_check');
    t.string('provider', 32).notNullable();
    t.string('operation', 64).notNullable();
    t.string('model', 128).notNullable();
    t.boolean('batch').notNullable().defaultTo(false);
    /** The document (its SHA-256) the call was for, when it was for one. */
    t.string('source', 128).nullable();
    /** Who reserved it (host:pid), for a human reading a pending row. */
    t.string('owner', 255).nullable();
    /** A handle to settle the row by later, e.g. `batch:<OpenAI batch id>`. */
    t.string('ref', 255).nullable();
    t.double('estimated_usd').notNullable().defaultTo(0);
    t.double('cost_usd').notNullable().defaultTo(0);
    t.bigInteger('input_tokens').notNullable().defaultTo(0);
    t.bigInteger('cached_input_tokens').notNullable().defaultTo(0);
    t.bigInteger('output_tokens').notNullable().defaultTo(0);
    t.bigInteger('reasoning_tokens').notNullable().defaultTo(0);
    t.index(['created_at'], 'spend_ledger_created_idx');
    t.index(['status'], 'spend_ledger_status_idx');
    t.index(['ref'], 'spend_ledger_ref_idx');
  });
  await knex.raw(
    `INSERT INTO spend_ledger (created_at, settled_at, status, provider, operation, model, batch, source, ref,
       estimated_usd, cost_usd, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens)
     SELECT a.created_at, a.created_at, 'settled', a.provider, 'responses.create', a.model, ?, d.sha256,
       ${concat(knex, "'attempt:'", 'a.id')}, a.cost_usd, a.cost_usd, a.input_tokens, a.cached_input_tokens,
       a.output_tokens, a.reasoning_tokens
     FROM extraction_attempts a LEFT JOIN documents d ON d.id = a.document_id
     WHERE a.cost_usd > 0 OR a.input_tokens > 0 OR a.output_tokens > 0`,
    [false],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('spend_ledger');
}

function concat(knex: Knex, a: string, b: string): string {
  const pg = (knex.client as { dialect?: string }).dialect === 'postgresql';
  return pg ? `${a} || CAST(${b} AS text)` : `${a} || ${b}`;
}
