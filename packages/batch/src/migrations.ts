import { prepareMigrationTables, withMigrationRetry, type Database } from '@autod/db';
import { errorFor, isAutodError, isDatabaseCorrupt, isDiskFull, toAutodError } from '@autod/errors';

/** knex's bookkeeping table for this package (separate from `@autod/db`'s). */
export const BATCH_MIGRATIONS_TABLE = 'autod_batch_migrations';

type Knex = Database['knex'];
type MigratorConfig = NonNullable<Parameters<Knex['migrate']['latest']>[0]>;

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

interface NamedMigration {
  readonly name: string;
  readonly migration: Migration;
}

const m0001: Migration = {
  async up(knex) {
    await knex.schema.createTable('batches', (t) => {
      t.string('id', 40).primary();
      t.string('mode', 20).notNullable();
      t.string('status', 24).notNullable();
      t.text('inputs').notNullable(); // JSON array of paths
      t.text('options').notNullable(); // JSON object
      t.text('openai_batch_ids').notNullable().defaultTo('[]'); // JSON array
      t.integer('total').notNullable().defaultTo(0);
      t.double('estimated_cost_usd').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('finished_at').nullable();
      t.index(['created_at'], 'batches_created_at_idx');
    });
    await knex.schema.createTable('batch_items', (t) => {
      t.increments('id').primary();
      t.string('batch_id', 40).notNullable().references('id').inTable('batches').onDelete('CASCADE');
      t.text('path').notNullable();
      t.string('sha256', 64).nullable();
      t.string('status', 16).notNullable();
      t.integer('document_id').nullable();
      t.text('error').nullable(); // JSON { code, message }
      t.integer('attempts').notNullable().defaultTo(0);
      t.double('cost_usd').notNullable().defaultTo(0);
      t.string('openai_batch_id', 128).nullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['batch_id', 'path'], { indexName: 'batch_items_batch_path_unique' });
      t.index(['batch_id', 'status'], 'batch_items_batch_status_idx');
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('batch_items');
    await knex.schema.dropTableIfExists('batches');
  },
};

/** Every migration of the batch tables, in order. */
export const BATCH_MIGRATIONS: readonly NamedMigration[] = [{ name: '0001_batches', migration: m0001 }];

const source: NonNullable<MigratorConfig['migrationSource']> = {
  getMigrations: async () => [...BATCH_MIGRATIONS],
  getMigrationName: (m: NamedMigration) => m.name,
  getMigration: async (m: NamedMigration) => m.migration,
};

/**
 * Create/upgrade the `batches` and `batch_items` tables (SQLite and PostgreSQL). Safe to call from many processes
 * at once: a lost race for knex's migration lock (or for creating the bookkeeping table) is retried.
 */
export async function migrateBatchTables(db: Database, attempts = 20): Promise<string[]> {
  try {
    return await withMigrationRetry(async () => {
      await prepareMigrationTables(db.knex, BATCH_MIGRATIONS_TABLE);
      const [, names] = (await db.knex.migrate.latest({
        migrationSource: source,
        tableName: BATCH_MIGRATIONS_TABLE,
      })) as [number, string[]];
      return names;
    }, attempts);
  } catch (error) {
    // The lost race's own error (withMigrationRetry wraps it in DB_UNAVAILABLE after the last attempt).
    const last =
      isAutodError(error) && error.code === 'DB_UNAVAILABLE' && error.cause !== undefined ? error.cause : error;
    // A damaged database or a full disk says so (DB_CORRUPT / DISK_FULL) rather than "unavailable".
    if (isDatabaseCorrupt(last) || isDiskFull(last)) throw toAutodError(last);
    throw errorFor('DB_UNAVAILABLE', 'Could not create the batch tables; run the command again.', { cause: last });
  }
}

/** The batch tables' migrations and whether each is applied (creates knex's bookkeeping table when missing). */
export async function batchMigrationStatus(db: Database): Promise<{ name: string; applied: boolean }[]> {
  await prepareMigrationTables(db.knex, BATCH_MIGRATIONS_TABLE);
  const [completed] = (await db.knex.migrate.list({ migrationSource: source, tableName: BATCH_MIGRATIONS_TABLE })) as [
    ({ name: string } | string)[],
    unknown[],
  ];
  const applied = new Set(completed.map((c) => (typeof c === 'string' ? c : c.name)));
  return BATCH_MIGRATIONS.map((m) => ({ name: m.name, applied: applied.has(m.name) }));
}

/** Undo the batch tables (tests, `migrate down`). */
export async function rollbackBatchTables(db: Database): Promise<void> {
  await prepareMigrationTables(db.knex, BATCH_MIGRATIONS_TABLE);
  await db.knex.migrate.rollback({ migrationSource: source, tableName: BATCH_MIGRATIONS_TABLE }, true);
}
