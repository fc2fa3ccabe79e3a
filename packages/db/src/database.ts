import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorFor, isAutodError, isDatabaseCorrupt, isDiskFull, toAutodError } from '@autod/errors';
import knexFactory, { type Knex } from 'knex';
import { DOCUMENT_FILTER, type DocumentFilterDefinition } from '@autod/core';
import { AttemptRepository } from './attempts.js';
import { AuditRepository } from './audit.js';
import { CorrectionRepository } from './corrections.js';
import type { Dialect, RepoContext } from './context.js';
import { DocumentRepository } from './documents.js';
import { DuplicateRepository } from './duplicates.js';
import { SessionRepository } from './sessions.js';
import { SpendRepository } from './spend.js';
import { MIGRATIONS, MIGRATIONS_TABLE, migrationSource } from './migrations/index.js';
import { sqliteClient } from './sqlite-client.js';
import { prepareMigrationTables } from './migration-tables.js';
import { hotStatement, StatementRunner } from './statements.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './url.js';

const PING = hotStatement('ping', 'SELECT 1');

/** Structured logger (pino-compatible subset). */
export interface DatabaseLogger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
}

export type SqliteDriver = 'better-sqlite3' | 'sqlite3';

/**
 * better-sqlite3 is the default SQLite driver: it ships prebuilt binaries (no compiler needed),
 * inserts rows several times faster than sqlite3, and bundles a newer SQLite. sqlite3 is
 * supported because the owner named it.
 */
export const DEFAULT_SQLITE_DRIVER: SqliteDriver = 'better-sqlite3';

/** How long a SQLite connection waits for another process's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** SQLITE_BUSY (and its extended codes) from either driver. */
function isSqliteBusy(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) || /database is locked/i.test(error.message);
}

export interface DatabaseOptions {
  /** A file path, `sqlite:<path>`, `:memory:` or `postgres://…`. */
  url: string;
  /** Default `better-sqlite3`. */
  sqliteDriver?: SqliteDriver | undefined;
  /** PostgreSQL pool size (SQLite always uses one connection per process). Default 0..10. */
  pool?: { min?: number; max?: number };
  logger?: DatabaseLogger;
  /** Epoch-ms clock for timestamps (tests). Default `Date.now`. */
  clock?: () => number;
  /** The fields documents are filtered by (list, search, matching). Default `DOCUMENT_FILTER` of `@autod/core`. */
  documentFilter?: DocumentFilterDefinition;
}

export interface MigrationStatus {
  name: string;
  applied: boolean;
}

export interface Migrator {
  /** Apply pending migrations; returns their names. */
  latest(): Promise<string[]>;
  /** Undo the last batch (or everything with `all`); returns the names undone. */
  rollback(all?: boolean): Promise<string[]>;
  status(): Promise<MigrationStatus[]>;
}

export interface Database {
  readonly knex: Knex;
  readonly dialect: Dialect;
  readonly documents: DocumentRepository;
  readonly attempts: AttemptRepository;
  readonly audit: AuditRepository;
  readonly duplicates: DuplicateRepository;
  readonly corrections: CorrectionRepository;
  /** Web sign-in sessions (hashed ids). */
  readonly sessions: SessionRepository;
  /** The spend ledger: paid upstream calls, reserved before and settled after (budget caps, `autod costs`). */
  readonly spend: SpendRepository;
  readonly migrate: Migrator;
  /** The fields `documents.list`, `search` and `matching` filter by (the HTTP query and CLI flags derive from it). */
  readonly documentFilter: DocumentFilterDefinition;
  /** `SELECT 1`; throws UpstreamError DB_UNAVAILABLE when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Run `fn` in one transaction (BEGIN IMMEDIATE on SQLite); the repositories it gets are bound to it. */
  transaction<T>(fn: (trx: Database) => Promise<T>): Promise<T>;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_READONLY',
  '3D000', // database does not exist
  '28000', // invalid authorization
  '28P01', // password authentication failed
  '53300', // too many connections
  '57P01', // admin shutdown
  '57P02',
  '57P03', // cannot connect now
]);

/** True for errors that mean "the database cannot be reached/used right now" (vs. a bad query). */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (CONNECTION_ERROR_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  if (e.name === 'KnexTimeoutError') return true;
  if (typeof e.message === 'string' && /Connection terminated|connect ECONNREFUSED|database is locked/i.test(e.message))
    return true;
  if (Array.isArray(e.errors)) return e.errors.some(isConnectionError); // AggregateError (IPv4 + IPv6)
  return false;
}

