import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '@autod/testkit';
import { CLI, runCli, type CliResult } from './helpers.js';

let dir: string;
// The queue here is driven by missing fields; the calibrated confidences of the offline rules
// (a plain letterhead issuer stays under 0.8) would add both documents, so the threshold is low.
const env = () => ({
  AUTOD_DATA_DIR: dir,
  AUTOD_PROVIDER: 'local',
  AUTOD_OCR: 'false',
  AUTOD_REVIEW_THRESHOLD: '0.5',
  USER: 'tester',
});

/** The CLI with lines typed on its stdin (a person answering the review prompts). */
function runWithInput(args: string[], input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, NO_COLOR: '1', ...env() },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-review-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
  for (const d of await generateCorpus({ count: 2, seed: 41 }))
    await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
  expect((await runCli(['process', '--json'], env(), dir)).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('autod review', () => {
  it('corrects a field from the command line; the correction is audited and survives reprocess', async () => {
    const set = await runCli(
      ['review', '1', '--set', 'issuer=Contoso Water Ltd', '--set', 'total_amount=42.50', '--json'],
      env(),
      dir,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id: 1, issuer: 'Contoso Water Ltd', totalAmount: 42.5 });

    expect((await runCli(['reprocess', '1', '--json'], env(), dir)).code).toBe(0);
    const kept = JSON.parse((await runCli(['show', '1', '--json'], env(), dir)).stdout);
    expect(kept).toMatchObject({ issuer: 'Contoso Water Ltd', totalAmount: 42.5 });
    expect(kept.metadata.field_evidence.issuer).toMatchObject({
      confidence: 1,
      source_text: 'corrected by an earlier review',
    });

    expect((await runCli(['reprocess', '1', '--force', '--json'], env(), dir)).code).toBe(0);
    const forced = JSON.parse((await runCli(['show', '1', '--json'], env(), dir)).stdout);
    expect(forced.issuer).not.toBe('Contoso Water Ltd');
  });

  it('rejects a bad value with the validation exit code (65) and a message naming the field', async () => {
    const bad = await runCli(['review', '1', '--set', 'primary_date=31/02/2024'], env(), dir);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('primary_date');
    const noop = await runCli(['review', '1'], env(), dir);
    expect(noop.code).not.toBe(0);
  });

  it('lists the queue and walks it with prompts (edit, then accept)', async () => {
    // Put document 2 in the queue: its date cleared, so it has no primary date.
    expect((await runCli(['review', '2', '--set', 'primary_date=', '--json'], env(), dir)).code).toBe(0);
    const list = JSON.parse((await runCli(['review', '--list', '--json'], env(), dir)).stdout);
    expect(list).toMatchObject({ total: 1, items: [{ id: 2, reviewReasons: ['primary_date not found'] }] });

    const walk = await runWithInput(['review', '--interactive'], 'e\nprimary_date=2024-05-06\ncurrency=eur\n\n');
    expect(walk.code, walk.stderr).toBe(0);
    expect(walk.stdout).toContain('primary_date not found');
    expect(walk.stdout).toContain('1 document(s) reviewed.');
    const after = JSON.parse((await runCli(['show', '2', '--json'], env(), dir)).stdout);
    expect(after).toMatchObject({ needsReview: false, currency: 'EUR' });
    expect(after.metadata.primary_date).toBe('2024-05-06');
    expect(JSON.parse((await runCli(['review', '--list', '--json'], env(), dir)).stdout).total).toBe(0);
  });
});
