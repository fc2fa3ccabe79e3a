import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '@autod/config';
import { createRuntime, type ContainerOverrides, type Runtime } from '@autod/runtime';
import { buildTextPdf } from '@autod/testkit';
import { buildApp, type BuildAppOptions } from '../app.js';
import type { AutodApp } from '../context.js';

export const TOKEN = 'test-token-123456';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export interface Harness {
  dir: string;
  runtime: Runtime;
  app: AutodApp;
  logs: string[];
  close(): Promise<void>;
}

export async function makeRuntime(dir: string, env: Record<string, string> = {}, overrides?: ContainerOverrides) {
  const logs: string[] = [];
  const config = loadConfig({
    env: {
      AUTOD_DATA_DIR: dir,
      AUTOD_SERVER_TOKEN: TOKEN,
      AUTOD_PROVIDER: 'local',
      AUTOD_OCR: 'false',
      AUTOD_WATCH_POLL_MS: '50',
      AUTOD_LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      ...env,
    },
    cwd: dir,
    envFile: false,
  });
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const runtime = await createRuntime(config, { logDestination, ...(overrides ? { overrides } : {}) });
  return { runtime, logs };
}

export async function harness(
  options: BuildAppOptions = {},
  env: Record<string, string> = {},
  overrides?: ContainerOverrides,
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'autod-server-'));
  const { runtime, logs } = await makeRuntime(dir, env, overrides);
  const app = buildApp(runtime, { retryDelayMs: 20, shutdownGraceMs: 10_000, ...options });
  await app.ready();
  let closed = false;
  return {
    dir,
    runtime,
    app,
    logs,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A multipart/form-data body with one file part. */
export function multipart(
  fileName: string,
  content: Uint8Array,
  field = 'file',
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----autod${randomUUID().replace(/-/g, '')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/pdf\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return {
    payload: Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(content), Buffer.from(tail, 'utf8')]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function invoicePdf(issuer: string, extra = ''): Promise<Uint8Array> {
  return buildTextPdf(
    [
      [
        `**INVOICE`,
        `${issuer} Ltd`,
        'Invoice number: INV-1042',
        'Invoice date: 2024-03-15',
        `Total due: 120.50 EUR ${extra}`,
      ],
    ],
    {
      title: `Invoice ${issuer}`,
    },
  );
}

/** Files (relative paths) under a folder, recursively. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(prefix + e.name);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Polls until `check` returns a value (no timing assertions: bounded by the test timeout). */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
