import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, DEFAULT_REDACT_PATHS, newRequestId, noopLogger, requestIdFrom } from './logger.js';

class Capture extends Writable {
  chunks: string[] = [];
  isTTY?: boolean;
  constructor(tty?: boolean) {
    super();
    if (tty !== undefined) this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  get text(): string {
    return this.chunks.join('');
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const KEY = 'sk-test-0123456789abcdefSECRET';

describe('createLogger', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes JSON lines (not pretty) when the destination is not a TTY', () => {
    const out = new Capture(false);
    const log = createLogger({ destination: out, name: 'unit' });
    log.info({ doc: 7 }, 'hello');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', msg: 'hello', doc: 7, name: 'unit' });
    expect(typeof line?.time).toBe('string');
  });

  it('pretty-prints when the destination is a TTY', () => {
    const out = new Capture(true);
    const log = createLogger({ destination: out });
    log.info({ doc: 7 }, 'hello pretty');
    expect(out.text).toContain('hello pretty');
    expect(() => JSON.parse(out.text.split('\n')[0]!) as unknown).toThrow();
  });

  it('redacts the API key in a nested field, in a message string and in the authorization header', () => {
    const out = new Capture(false);
    const log = createLogger({ destination: out, secrets: [KEY] });
    log.info({ config: { openai: { model: 'gpt-5', apiKey: KEY } } }, 'nested');
    log.warn(`calling with key ${KEY} failed`);
    log.info({ req: { method: 'GET', headers: { authorization: `Bearer ${KEY}`, host: 'x' } } }, 'request');
    log.info({ settings: { deep: { deeper: { note: `key=${KEY}` } } } }, 'deep string');
    log.error({ err: new Error(`boom ${KEY}`) }, 'error');
    expect(out.text).not.toContain(KEY);
    const lines = out.lines();
    expect(lines).toHaveLength(5);
    expect((lines[0]?.config as { openai: { apiKey: string; model: string } }).openai).toEqual({
      model: 'gpt-5',
      apiKey: '[REDACTED]',
    });
    expect(lines[1]?.msg).toBe('calling with key [REDACTED] failed');
    expect((lines[2]?.req as { headers: Record<string, string> }).headers).toEqual({
      authorization: '[REDACTED]',
      host: 'x',
    });
    expect(JSON.stringify(lines[3])).toContain('key=[REDACTED]');
  });

  it('redacts secret-named fields by default even without a secrets list', () => {
    const out = new Capture(false);
    const log = createLogger({ destination: out });
    log.info({ password: 'hunter2', db: { password: 'pw' }, OPENAI_API_KEY: 'abc', user: 'ann' }, 'x');
    expect(out.lines()[0]).toMatchObject({
      password: '[REDACTED]',
      db: { password: '[REDACTED]' },
      OPENAI_API_KEY: '[REDACTED]',
      user: 'ann',
    });
    expect(DEFAULT_REDACT_PATHS).toEqual(expect.arrayContaining(['apiKey', '*.apiKey', 'req.headers.authorization']));
  });

  it('carries request ids through child loggers and honours the level', () => {
    const out = new Capture(false);
    const log = createLogger({ destination: out, level: 'warn' });
    const reqId = newRequestId();
    const child = log.child({ reqId });
    child.info('dropped');
    child.warn({ route: '/x' }, 'kept');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId, route: '/x', msg: 'kept', level: 'warn' });
  });

  it('appends to a rotating file as well', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-log-'));
    dirs.push(dir);
    const file = join(dir, 'logs', 'autod.log');
    const log = createLogger({
      destination: new Capture(false),
      file,
      fileMaxBytes: 300,
      fileMaxFiles: 2,
      secrets: [KEY],
    });
    for (let i = 0; i < 10; i++) log.info({ i }, `line ${i} ${KEY}`);
    log.flush?.();
    const files = readdirSync(join(dir, 'logs')).sort();
    expect(files).toEqual(['autod.log', 'autod.log.1', 'autod.log.2']);
    const current = readFileSync(file, 'utf8');
    expect(current).toContain('"i":9');
    expect(current).not.toContain(KEY);
  });
});

describe('request ids and noopLogger', () => {
  it('makes unique ids and accepts sane incoming ones only', () => {
    const a = newRequestId();
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(newRequestId()).not.toBe(a);
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom(['x1', 'x2'])).toBe('x1');
    expect(requestIdFrom('bad id\nwith newline')).not.toContain('\n');
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('noopLogger accepts calls and returns itself as child', () => {
    expect(noopLogger.child({ a: 1 })).toBe(noopLogger);
    expect(() => noopLogger.error({ a: 1 }, 'x')).not.toThrow();
  });
});
