import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadConfig, type Config } from '@autod/config';
import { createDatabase, type Database } from '@autod/db';
import { createRuntime, type Runtime } from '@autod/runtime';
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

/** What a command gets: parsed options, output, and lazily the config and the runtime. */
export class CommandContext {
  private runtime: Runtime | undefined;
  private database: Database | undefined;
  private cachedConfig: Config | undefined;

  constructor(
    readonly options: GlobalOptions,
    readonly out: Output,
    readonly env: Record<string, string | undefined>,
    readonly cwd: string,
    private readonly extraOverrides: Record<string, unknown> = {},
  ) {}

  /** Flag overrides, keyed by the env var they replace (highest precedence). */
  overrides(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const o: Record<string, unknown> = { ...this.extraOverrides, ...extra };
    if (this.options.dataDir) o['AUTOD_DATA_DIR'] = this.options.dataDir;
    if (this.options.dbUrl) o['AUTOD_DB_URL'] = this.options.dbUrl;
    if (this.options.provider) o['AUTOD_PROVIDER'] = this.options.provider;
    if (this.options.logLevel) o['AUTOD_LOG_LEVEL'] = this.options.logLevel;
    else if (this.options.verbose) o['AUTOD_LOG_LEVEL'] = 'debug';
    return o;
  }

  config(extra: Record<string, unknown> = {}): Config {
    if (!this.cachedConfig || Object.keys(extra).length > 0) {
      this.cachedConfig = loadConfig({
        env: this.env,
        cwd: this.cwd,
        overrides: this.overrides(extra),
        ...(this.options.config ? { configFile: this.options.config } : {}),
      });
    }
    return this.cachedConfig;
  }

  async open(options: { migrate?: boolean; config?: Config } = {}): Promise<Runtime> {
    if (!this.runtime) {
      this.runtime = await createRuntime(options.config ?? this.config(), {
        migrate: options.migrate ?? true,
        // Human output owns stdout; logs go to stderr (JSON), quiet unless asked.
        logDestination: process.stderr,
        quietLogs: !this.options.verbose && !this.options.logLevel,
      });
    }
    return this.runtime;
  }

  /**
   * Only the database, not migrated and without the services on top (`autod migrate`: the vector index and the
   * pipeline need tables a fresh database does not have yet). Closed by `close()`.
   */
  async openDatabase(): Promise<Database> {
    if (!this.database) {
      const config = this.config();
      if (config.db.client === 'sqlite' && config.db.filename && config.db.filename !== ':memory:') {
        await mkdir(dirname(config.db.filename), { recursive: true });
      }
      this.database = await createDatabase({ url: config.db.url, sqliteDriver: config.db.sqliteDriver });
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
