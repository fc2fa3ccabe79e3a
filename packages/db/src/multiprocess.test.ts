import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { tempSqliteUrl } from '@autod/testkit';
import { describe, expect, it } from 'vitest';
import { createDatabase } from './index.js';
import { startChildWorker, type ChildWorker } from './__tests__/child-worker.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const WORKER = here('./__tests__/claim-worker.ts');

interface WorkerReport {
  owner: string;
  claimed: string[];
  held: number;
  duplicate: number;
  errors: string[];
}

/** claim-worker.ts in its own Node process (own SQLite connection). */
function startWorker(url: string, driver: string, owner: string, shas: string[]): ChildWorker<WorkerReport> {
  return startChildWorker<WorkerReport>(WORKER, [url, driver, owner, ...shas]);
}

describe.each(['better-sqlite3', 'sqlite3'] as const)('two processes on one SQLite file (%s)', (driver) => {
  it('claim each of 50 shas exactly once, without SQLITE_BUSY', async () => {
    const t = await tempSqliteUrl();
    try {
      const setup = await createDatabase({ url: t.url, sqliteDriver: driver });
      await setup.migrate.latest();
      await setup.close();
      const shas = Array.from({ length: 50 }, (_, i) => createHash('sha256').update(`mp-${i}`).digest('hex'));
      // both workers race over the same shas, in opposite orders
      const workers = [
        startWorker(t.url, driver, 'proc-a', shas),
        startWorker(t.url, driver, 'proc-b', [...shas].reverse()),
      ];
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const [a, b] = await Promise.all(workers.map((w) => w.report));
      if (!a || !b) throw new Error('missing worker report');
      expect([...a.errors, ...b.errors]).toEqual([]);
      const claimed = [...a.claimed, ...b.claimed];
      expect(claimed).toHaveLength(50);
      expect(new Set(claimed).size).toBe(50);
      expect(a.held + a.duplicate).toBe(50 - a.claimed.length);
      expect(b.held + b.duplicate).toBe(50 - b.claimed.length);

      const db = await createDatabase({ url: t.url, sqliteDriver: driver });
      try {
        const { items, total } = await db.documents.list({ limit: 100 });
        expect(total).toBe(50);
        expect(items.every((d) => d.status === 'completed' && d.attemptCount === 1)).toBe(true);
        const owners = new Map(items.map((d) => [d.sha256, d.claimOwner]));
        for (const sha of a.claimed) expect(owners.get(sha)).toBe('proc-a');
        for (const sha of b.claimed) expect(owners.get(sha)).toBe('proc-b');
        expect(await db.audit.list({ action: 'document.completed', limit: 100 })).toHaveLength(50);
      } finally {
        await db.close();
      }
    } finally {
      await t.cleanup();
    }
  });
});
