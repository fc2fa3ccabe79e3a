import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { tempSqliteUrl } from '@autod/testkit';
import { describe, expect, it } from 'vitest';
import { createDatabase } from './index.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const WORKER = here('./__tests__/claim-worker.ts');
const HOOKS = here('./__tests__/ts-hooks.mjs');

interface WorkerReport {
  owner: string;
  claimed: string[];
  held: number;
  duplicate: number;
  errors: string[];
}

interface Worker {
  ready: Promise<void>;
  go(): void;
  report: Promise<WorkerReport>;
}

/** Starts claim-worker.ts from source in a separate Node process (own SQLite connection). */
function startWorker(url: string, driver: string, owner: string, shas: string[]): Worker {
  const args = [
    '--no-warnings',
    '--conditions=@autod/source',
    '--experimental-transform-types',
    '--import',
    HOOKS,
    WORKER,
    url,
    driver,
    owner,
    ...shas,
  ];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 90_000 });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady(); // never leave the barrier hanging
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as WorkerReport);
      else reject(new Error(`worker ${owner} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), report };
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
