import type { Knex } from 'knex';

/**
 * Create a knex migrator's bookkeeping tables — `tableName` and `<tableName>_lock`, holding exactly one lock row, with
 * the columns knex gives them — in one transaction other processes wait for (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
 * transaction-scoped advisory lock), before the migrator runs; knex then finds them and creates nothing.
 *
 * Why: knex creates them check-then-insert, outside any lock, so two processes starting on a fresh database at once
 * can both insert a lock row. With two rows knex's lock (`UPDATE … SET is_locked = 1 WHERE is_locked = 0` must change
 * exactly one row) can never be taken again: every later migration run fails with "Failed to get lock for
 * migration". A database already in that state is repaired here: the rows after the first go (no process can hold
 * the lock while there are several, so none of them is held).
 */
export async function prepareMigrationTables(knex: Knex, tableName: string): Promise<void> {
  const lockTable = `${tableName}_lock`;
  await knex.transaction(async (trx) => {
    if ((knex.client as { dialect?: string }).dialect === 'postgresql') {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`autod:${tableName}`]);
    }
    if (!(await trx.schema.hasTable(tableName))) {
      await trx.schema.createTable(tableName, (t) => {
        t.increments();
        t.string('name');
        t.integer('batch');
        t.timestamp('migration_time');
      });
    }
    if (!(await trx.schema.hasTable(lockTable))) {
      await trx.schema.createTable(lockTable, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
    }
    const rows = (await trx(lockTable).select('index').orderBy('index')) as { index: number | string }[];
    if (rows.length === 0) await trx(lockTable).insert({ is_locked: 0 });
    else if (rows.length > 1) await trx(lockTable).where('index', '>', Number(rows[0]?.index)).delete();
  });
}
