import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<void>;
}

const loaded = new WeakSet<object>();

/**
 * Load the sqlite-vec extension (prebuilt `vec0` from npm) into the SQLite connection(s) of
 * `knex` (better-sqlite3 or sqlite3 driver). Returns false when it cannot be loaded (no prebuilt
 * binary for this platform, extensions disabled): callers then compute distances in process.
 */
export async function loadSqliteVec(knex: Knex): Promise<boolean> {
  let path: string;
  try {
    path = (require('sqlite-vec') as { getLoadablePath(): string }).getLoadablePath();
  } catch {
    return false;
  }
  const client = knex.client as unknown as PoolClient;
  let conn: unknown;
  try {
    conn = await client.acquireConnection();
  } catch {
    return false;
  }
  try {
    if (typeof conn !== 'object' || conn === null) return false;
    if (loaded.has(conn)) return true;
    const c = conn as {
      loadExtension?: (file: string, cb?: (err: Error | null) => void) => unknown;
      pragma?: unknown;
    };
    if (typeof c.loadExtension !== 'function') return false;
    if (typeof c.pragma === 'function') {
      c.loadExtension(path); // better-sqlite3: synchronous
    } else {
      await new Promise<void>((resolve, reject) => {
        c.loadExtension?.(path, (err) => (err ? reject(err) : resolve()));
      });
    }
    loaded.add(conn);
    return true;
  } catch {
    return false;
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * Raise SQLite's page cache (`cacheSizeMb`, MB) and memory-mapped I/O window (`mmapSizeMb`) on the
 * connection; 0 leaves a setting alone. Failures are ignored (the settings only affect speed).
 */
export async function tuneSqlite(knex: Knex, cacheSizeMb: number, mmapSizeMb: number): Promise<void> {
  try {
    if (cacheSizeMb > 0) await knex.raw(`PRAGMA cache_size = -${Math.round(cacheSizeMb * 1024)}`);
    if (mmapSizeMb > 0) await knex.raw(`PRAGMA mmap_size = ${Math.round(mmapSizeMb * 1048576)}`);
  } catch {
    // not fatal
  }
}
