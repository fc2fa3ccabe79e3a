import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@autod/config';
import { createDatabase, type Database } from '@autod/db';
import { createContainer } from './container.js';
import { TOKENS } from './tokens.js';

let dir: string;
let db: Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-container-'));
  db = await createDatabase({ url: config({}).db.url });
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const config = (env: Record<string, string>) =>
  loadConfig({ env: { AUTOD_DATA_DIR: dir, ...env }, cwd: dir, envFile: false });

describe('createContainer', () => {
  it('returns a close() that closes the OCR engine its services opened, once', async () => {
    const app = createContainer(config({ AUTOD_OCR: 'true', AUTOD_OCR_LANGUAGES: 'eng' }), db, {}, { quiet: true });
    const ocr = app.container.resolve(TOKENS.Ocr);
    expect(ocr).not.toBeNull();
    const close = vi.spyOn(ocr!, 'close');
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('closes nothing it did not open (OCR off: no engine; close() still resolves)', async () => {
    const app = createContainer(config({ AUTOD_OCR: 'false' }), db, {}, { quiet: true });
    expect(app.container.resolve(TOKENS.Ocr)).toBeNull();
    await expect(app.close()).resolves.toBeUndefined();
  });
});
