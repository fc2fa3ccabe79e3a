import { useCompiledParsers } from './zod-setup.js'; // first: before any schema is parsed
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadConfig, type Config } from '@autod/config';
import type { DocumentFilterDefinition } from '@autod/core';
import type { Database } from '@autod/db';
import type { Runtime } from '@autod/runtime';
import type { Output } from './output.js';

/** Global options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  dataDir?: string;
  dbUrl?: string;
  provider?: string;
  logLevel?: string;
  verbose?: boolean;
}

/** Global flags that stand for a setting (validated by the settings table like the env var). */
const GLOBAL_FLAGS: readonly [keyof GlobalOptions, string, string][] = [
  ['dataDir', 'AUTOD_DATA_DIR', '--data-dir'],
  ['dbUrl', 'AUTOD_DB_URL', '--db-url'],
  ['provider', 'AUTOD_PROVIDER', '--provider'],
  ['logLevel', 'AUTOD_LOG_LEVEL', '--log-level'],
];

export interface ContextOptions {
  /** Settings that replace the env (below the flags), e.g. the demo's database. */
  overrides?: Record<string, unknown>;
  /** The fields documents are filtered by (default `DOCUMENT_FILTER` of `@autod/core`). */
  documentFilter?: DocumentFilterDefinition;
}

/**
 * What a command gets: parsed options, output, and on demand the config, the database alone (read-only commands) or
 * the whole runtime. Each is loaded when first asked for, so a command pays only for what it uses.
 */
export class CommandContext {
  private runtime: Runtime | undefined;
  private database: Database | undefined;
  private cachedConfig: Config | undefined;
  /** Command flags standing for a setting: env var -> [flag, value]. */
  private readonly flags = new Map<string, [string, unknown]>();
  private readonly extraOverrides: Record<string, unknown>;
  readonly documentFilter: DocumentFilterDefinition | undefined;

  constructor(
    readonly options: GlobalOptions,
    readonly out: Output,
    readonly env: Record<string, string | undefined>,
    readonly cwd: string,
    contextOptions: ContextOptions = {},
  ) {
    this.extraOverrides = contextOptions.overrides ?? {};
    this.documentFilter = contextOptions.documentFilter;
  }

  /**
   * Command flags that stand for a setting, e.g. `{ AUTOD_CONCURRENCY: ['--concurrency', o.concurrency] }`: they become
   * the highest-priority overrides and go through the same validation as the setting, so a bad value is `CFG_INVALID`
   * (exit 78) naming the flag. Unset values (`undefined`) are ignored. Call before `config()` / `open()`.
   */
  useFlags(flags: Record<string, readonly [flag: string, value: unknown]>): void {
    for (const [env, [flag, value]] of Object.entries(flags)) {
      if (value !== undefined) this.flags.set(env, [flag, value]);
    }
    this.cachedConfig = undefined;
  }

  /** Flag overrides, keyed by the env var they replace (highest precedence). */
  overrides(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const o: Record<string, unknown> = { ...this.extraOverrides, ...extra };
    for (const [key, env] of GLOBAL_FLAGS) {
      const value = this.options[key];
      if (value !== undefined && value !== false) o[env] = value;
    }
    if (!this.options.logLevel && this.options.verbose) o['AUTOD_LOG_LEVEL'] = 'debug';
    for (const [env, [, value]] of this.flags) o[env] = value;
    return o;
  }

  /** How each override is named in error messages: the flag it came from. */
  private overrideNames(): Record<string, string> {
    const names: Record<string, string> = {};
    for (const [key, env, flag] of GLOBAL_FLAGS) if (this.options[key] !== undefined) names[env] = flag;
    for (const [env, [flag]] of this.flags) names[env] = flag;
    return names;
  }

  config(extra: Record<string, unknown> = {}): Config {
    if (!this.cachedConfig || Object.keys(extra).length > 0) {
      this.cachedConfig = loadConfig({
        env: this.env,
        cwd: this.cwd,
        overrides: this.overrides(extra),
        overrideNames: this.overrideNames(),
        ...(this.options.config ? { configFile: this.options.config } : {}),
      });
    }
    return this.cachedConfig;
  }

  /** The whole runtime (pipeline, extractor, vector index, alerts...), migrated unless told otherwise. */
  async open(options: { migrate?: boolean; config?: Config } = {}): Promise<Runtime> {
    if (!this.runtime) {
      useCompiledParsers();
      const { createRuntime } = await import('@autod/runtime');
      this.runtime = await createRuntime(options.config ?? this.config(), {
        migrate: options.migrate ?? true,
        // Human output owns stdout; logs go to stderr (JSON), quiet unless asked.
        logDestination: process.stderr,
        quietLogs: !this.options.verbose && !this.options.logLevel,
        ...(this.documentFilter ? { documentFilter: this.documentFilter } : {}),
      });
    }
    return this.runtime;
  }

  /**
   * Only the database, without the services on top: what the read-only commands (`list`, `show`, `export`, `costs`)
   * need, and `autod migrate` (a fresh database has none of the tables the rest of the runtime reads). With
   * `migrate`, the documents tables are brought up to date first. The runtime's database when it is open. Closed by
   * `close()`.
   */
  async openDatabase(options: { migrate?: boolean } = {}): Promise<Database> {
    if (this.runtime) return this.runtime.db;
    if (!this.database) {
      const config = this.config();
      if (config.db.client === 'sqlite' && config.db.filename && config.db.filename !== ':memory:') {
        await mkdir(dirname(config.db.filename), { recursive: true });
      }
      const { createDatabase, withMigrationRetry } = await import('@autod/db');
      const db = await createDatabase({
        url: config.db.url,
        sqliteDriver: config.db.sqliteDriver,
        ...(this.documentFilter ? { documentFilter: this.documentFilter } : {}),
      });
      try {
        // Reading which migrations are applied writes nothing; `latest()` takes knex's migration lock (two write
        // transactions), so a read-only command runs it only when something is pending (a fresh or older database).
        if (options.migrate && (await withMigrationRetry(() => db.migrate.status())).some((m) => !m.applied))
          await withMigrationRetry(() => db.migrate.latest());
      } catch (error) {
        await db.close().catch(() => undefined);
        throw error;
      }
      this.database = db;
    }
    return this.database;
  }

  async close(): Promise<void> {
    try {
      await this.runtime?.close();
    } finally {
      this.runtime = undefined;
      await this.database?.close();
      this.database = undefined;
    }
  }
}
