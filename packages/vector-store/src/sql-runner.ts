import type { Knex } from 'knex';

/** A write statement (portable SQL, `?` placeholders) another write transaction runs along with its own. */
export interface SqlWrite {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The part of a better-sqlite3 `Statement` used here. */
export interface RawStatement {
  readonly reader: boolean;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}

/** The part of a better-sqlite3 `Database` used here. */
export interface RawDatabase {
  prepare(sql: string): RawStatement;
  readonly inTransaction: boolean;
}

interface PoolClient {
  driverName?: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<void>;
}

/** Prepared statements kept per connection (at most this many; the least recently used is dropped). */
const MAX_STATEMENTS = 200;
const caches = new WeakMap<object, Map<string, RawStatement>>();

/**
 * Statements of one better-sqlite3 connection, prepared once and reused.
 *
 * Why: knex prepares a new better-sqlite3 statement for every query and never finalizes it; the
 * native `sqlite3_stmt` (5–60 KB each, more for wide inserts) is freed only after V8 has collected
 * the JS object **and** Node-API has run its finalizer, which happens on a later turn of the event
 * loop. A loop of awaited better-sqlite3 queries resolves through microtasks only, so during a bulk
 * build no finalizer runs and every statement stays allocated (≈ 45 KB per indexed document: the
 * 4.2 GB at 100k), and what is freed later stays in the malloc heap. See the README ("Memory").
 */
export class SqliteSession {
  readonly #cache: Map<string, RawStatement>;

  constructor(readonly db: RawDatabase) {
    let cache = caches.get(db);
    if (!cache) caches.set(db, (cache = new Map()));
    this.#cache = cache;
  }

  /** The cached statement for `sql` (prepared on first use). */
  statement(sql: string): RawStatement {
    const cache = this.#cache;
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql);
      cache.set(sql, stmt);
      return stmt;
    }
    stmt = this.db.prepare(sql);
    cache.set(sql, stmt);
    if (cache.size > MAX_STATEMENTS) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    return stmt;
  }

  all<T>(sql: string, params: readonly unknown[] = []): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  get<T>(sql: string, params: readonly unknown[] = []): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  run(sql: string, params: readonly unknown[] = []): { changes: number; lastInsertRowid: number } {
    const r = this.statement(sql).run(...params);
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Run a knex query builder (compiled to SQL here) through the statement cache; rows for readers. */
  query<T>(builder: Knex.QueryBuilder | Knex.Raw): T[] {
    const { sql, bindings } = builder.toSQL().toNative();
    const stmt = this.statement(sql);
    if (stmt.reader) return stmt.all(...bindings) as T[];
    stmt.run(...bindings);
    return [];
  }

  /** `fn` in one `BEGIN IMMEDIATE` transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    this.run('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.run('COMMIT');
      return out;
    } catch (error) {
      if (this.db.inTransaction) this.run('ROLLBACK');
      throw error;
    }
  }
}

/**
 * Runs this package's SQL on the app's knex. On better-sqlite3 the raw connection is taken from
 * knex's pool (so it waits for a running knex transaction like any knex query) and statements are
 * prepared once per connection ({@link SqliteSession}); on PostgreSQL and the `sqlite3` driver
 * queries go through knex as they are.
 */
export class SqlRunner {
  /** True when statements run on the raw better-sqlite3 connection. */
  readonly raw: boolean;

  constructor(readonly knex: Knex) {
    this.raw = (knex.client as PoolClient).driverName === 'better-sqlite3';
  }

  /** `fn` with the raw connection (better-sqlite3 only; callers check {@link raw}). */
  async session<T>(fn: (s: SqliteSession) => T): Promise<T> {
    const client = this.knex.client as unknown as PoolClient;
    const conn = await client.acquireConnection();
    try {
      return fn(new SqliteSession(conn as RawDatabase));
    } finally {
      await client.releaseConnection(conn);
    }
  }

  /**
   * Rows of a fixed SQL text (`?` placeholders, portable SQL): prepared once on better-sqlite3, through `knex.raw`
   * elsewhere. For the statements every indexed document runs, where building them with knex costs more than running
   * them.
   */
  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.raw) return this.session((s) => s.all<T>(sql, params));
    const result: unknown = await this.knex.raw(sql, [...params] as Knex.RawBinding[]);
    return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as T[];
  }

  /** Rows of a SELECT built with knex: through the statement cache on better-sqlite3. */
  async select<T>(builder: Knex.QueryBuilder): Promise<T[]> {
    if (!this.raw) return (await builder) as T[];
    return this.session((s) => s.query<T>(builder));
  }
}
