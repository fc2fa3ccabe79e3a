import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTextPdf, startEmulator, type Emulator } from '@autod/testkit';
import { emulatorEnv } from './batch-helpers.js';
import { runCli, tree } from './helpers.js';

/**
 * Issue 12, "every result kept, every rescan visible", through the real CLI: near-duplicates (a rescan: other bytes,
 * the same content) are flagged in show, list, export and filed by AUTOD_NEAR_DUPLICATE_POLICY; reprocess keeps
 * every earlier result with its provider, model, prompt version, cost and time, and re-files a renamed document.
 */

const LINES = [
  'Harbor Water Utility',
  'Invoice INV-2024-0042',
  'Invoice date: March 3, 2024',
  'Bill to: Jane Doe, 12 Oak Street',
  'Water supply March 2024            71.00',
  'Sewer charge                       13.20',
  'Total due: 84.20 EUR',
  'Please pay by April 2, 2024.',
];

const roots: string[] = [];
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ latencyMs: { distribution: 'uniform', min: 1, max: 3 }, seed: 12 });
});
afterAll(async () => {
  await emu.close();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autod-history-'));
  roots.push(dir);
  await mkdir(join(dir, 'inbox'), { recursive: true });
  return dir;
}

const localEnv = (dir: string, extra: Record<string, string> = {}) => ({
  AUTOD_DATA_DIR: dir,
  AUTOD_PROVIDER: 'local',
  AUTOD_OCR: 'false',
  ...extra,
});

async function cli(args: string[], env: Record<string, string>, dir: string) {
  const r = await runCli(args, env, dir);
  expect(r.code, `autod ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

async function json<T = Record<string, unknown>>(args: string[], env: Record<string, string>, dir: string) {
  return JSON.parse((await cli([...args, '--json'], env, dir)).stdout) as T;
}

/** The original, processed; then its rescan (the same text, other PDF bytes) dropped and processed in a later run. */
async function originalThenRescan(dir: string, env: Record<string, string>): Promise<void> {
  await writeFile(join(dir, 'inbox', 'water.pdf'), await buildTextPdf([LINES], { title: 'scan 1' }));
  expect((await json(['process'], env, dir))['processed']).toBe(1);
  await writeFile(join(dir, 'inbox', 'water-rescan.pdf'), await buildTextPdf([LINES], { title: 'scan 2' }));
  expect((await json(['process'], env, dir))['processed']).toBe(1);
}

interface Doc {
  id: number;
  sha256: string;
  fileName: string;
  nearDuplicateOf: number | null;
  storagePath: string | null;
}

describe('near-duplicates are visible (AUTOD_NEAR_DUPLICATE_POLICY)', () => {
  it('flag (default): the rescan is filed like any document and flagged in show, list and export', async () => {
    const dir = await dataDir();
    const env = localEnv(dir);
    await originalThenRescan(dir, env);

    const rescan = await json<Doc>(['show', '2'], env, dir);
    expect(rescan).toMatchObject({ fileName: 'water-rescan.pdf', nearDuplicateOf: 1 });
    expect((await json<Doc>(['show', '1'], env, dir)).nearDuplicateOf).toBeNull();
    expect((await cli(['show', '2'], env, dir)).stdout).toMatch(/^near dup of 1$/m);
    expect((await cli(['show', '1'], env, dir)).stdout).toMatch(/^near dup of\s*$/m);

    const table = (await cli(['list'], env, dir)).stdout.split('\n');
    expect(table.find((l) => /^\s*2\s/.test(l))).toContain('~#1');
    expect(table.find((l) => /^\s*1\s/.test(l))).not.toContain('~#');
    const listed = await json<{ items: Doc[] }>(['list'], env, dir);
    expect(listed.items.map((d) => [d.id, d.nearDuplicateOf]).sort()).toEqual([
      [1, null],
      [2, 1],
    ]);

    const exported = JSON.parse((await cli(['export', '--format', 'json'], env, dir)).stdout) as Doc[];
    expect(exported.find((d) => d.id === 2)?.nearDuplicateOf).toBe(1);
    const csv = parseCsv((await cli(['export', '--format', 'csv'], env, dir)).stdout);
    const column = csv[0]!.indexOf('nearDuplicateOf');
    expect(column).toBeGreaterThan(0);
    const byId = new Map(csv.slice(1).map((row) => [row[0], row[column]]));
    expect([byId.get('1'), byId.get('2')]).toEqual(['', '1']);

    // the original indexed again after its rescan (reprocess) is not the rescan's near-duplicate
    await cli(['reprocess', '1', '--json'], env, dir);
    expect((await json<Doc>(['show', '1'], env, dir)).nearDuplicateOf).toBeNull();
    expect((await json<Doc>(['show', '2'], env, dir)).nearDuplicateOf).toBe(1);

    // kept and filed like any document, under processed/
    expect(relative(dir, rescan.storagePath ?? '')).toMatch(/^processed\//);
    expect((await tree(join(dir, 'processed'))).filter((f) => f.endsWith('.pdf'))).toHaveLength(2);
    expect(await tree(join(dir, 'duplicates'))).toEqual([]);
  }, 120_000);

  it('file: the rescan is flagged and filed under duplicates/near/, the original stays in processed/', async () => {
    const dir = await dataDir();
    const env = localEnv(dir, { AUTOD_NEAR_DUPLICATE_POLICY: 'file' });
    await originalThenRescan(dir, env);

    const original = await json<Doc>(['show', '1'], env, dir);
    const rescan = await json<Doc>(['show', '2'], env, dir);
    expect(rescan.nearDuplicateOf).toBe(1);
    expect(relative(dir, rescan.storagePath ?? '')).toMatch(/^duplicates\/near\/[^/]+\.pdf$/);
    expect(relative(dir, original.storagePath ?? '')).toMatch(/^processed\//);
    expect(await tree(join(dir, 'duplicates'))).toEqual([relative(join(dir, 'duplicates'), rescan.storagePath ?? '')]);
    expect((await tree(join(dir, 'processed'))).filter((f) => f.endsWith('.pdf'))).toHaveLength(1);
    // the bytes filed there are the rescan's
    const filed = createHash('sha256')
      .update(await readFile(rescan.storagePath ?? ''))
      .digest('hex');
    expect(filed).toBe(rescan.sha256);
    expect(filed).not.toBe(original.sha256);
    expect((await cli(['show', '2'], env, dir)).stdout).toMatch(/^stored at\s+duplicates\/near\//m);
    // a bad value is refused with the setting named
    const bad = await runCli(['list'], localEnv(dir, { AUTOD_NEAR_DUPLICATE_POLICY: 'move' }), dir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('AUTOD_NEAR_DUPLICATE_POLICY');
  }, 120_000);
});

interface Attempt {
  attemptNo: number;
  status: string;
  provider: string;
  model: string;
  promptVersion: string | null;
  costUsd: number;
  latencyMs: number;
  inputTokens: number;
  createdAt: string;
  metadata?: { title: string | null; extracted_fields: { total_amount: number | null } } | null;
}

describe('reprocess keeps every earlier result', () => {
  it('each attempt keeps its result, provider/model, prompt version, cost and time; a new name re-files the file', async () => {
    const dir = await dataDir();
    const env = localEnv(dir);
    await writeFile(join(dir, 'inbox', 'water.pdf'), await buildTextPdf([LINES]));
    expect((await json(['process'], env, dir))['processed']).toBe(1);
    const first = await json<Doc>(['show', '1'], env, dir);
    expect(relative(dir, first.storagePath ?? '')).toMatch(/^processed\/\d{4}\/\d{2}\//);

    // Same provider, another filing template: the document moves to its new name, the database follows.
    const renamed = localEnv(dir, { AUTOD_FILE_NAME_TEMPLATE: 'by-id/{sha8}_{doc_type}' });
    const again = await json<{ processed: number; outcomes: { destination: string }[] }>(
      ['reprocess', '1'],
      renamed,
      dir,
    );
    expect(again.processed).toBe(1);
    const moved = await json<Doc>(['show', '1'], renamed, dir);
    expect(relative(dir, moved.storagePath ?? '')).toMatch(/^processed\/by-id\/[0-9a-f]{8}_[^/]+\.pdf$/);
    expect(again.outcomes[0]?.destination).toBe(moved.storagePath);
    expect(await tree(join(dir, 'processed'))).toEqual([relative(join(dir, 'processed'), moved.storagePath ?? '')]);
    // reprocessing again under the same template keeps the name (no -1 suffix, no move)
    await cli(['reprocess', '1', '--json'], renamed, dir);
    expect((await json<Doc>(['show', '1'], renamed, dir)).storagePath).toBe(moved.storagePath);

    // Another provider (OpenAI, against the emulator): a new attempt with its own cost and prompt version.
    await cli(['reprocess', '1', '--json'], { ...renamed, ...emulatorEnv(emu.url) }, dir);

    const shown = await json<Doc & { attempts: Attempt[] }>(['show', '1', '--attempts'], renamed, dir);
    const attempts = shown.attempts;
    expect(attempts.map((a) => [a.attemptNo, a.status, a.provider])).toEqual([
      [1, 'succeeded', 'local'],
      [2, 'succeeded', 'local'],
      [3, 'succeeded', 'local'],
      [4, 'succeeded', 'openai'],
    ]);
    const local = attempts[0]!;
    const openai = attempts[3]!;
    expect(local.promptVersion).toMatch(/^rules-\d+\/schema-\d+\.\d+\.\d+$/);
    expect(openai.promptVersion).toMatch(/^prompt-[0-9a-f]{12}$/);
    expect(openai.model).toBe('gpt-5-mini');
    expect(local.costUsd).toBe(0);
    expect(openai.costUsd).toBeGreaterThan(0);
    expect(openai.inputTokens).toBeGreaterThan(0);
    // every result is kept: the local one read the total from the text
    for (const a of attempts) expect(a.metadata).toBeTruthy();
    expect(local.metadata?.extracted_fields.total_amount).toBe(84.2);
    expect(new Date(openai.createdAt).getTime()).toBeGreaterThanOrEqual(new Date(local.createdAt).getTime());
    // without --attempts the results are left out
    const plain = await json<{ attempts: Attempt[] }>(['show', '1'], renamed, dir);
    expect(plain.attempts).toHaveLength(4);
    expect(plain.attempts[0]).not.toHaveProperty('metadata');

    const text = (await cli(['show', '1', '--attempts'], renamed, dir)).stdout;
    expect(text).toMatch(/^attempts\s+4$/m);
    expect(text).toMatch(
      new RegExp(`#1 succeeded \\S+: local autod-rules-v1, prompt ${esc(local.promptVersion!)}, \\$0, \\d+ ms`),
    );
    expect(text).toMatch(
      new RegExp(
        `#4 succeeded \\S+: openai gpt-5-mini, prompt ${esc(openai.promptVersion!)}, \\$0\\.\\d+, \\d+ in / \\d+ out tokens, \\d+ ms`,
      ),
    );
    expect(text).toMatch(/^\s+amount\s+84\.2 EUR$/m);
  }, 180_000);
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** RFC 4180 rows (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
