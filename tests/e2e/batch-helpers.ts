import { type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createDatabase } from '@autod/db';
import { buildTextPdf } from '@autod/testkit';
import { startCli } from './helpers.js';

export type Line = Record<string, unknown>;

/** A running `autod` process whose stdout/stderr JSON lines are collected (other lines are kept as text). */
export interface Child {
  proc: ChildProcess;
  /** JSON lines of stdout (worker job events) and stderr (batch progress events, logs). */
  lines: Line[];
  /** Resolves with the first JSON line matching `pred`; rejects if the process exits first. */
  waitFor(pred: (l: Line) => boolean): Promise<Line>;
  /** Resolves once stderr contains `text`; rejects if the process exits first. */
  waitForText(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Spawn the built CLI (`apps/cli/dist/bin.js`) with `env` as its whole configuration. */
export function spawnAutod(args: string[], env: Record<string, string>, cwd: string): Child {
  const { child: proc, done } = startCli(args, env, cwd);
  const lines: Line[] = [];
  const waiters: { check: () => boolean }[] = [];
  let stderr = '';
  const wake = () => {
    for (const w of waiters.splice(0)) if (!w.check()) waiters.push(w);
  };
  const onLine = (text: string) => {
    if (!text.startsWith('{')) return;
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      return; // a pretty-printed result document spans several lines: parsed from the whole stdout at exit
    }
    wake();
  };
  createInterface({ input: proc.stdout! }).on('line', onLine);
  createInterface({ input: proc.stderr! }).on('line', (text) => {
    stderr += text + '\n';
    onLine(text);
    wake();
  });
  const exited = done;
  const wait = <T>(probe: () => T | undefined, what: string): Promise<T> => {
    const hit = probe();
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise<T>((resolve, reject) => {
      waiters.push({
        check: () => {
          const v = probe();
          if (v === undefined) return false;
          resolve(v);
          return true;
        },
      });
      void exited.then((r) => {
        const v = probe();
        if (v !== undefined) resolve(v);
        else
          reject(
            new Error(
              `autod ${args.join(' ')} exited (${r.code ?? r.signal}) before ${what}; stdout:\n${r.stdout.slice(-2000)}\nstderr:\n${r.stderr.slice(-4000)}`,
            ),
          );
      });
    });
  };
  return {
    proc,
    lines,
    exited,
    waitFor: (pred) => wait(() => lines.find(pred), 'the expected line'),
    waitForText: (text) =>
      wait(() => (stderr.includes(text) ? true : undefined), `"${text}" on stderr`).then(() => undefined),
  };
}

/** Run the CLI to the end and parse its stdout as the one `--json` result document. */
export async function autodJson(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; data: Line; stderr: string }> {
  const r = await spawnAutod(args, env, cwd).exited;
  let data: Line;
  try {
    data = JSON.parse(r.stdout) as Line;
  } catch {
    throw new Error(
      `autod ${args.join(' ')} (exit ${r.code}) printed no JSON document; stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-4000)}`,
    );
  }
  return { code: r.code, data, stderr: r.stderr };
}

/** A data root with inbox/processed/failed/duplicates and `count` distinct one-page PDFs in the inbox. */
export async function corpusRoot(count: number): Promise<{ root: string; inbox: string }> {
  const root = await mkdtemp(join(tmpdir(), 'autod-e2e-batch-'));
  for (const d of ['inbox', 'processed', 'failed', 'duplicates']) await mkdir(join(root, d), { recursive: true });
  const inbox = join(root, 'inbox');
  for (let i = 0; i < count; i++) {
    const bytes = await buildTextPdf([
      [
        `Invoice INV-${5000 + i}`,
        'Northwind Traders',
        `Date: 2024-05-${String((i % 28) + 1).padStart(2, '0')}`,
        `Total: USD ${(20 + i).toFixed(2)}`,
      ],
    ]);
    await writeFile(join(inbox, `scan-${String(i).padStart(4, '0')}.pdf`), bytes);
  }
  return { root, inbox };
}

/** The CLI's configuration for a test: everything through the environment, nothing from a .env or config file. */
export function autodEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AUTOD_DATA_DIR: root,
    AUTOD_PROVIDER: 'local',
    AUTOD_OCR: 'false',
    ...extra,
  };
}

/** The OpenAI provider against the emulator, with quick retries. */
export function emulatorEnv(url: string): Record<string, string> {
  return {
    AUTOD_PROVIDER: 'openai',
    OPENAI_BASE_URL: url,
    OPENAI_API_KEY: 'sk-e2e-emulator',
    OPENAI_MODEL: 'gpt-5-mini',
    AUTOD_RETRY_MAX_ATTEMPTS: '5',
    AUTOD_RETRY_INITIAL_MS: '50',
    AUTOD_RETRY_MAX_DELAY_MS: '1000',
  };
}

export interface Report {
  counts: Record<string, number>;
  /** [documentId, successful extraction attempts] for every document with one. */
  succeededAttemptsPerDocument: [number, number][];
  items: { path: string; status: string; documentId: number | null }[];
}

/** What the database says about a batch: item counts by status, items, successful extractions per document. */
export async function report(dbUrl: string, batchId: string): Promise<Report> {
  const db = await createDatabase({ url: dbUrl });
  try {
    const rows = (await db.knex('batch_items').where('batch_id', batchId).orderBy('id')) as Record<string, unknown>[];
    const items = rows.map((r) => ({
      path: String(r['path']),
      status: String(r['status']),
      documentId: r['document_id'] === null || r['document_id'] === undefined ? null : Number(r['document_id']),
    }));
    const counts: Record<string, number> = { total: items.length };
    for (const i of items) counts[i.status] = (counts[i.status] ?? 0) + 1;
    const raw: { document_id: number | string; n: number | string }[] = await db
      .knex('extraction_attempts')
      .where('status', 'succeeded')
      .select('document_id')
      .count({ n: '*' })
      .groupBy('document_id');
    return { counts, items, succeededAttemptsPerDocument: raw.map((r) => [Number(r.document_id), Number(r.n)]) };
  } finally {
    await db.close();
  }
}
