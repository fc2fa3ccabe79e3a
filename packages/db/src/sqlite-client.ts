import { createRequire } from 'node:module';
import type { Knex } from 'knex';

/**
 * knex clients for SQLite whose transactions start with `BEGIN IMMEDIATE`.
 *
 * knex opens SQLite transactions with a plain (deferred) `BEGIN`. In WAL mode a deferred
 * transaction that reads first and writes later fails with SQLITE_BUSY as soon as another
 * process committed in between — the busy timeout cannot help because its snapshot is stale.
 * `BEGIN IMMEDIATE` takes the write lock up front, so a second process simply waits
 * (busy_timeout) and then sees the committed data. Single statements outside a transaction take
 * the write lock when they start and are safe as they are.
 */
const require = createRequire(import.meta.url);

type AnyCtor = new (...args: unknown[]) => object;

interface TransactionLike {
  query(conn: unknown, sql: string): Promise<unknown>;
}

const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as AnyCtor;
const Sqlite3Client = require('knex/lib/dialects/sqlite3/index.js') as AnyCtor;
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as AnyCtor;

class ImmediateTransaction extends SqliteTransaction {
  begin(this: TransactionLike, conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

function withImmediateTransactions(Base: AnyCtor): AnyCtor {
  return class extends Base {
    transaction(...args: unknown[]): object {
      return new ImmediateTransaction(this, ...args);
    }
  };
}

/** The knex `client` option for a SQLite driver (a Client class, accepted by knex). */
export function sqliteClient(driver: 'better-sqlite3' | 'sqlite3'): NonNullable<Knex.Config['client']> {
  return withImmediateTransactions(
    driver === 'better-sqlite3' ? BetterSqlite3Client : Sqlite3Client,
  ) as unknown as NonNullable<Knex.Config['client']>;
}
