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

/** The transaction statements (every transaction runs two of them), kept prepared per better-sqlite3 connection. */
const TRANSACTION_SQL = new Set(['BEGIN IMMEDIATE;', 'COMMIT;', 'ROLLBACK']);

interface PreparedRun {
  run(): { changes: number; lastInsertRowid: number | bigint };
}

const transactionStatements = new WeakMap<object, Map<string, PreparedRun>>();

function withImmediateTransactions(Base: AnyCtor, driver: 'better-sqlite3' | 'sqlite3'): AnyCtor {
  return class extends Base {
    transaction(...args: unknown[]): object {
      return new ImmediateTransaction(this, ...args);
    }

    _query(connection: unknown, obj: { sql?: string; response?: unknown; context?: unknown }): Promise<unknown> {
      if (driver !== 'better-sqlite3' || !obj.sql || !TRANSACTION_SQL.has(obj.sql) || typeof connection !== 'object')
        return (Base.prototype as { _query: (this: unknown, c: unknown, o: unknown) => Promise<unknown> })._query.call(
          this,
          connection,
          obj,
        );
      // knex prepares a new statement for each query; BEGIN and COMMIT are the same every time.
      const conn = connection as { prepare(sql: string): PreparedRun };
      let cache = transactionStatements.get(conn);
      if (!cache) transactionStatements.set(conn, (cache = new Map()));
      let stmt = cache.get(obj.sql);
      if (!stmt) cache.set(obj.sql, (stmt = conn.prepare(obj.sql)));
      try {
        const response = stmt.run();
        obj.response = response;
        obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
        return Promise.resolve(obj);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };
}

/** The knex `client` option for a SQLite driver (a Client class, accepted by knex). */
export function sqliteClient(driver: 'better-sqlite3' | 'sqlite3'): NonNullable<Knex.Config['client']> {
  return withImmediateTransactions(
    driver === 'better-sqlite3' ? BetterSqlite3Client : Sqlite3Client,
    driver,
  ) as unknown as NonNullable<Knex.Config['client']>;
}
