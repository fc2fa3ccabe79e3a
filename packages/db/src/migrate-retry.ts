import { errorFor, retry } from '@autod/errors';

/**
 * A lost race between processes migrating at once: knex's migration lock is held (or SQLite's database lock),
 * or another process created the migrations table (or a type, an index, a column) first. The last happens with the
 * migrations that run outside a transaction: knex lists the pending ones before it takes its lock and does not list
 * them again once it has it, so a process that waited for another one's batch runs a migration that batch already
 * applied (SQLite: "duplicate column name"; PostgreSQL: "already exists"). Its own transaction rolls back, and the
 * retry lists what is still pending.
 */
export function isMigrationRace(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /lock|already exists|duplicate key|duplicate column|unique constraint/i.test(message);
}

/**
 * Run a migration step, retrying while another process holds knex's migration lock or races us creating the
 * migrations table (several workers starting at once on a fresh PostgreSQL database). Waits 0–250 ms between
 * attempts; other errors are rethrown at once.
 */
export async function withMigrationRetry<T>(step: () => Promise<T>, attempts = 40): Promise<T> {
  try {
    return await retry(() => step(), {
      maxAttempts: attempts,
      baseDelayMs: 250,
      maxDelayMs: 250,
      shouldRetry: isMigrationRace,
    });
  } catch (error) {
    if (!isMigrationRace(error)) throw error;
    throw errorFor(
      'DB_UNAVAILABLE',
      'The database stayed locked by another migrating process; run the command again.',
      { cause: error },
    );
  }
}
