/**
 * Child process for the multi-process claim test: claims every sha given on the command line
 * concurrently once stdin says go, completes each one it wins inside a transaction, prints a
 * JSON report.
 * argv: <url> <driver> <owner> <sha>...
 */
import type { DocumentMetadata, IndexedFields } from '@autod/core';
import { createDatabase } from '../database.js';

// Not importing @autod/core (zod) keeps the child's start-up short; the DB stores metadata as given.
const metadata = { summary: null, title: 'multi-process test' } as unknown as DocumentMetadata;
const fields: IndexedFields = {
  category: 'Creative & Miscellaneous',
  subcategory: null,
  docType: null,
  issuer: null,
  primaryDate: null,
  totalAmount: null,
  currency: null,
  title: 'multi-process test',
  confidence: null,
  customer: null,
  invoiceNumber: null,
  dueDate: null,
};

const [url, driver, owner, ...shas] = process.argv.slice(2);
const report = { owner, claimed: [] as string[], held: 0, duplicate: 0, errors: [] as string[] };
const db = await createDatabase({ url: url ?? '', sqliteDriver: driver === 'sqlite3' ? 'sqlite3' : 'better-sqlite3' });
// Barrier: tell the parent we are ready, start when it says "go" (so both processes really race).
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.pause();
try {
  await Promise.all(
    shas.map(async (sha256) => {
      try {
        const r = await db.documents.claim({
          sha256,
          fileName: `${sha256}.pdf`,
          sourcePath: `/inbox/${owner}/${sha256}.pdf`,
          sizeBytes: 1,
          owner: owner ?? '',
          leaseMs: 600_000,
        });
        if (r.kind === 'held') report.held++;
        else if (r.kind === 'duplicate') report.duplicate++;
        else {
          report.claimed.push(sha256);
          await db.transaction(async (trx) => {
            await trx.documents.complete(r.document.id, owner ?? '', {
              metadata,
              fields,
              pageCount: 1,
              textContent: `document ${sha256}`,
              provider: 'local',
              model: 'rules',
              storagePath: `/processed/${sha256}.pdf`,
            });
            await trx.audit.write({ actor: owner ?? '', action: 'document.completed', documentId: r.document.id });
          });
        }
      } catch (error) {
        report.errors.push(
          error instanceof Error ? `${(error as { code?: string }).code ?? ''} ${error.message}` : String(error),
        );
      }
    }),
  );
} finally {
  await db.close();
}
process.stdout.write(`${JSON.stringify(report)}\n`);
