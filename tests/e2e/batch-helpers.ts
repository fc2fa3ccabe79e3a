import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { buildTextPdf } from '@autod/testkit';

/** The standalone batch entry (built: e2e tests run after `turbo run build`). */
export const BATCH_MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/batch/dist/worker-main.js');

export interface Child {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first line matching `pred`. */
  waitFor(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stderr(): string;
}

export function runBatchMain(command: string, options: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, [BATCH_MAIN, command, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    let l: Record<string, unknown>;
    try {
      l = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(l);
    for (const w of waiters.splice(0)) {
      if (w.pred(l)) w.resolve(l);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    proc,
    lines,
    exited,
    stderr: () => err,
    waitFor: (pred) => {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((res, rej) => {
        waiters.push({ pred, resolve: res });
        void exited.then((code) => rej(new Error(`process exited (${code}) before the expected line; stderr: ${err}`)));
      });
    },
  };
}

/** A data root with inbox/processed/failed/duplicates and `count` distinct one-page PDFs in the inbox. */
export async function corpusRoot(count: number): Promise<{ root: string; inbox: string }> {
  const root = await mkdtemp(join(tmpdir(), 'autod-e2e-batch-'));
  for (const d of ['inbox', 'processed', 'failed', 'duplicates']) await mkdir(join(root, d), { recursive: true });
  const inbox = join(root, 'inbox');
  for (let i = 0; i < count; i++) {
    const bytes = await buildTextPdf([[`Invoice INV-${5000 + i}`, 'Northwind Traders', `Date: 2024-05-${String((i % 28) + 1).padStart(2, '0')}`, `Total: USD ${(20 + i).toFixed(2)}`]]);
    await writeFile(join(inbox, `scan-${String(i).padStart(4, '0')}.pdf`), bytes);
  }
  return { root, inbox };
}

export interface Report {
  counts: { total: number; pending: number; done: number; failed: number; skipped: number; duplicate: number };
  succeededAttemptsPerDocument: [number, number][];
  items: { path: string; status: string; documentId: number | null }[];
}

export async function report(options: Record<string, unknown>): Promise<Report> {
  const child = runBatchMain('report', options);
  const line = await child.waitFor((l) => l['type'] === 'report');
  await child.exited;
  return line as unknown as Report;
}
