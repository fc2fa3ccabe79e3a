import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DOCUMENT_FILTER } from '@autod/core';
import type { CommandSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
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

  it('loads only the module of the command that runs (or whose help is shown)', async () => {
    const loaded: string[] = [];
    const commands: CommandSpec[] = COMMANDS.map((spec) => ({
      ...spec,
      load: () => {
        loaded.push(spec.name);
        return spec.load();
      },
    }));
    expect(await main(['--help'], { env: env(), cwd: dir, commands })).toBe(0);
    expect(await main(['--version'], { env: env(), cwd: dir, commands })).toBe(0);
    expect(loaded).toEqual([]);
    expect(out).toContain('list');
    expect(await main(['--json', '--data-dir', dir, 'config'], { env: env(), cwd: dir, commands })).toBe(0);
    expect(loaded).toEqual(['config']);
    out = '';
    expect(await main(['help', 'export'], { env: env(), cwd: dir, commands })).toBe(0);
    expect(loaded).toEqual(['config', 'export']);
    // The filter flags come from the definition, with its descriptions.
    for (const p of DOCUMENT_FILTER.parameters) expect(out).toContain(p.flag);
    expect(out).toContain('--no-needs-review');
    expect(out).toContain('issuer contains this text (case-insensitive)');
  });

  it('validates every filter flag through the filter definition: CFG_INVALID naming each bad flag', async () => {
    const code = await main(
      ['list', '--json', '--status', 'done', '--from', '2024-02-30', '--min-amount', 'ten', '--issuer', ''],
      { env: env(), cwd: dir },
    );
    expect(code).toBe(78);
    const error = JSON.parse(out).error;
    expect(error.code).toBe('CFG_INVALID');
    expect(error.details.issues.map((i: { name: string }) => i.name)).toEqual([
      '--status',
      '--issuer',
      '--from',
      '--min-amount',
    ]);
    expect(error.message).toContain('--status: must be one of processing, waiting, completed, failed (got "done")');
    out = '';
    expect(await main(['search', 'water', '--to', '2024-13-01'], { env: env(), cwd: dir })).toBe(78);
    expect(err).toContain('--to: must be a real calendar date YYYY-MM-DD (got "2024-13-01")');
  });

  it('takes a filter definition with more fields: the flag appears, is validated and filters', async () => {
    const documentFilter = DOCUMENT_FILTER.extend([
      {
        name: 'language',
        match: 'exact',
        type: 'enum',
        values: ['de', 'en'],
        column: 'currency',
        flag: '--lang',
        description: 'a test field',
      },
    ]);
    expect(await main(['list', '--help'], { env: env(), cwd: dir, documentFilter })).toBe(0);
    expect(out).toContain('--lang <language>');
    expect(await main(['list', '--lang', 'fr'], { env: env(), cwd: dir, documentFilter })).toBe(78);
    expect(err).toContain('--lang: must be one of de, en (got "fr")');
    out = '';
    expect(await main(['list', '--json', '--lang', 'de'], { env: env(), cwd: dir, documentFilter })).toBe(0);
    expect(JSON.parse(out).total).toBe(0);
  });
});