/** PostgreSQL's "database does not exist" (SQLSTATE 3D000): the server runs, the database is to be created. */
function missingDatabaseHint(error: unknown, url: string): string {
  if ((error as { code?: unknown }).code !== '3D000') return '';
  let name = '';
  try {
    name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    // not a URL: no name to suggest
  }
  return name
    ? ` (create it first: createdb ${JSON.stringify(name)}, or CREATE DATABASE ${JSON.stringify(name)}; then autod migrate)`
    : ' (create it first, then autod migrate)';
}

function translate(error: unknown, url: string): unknown {
  if (isAutodError(error)) return error;
  // A damaged file (DB_CORRUPT) or a full disk (DISK_FULL) is not "unreachable": say what it is.
  if (isDatabaseCorrupt(error) || isDiskFull(error)) {
    const translated = toAutodError(error);
    const redacted = redactDatabaseUrl(url);
    return errorFor(translated.code, `${translated.message.split(url).join(redacted)} (database ${redacted})`, {
      cause: error,
      details: { url: redacted },
    });
  }
  if (!isConnectionError(error)) return error;
  const redacted = redactDatabaseUrl(url);
  const raw = error instanceof Error ? error.message : String(error);
  const detail = raw.split(url).join(redacted) + missingDatabaseHint(error, url);
  return errorFor('DB_UNAVAILABLE', `Cannot use the database at ${redacted}: ${detail || 'connection failed'}.`, {
    cause: error,
    details: { url: redacted },
  });
}

/** Wrap every async method so connection failures surface as DB_UNAVAILABLE (URL redacted). */
function guarded<T extends object>(target: T, url: string): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(t, args);
        return result instanceof Promise
          ? result.catch((e: unknown) => {
              throw translate(e, url);
            })
          : result;
      };
    },
  });
}

class KnexDatabase implements Database {
  private readonly ctx: RepoContext;
  /** Repositories, made on first use (a transaction's `Database` mostly uses two or three). */
  private readonly repos = new Map<string, object>();

  constructor(
    readonly knex: Knex,
    readonly dialect: Dialect,
    private readonly url: string,
    private readonly clock: () => number,
    private readonly root: Knex,
    private readonly logger: DatabaseLogger | undefined,
    readonly documentFilter: DocumentFilterDefinition,
  ) {
    this.ctx = { knex, dialect, now: clock, sql: new StatementRunner(knex, dialect) };
  }

  private repo<T extends object>(name: string, make: (ctx: RepoContext) => T): T {
    let r = this.repos.get(name) as T | undefined;
    if (!r) this.repos.set(name, (r = guarded(make(this.ctx), this.url)));
    return r;
  }

  get documents(): DocumentRepository {
    return this.repo('documents', (ctx) => new DocumentRepository(ctx, this.documentFilter));
  }
  get attempts(): AttemptRepository {
    return this.repo('attempts', (ctx) => new AttemptRepository(ctx));
  }
  get audit(): AuditRepository {
    return this.repo('audit', (ctx) => new AuditRepository(ctx));
  }
  get duplicates(): DuplicateRepository {
    return this.repo('duplicates', (ctx) => new DuplicateRepository(ctx));
  }
  get corrections(): CorrectionRepository {
    return this.repo('corrections', (ctx) => new CorrectionRepository(ctx));
  }
  get sessions(): SessionRepository {
    return this.repo('sessions', (ctx) => new SessionRepository(ctx));
  }
  get spend(): SpendRepository {
    return this.repo('spend', (ctx) => new SpendRepository(ctx));
  }
  get migrate(): Migrator {
    return this.repo('migrate', () => this.migrator());
  }

