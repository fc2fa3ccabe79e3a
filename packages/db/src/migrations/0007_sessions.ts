import type { Knex } from 'knex';

/**
 * Web sign-in sessions (issue 14: the web app). Only a SHA-256 of the session id is stored, so a copy of the
 * database cannot be used to sign in; rows past `expires_at` are refused and purged.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('web_sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.string('user_agent', 255).nullable();
    t.index(['expires_at'], 'web_sessions_expires_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('web_sessions');
}
