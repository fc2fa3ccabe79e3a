import type { Knex } from 'knex';
import type { Dialect } from './context.js';

type Raw = Record<string, unknown>;

/**
 * A statement of a hot path (every document runs it): one SQL text for both dialects — `?` placeholders,
 * double-quoted identifiers, `RETURNING` on every write (the rows returned are the rows changed) — prepared once per
 * connection and reused. `name` is the PostgreSQL prepared-statement name (unique per text).
 */
export interface HotStatement {
  readonly name: string;
  readonly sql: string;
}

/** Declare a hot statement; the PostgreSQL text (`$1, $2…`) is made here, once. */
export function hotStatement(name: string, sql: string): HotStatement & { readonly pgText: string } {
  let n = 0;
  return { name: `autod_${name}`, sql, pgText: sql.replace(/\?/g, () => `$${++n}`) };
}

/** The part of a better-sqlite3 `Statement` used here. */
interface SqliteStatement {
  all(...params: unknown[]): unknown[];
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Raw[] }>;
}

interface PoolClient {
  driverName?: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown>;
}

/** Prepared statements of each better-sqlite3 connection (a handful: the hot statements only). */
const sqliteCaches = new WeakMap<object, Map<string, SqliteStatement>>();

function sqliteStatement(conn: SqliteConnection, stmt: HotStatement): SqliteStatement {
  let cache = sqliteCaches.get(conn);
  if (!cache) sqliteCaches.set(conn, (cache = new Map()));
  let prepared = cache.get(stmt.name);
  if (!prepared) cache.set(stmt.name, (prepared = conn.prepare(stmt.sql)));
  return prepared;
}

/**
 * Runs hot statements on the raw driver connection, taken from knex's pool (so it waits for a running knex
 * transaction like any knex query) or, inside a transaction, the transaction's own connection: better-sqlite3 keeps
 * each statement prepared per connection; PostgreSQL prepares it once per connection by name (pg's named
 * statements). knex builds and prepares a new statement for every query (≈ 0.25 ms each on SQLite). The `sqlite3`
 * driver runs them through `knex.raw` (prepared each time, as before).
 */
export class StatementRunner {
  private readonly driver: 'better-sqlite3' | 'pg' | 'other';

  constructor(
    private readonly knex: Knex,
    dialect: Dialect,
  ) {
    const name = (knex.client as PoolClient).driverName;
    this.driver = dialect === 'postgres' ? 'pg' : name === 'better-sqlite3' ? 'better-sqlite3' : 'other';
  }

  /** The rows the statement returns (for a write: the rows it changed, as its `RETURNING` lists them). */
  async rows(stmt: HotStatement & { readonly pgText: string }, params: readonly unknown[]): Promise<Raw[]> {
    if (this.driver === 'other') return this.knex.raw<Raw[]>(stmt.sql, params as Knex.RawBinding[]);
    const client = this.knex.client as PoolClient;
    const conn = await client.acquireConnection();
    try {
      if (this.driver === 'pg') {
        const result = await (conn as PgConnection).query({
          name: stmt.name,
          text: stmt.pgText,
          values: params.map((v) => (v === undefined ? null : v)),
        });
        return result.rows;
      }
      return sqliteStatement(conn as SqliteConnection, stmt).all(...params.map(sqliteValue)) as Raw[];
    } finally {
      await client.releaseConnection(conn);
    }
  }
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans are 0/1 (as knex binds them). */
function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.valueOf();
  return value;
}