  async ping(): Promise<void> {
    try {
      // Health probes may come a thousand times a second: a hot statement, prepared once per connection.
      await this.ctx.sql.rows(PING, []);
    } catch (error) {
      const t = translate(error, this.url);
      throw isAutodError(t)
        ? t
        : errorFor('DB_UNAVAILABLE', `Cannot use the database at ${redactDatabaseUrl(this.url)}.`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.knex === this.root) await this.root.destroy();
  }

  async transaction<T>(fn: (trx: Database) => Promise<T>): Promise<T> {
    try {
      return await this.knex.transaction(async (trx) =>
        fn(new KnexDatabase(trx, this.dialect, this.url, this.clock, this.root, this.logger, this.documentFilter)),
      );
    } catch (error) {
      throw translate(error, this.url);
    }
  }

  private migrator(): Migrator {
    const config: Knex.MigratorConfig = { migrationSource, tableName: MIGRATIONS_TABLE };
    const log = (names: string[], msg: string): string[] => {
      if (names.length > 0) this.logger?.debug({ migrations: names }, msg);
      return names;
    };
    return {
      latest: async () => {
        await prepareMigrationTables(this.root, MIGRATIONS_TABLE);
        const [, names] = (await this.root.migrate.latest(config)) as [number, string[]];
        return log(names, 'migrations applied');
      },
      rollback: async (all = false) => {
        await prepareMigrationTables(this.root, MIGRATIONS_TABLE);
        const [, names] = (await this.root.migrate.rollback(config, all)) as [number, string[]];
        return log(names, 'migrations rolled back');
      },
      status: async () => {
        await prepareMigrationTables(this.root, MIGRATIONS_TABLE);
        const [completed] = (await this.root.migrate.list(config)) as [({ name: string } | string)[], unknown[]];
        const applied = new Set(completed.map((c) => (typeof c === 'string' ? c : c.name)));
        const known = MIGRATIONS.map((m) => ({ name: m.name, applied: applied.has(m.name) }));
        const unknown = [...applied]
          .filter((n) => !MIGRATIONS.some((m) => m.name === n))
          .map((name) => ({ name, applied: true }));
        return [...known, ...unknown];
      },
    };
  }
}

/**
 * Open a database. SQLite: one connection per process, WAL journal, busy_timeout 5000,
 * foreign keys on, `BEGIN IMMEDIATE` transactions. PostgreSQL: a pg pool. The connection is
 * checked before this resolves (DB_UNAVAILABLE when it cannot be reached). Migrations are
 * not applied here: call `db.migrate.latest()`.
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const parsed = parseDatabaseUrl(options.url);
  let config: Knex.Config;
  if (parsed.dialect === 'sqlite') {
    const driver = options.sqliteDriver ?? DEFAULT_SQLITE_DRIVER;
    if (!parsed.memory) {
      try {
        mkdirSync(dirname(parsed.filename), { recursive: true });
      } catch (cause) {
        throw errorFor('DB_UNAVAILABLE', `Cannot create the directory for the database file ${parsed.filename}.`, {
          cause,
        });
      }
    }
    config = {
      client: sqliteClient(driver),
      connection: { filename: parsed.filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => {
          const pragmas = [
            `PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
            'PRAGMA journal_mode = WAL',
            'PRAGMA synchronous = NORMAL',
            'PRAGMA foreign_keys = ON',
          ];
          const apply = (callback: (err: Error | null) => void): void => {
            if (driver === 'better-sqlite3') {
              try {
                const db = conn as { pragma(sql: string): unknown };
                for (const p of pragmas) db.pragma(p.slice('PRAGMA '.length));
                callback(null);
              } catch (error) {
                callback(error as Error);
              }
            } else {
              (conn as { exec(sql: string, cb: (err: Error | null) => void): void }).exec(
                pragmas.join(';\n') + ';',
                callback,
              );
            }
          };
          // A database file just created is still in rollback-journal mode: two processes opening it at once can
          // deadlock switching it to WAL, and SQLite answers one of them SQLITE_BUSY at once (no busy timeout helps
          // there). The other finishes the switch within milliseconds; try again until the busy timeout.
          const started = Date.now();
          const attempt = (): void =>
            apply((err) => {
              if (err && isSqliteBusy(err) && Date.now() - started < SQLITE_BUSY_TIMEOUT_MS) {
                setTimeout(attempt, 10 + Math.random() * 40);
                return;
              }
              done(err, conn);
            });
          attempt();
        },
      },
    };
  } else {
    config = {
      client: 'pg',
      connection: { connectionString: parsed.connectionString },
      pool: { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10 },
      acquireConnectionTimeout: 10_000,
    };
  }
  if (!options.logger) {
    // Without a logger knex prints warnings (e.g. "Acquire connection error" with a stack) to the console, on top of
    // the error the caller gets anyway (DB_CORRUPT, DB_UNAVAILABLE): keep the CLI's output to the one clear message.
    const quiet = (): void => undefined;
    config.log = { warn: quiet, error: quiet, deprecate: quiet, debug: quiet };
  } else {
    const logger = options.logger;
    const text = (m: unknown): string =>
      m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m);
    const redact = (m: unknown): string => text(m).split(options.url).join(redactDatabaseUrl(options.url));
    config.log = {
      warn: (m: unknown) => logger.warn({ component: 'knex', detail: redact(m) }, 'database warning'),
      error: (m: unknown) => logger.warn({ component: 'knex', detail: redact(m) }, 'database error'),
      deprecate: (m: unknown) => logger.debug({ component: 'knex', detail: redact(m) }, 'knex deprecation'),
      debug: (m: unknown) => logger.debug({ component: 'knex', detail: redact(m) }, 'knex debug'),
    };
  }
  const knex = knexFactory(config);
  const dialect: Dialect = parsed.dialect;
  const db = new KnexDatabase(
    knex,
    dialect,
    options.url,
    options.clock ?? Date.now,
    knex,
    options.logger,
    options.documentFilter ?? DOCUMENT_FILTER,
  );
  try {
    await db.ping();
  } catch (error) {
    await knex.destroy().catch(() => undefined);
    throw error;
  }
  return db;
}
