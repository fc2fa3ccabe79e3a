import { errorFor } from '@autod/errors';

/**
 * Run a migration step, retrying while another process holds knex's migration lock or races us creating the
 * migrations table (several workers starting at once on a fresh PostgreSQL database).
 */
export async function withMigrationRetry<T>(step: () => Promise<T>, attempts = 40): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await step();
    } catch (error) {
      last = error;
      const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
      if (!/MigrationLocked|already locked|already exists|duplicate key|unique constraint/i.test(message)) throw error;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
    }
  }
  throw errorFor('DB_UNAVAILABLE', 'The database stayed locked by another migrating process; run the command again.', {
    cause: last,
  });
}
