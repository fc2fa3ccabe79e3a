import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

let dir: string;
let out: string;
let err: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-cli-'));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ AUTOD_DATA_DIR: dir, AUTOD_OCR: 'false', ...extra });

describe('autod main()', () => {
  it('prints the effective config with secrets redacted', async () => {
    const code = await main(['config', '--json'], {
      env: env({ OPENAI_API_KEY: 'sk-live-secret-value-0123456789' }),
      cwd: dir,
    });
    expect(code).toBe(0);
    const printed = JSON.parse(out);
    expect(out).not.toContain('sk-live-secret-value');
    expect(printed.app.provider).toBe('openai');
  });

  it('reports bad configuration with every problem and the config exit code', async () => {
    const code = await main(['config'], {
      env: env({ AUTOD_CONCURRENCY: 'lots', AUTOD_SERVER_PORT: '99999' }),
      cwd: dir,
    });
    expect(code).toBe(78);
    expect(err).toContain('AUTOD_CONCURRENCY');
    expect(err).toContain('AUTOD_SERVER_PORT');
  });

  it('maps a missing document to NOT_FOUND and its exit code, as JSON with --json', async () => {
    const code = await main(['show', '999', '--json'], { env: env(), cwd: dir });
    expect(code).toBe(66);
    expect(JSON.parse(out).error.code).toBe('DOCUMENT_NOT_FOUND');
  });

  it('rejects unknown commands with the usage exit code', async () => {
    expect(await main(['frobnicate'], { env: env(), cwd: dir })).toBe(64);
  });

  it('lists no documents on a fresh database and runs migrate status', async () => {
    expect(await main(['list', '--json'], { env: env(), cwd: dir })).toBe(0);
    expect(JSON.parse(out).total).toBe(0);
    out = '';
    expect(await main(['migrate', 'status', '--json'], { env: env(), cwd: dir })).toBe(0);
    expect(JSON.parse(out).migrations.length).toBeGreaterThan(0);
  });
});
