/**
 * Child process for the concurrent-migration test: opens the database, waits for "go" on stdin, migrates it to the
 * latest version (retrying a lost race, as the runtime does) and prints a JSON report.
 * argv: <url>
 */
import { createDatabase } from '../database.js';
import { withMigrationRetry } from '../migrate-retry.js';

const [url] = process.argv.slice(2);
const db = await createDatabase({ url: url ?? '' });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const report: { applied: number; error?: string } = { applied: 0 };
try {
  report.applied = (await withMigrationRetry(() => db.migrate.latest())).length;
} catch (error) {
  report.error =
    error instanceof Error ? `${error.message} (${String((error as { cause?: unknown }).cause)})` : String(error);
}
await db.close();
process.stdout.write(JSON.stringify(report) + '\n');
