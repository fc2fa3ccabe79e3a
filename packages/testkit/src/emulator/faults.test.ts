import { parseDocumentMetadata, responseTextFormat } from '@autod/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmulator } from './server.js';
import type { Emulator, FaultKind } from './types.js';

let emu: Emulator;
let client: OpenAI;

beforeAll(async () => {
  emu = await startEmulator({ seed: 7 });
  client = new OpenAI({ apiKey: 'k', baseURL: emu.url, maxRetries: 0 });
});
afterAll(async () => {
  await emu.close();
});

const ask = () =>
  client.responses.create({
    model: 'gpt-4.1-mini',
    input: 'Describe the document.',
    text: { format: responseTextFormat() },
  });

async function withScript<T>(script: FaultKind[], fn: () => Promise<T>): Promise<T> {
  emu.setFaults({ script });
  try {
    return await fn();
  } finally {
    emu.setFaults({});
  }
}

describe('fault injection through the real SDK', () => {
  test('rate_limit -> RateLimitError carrying retry-after headers', async () => {
    emu.setFaults({ script: ['rate_limit'], retryAfterMs: 2500 });
    const err = await ask().catch((e: unknown) => e);
    emu.setFaults({});
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (err as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(headers.get('retry-after')).toBe('3');
    expect(headers.get('retry-after-ms')).toBe('2500');
    expect(emu.requests.at(-1)).toMatchObject({ status: 429, fault: 'rate_limit' });
  });

  test('server_error -> InternalServerError (500), unavailable -> 503', async () => {
    const e500 = await withScript(['server_error'], () => ask().catch((e: unknown) => e));
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect((e500 as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    const e503 = await withScript(['unavailable'], () => ask().catch((e: unknown) => e));
    expect(e503).toBeInstanceOf(OpenAI.InternalServerError);
    expect((e503 as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
  });

  test('reset -> APIConnectionError', async () => {
    const err = await withScript(['reset'], () => ask().catch((e: unknown) => e));
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  test('timeout (hang) -> APIConnectionTimeoutError with a small client timeout', async () => {
    const quick = new OpenAI({ apiKey: 'k', baseURL: emu.url, maxRetries: 0, timeout: 200 });
    emu.setFaults({ script: ['timeout'] });
    const err = await quick.files.list().catch((e: unknown) => e);
    emu.setFaults({});
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(emu.requests.at(-1)).toMatchObject({ status: 0, fault: 'timeout' });
  });

  test('truncated -> the SDK cannot parse the half JSON body', async () => {
    const err = await withScript(['truncated'], () => ask().catch((e: unknown) => e));
    expect(err).toBeInstanceOf(SyntaxError);
  });

  test('non_json_output -> output_text is not JSON', async () => {
    const res = await withScript(['non_json_output'], ask);
    expect(() => JSON.parse(res.output_text) as unknown).toThrow();
    expect(res.output_text).toContain('```json');
  });

  test('schema_violation -> output_text is JSON that fails the schema', async () => {
    const res = await withScript(['schema_violation'], ask);
    const parsed = parseDocumentMetadata(JSON.parse(res.output_text));
    expect(parsed.ok).toBe(false);
  });

  test("script order is honoured, 'none' passes, and faults apply only to listed routes", async () => {
    emu.setFaults({ script: ['none', 'server_error'], routes: ['/responses'] });
    await client.files.list(); // not a listed route: passes, consumes nothing
    const ok = await ask();
    expect(parseDocumentMetadata(JSON.parse(ok.output_text)).ok).toBe(true);
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(ask()).resolves.toBeTruthy(); // script exhausted
    emu.setFaults({});
  });

  test('rate 1 with kinds picks only from kinds; rate 0 never faults', async () => {
    emu.setFaults({ rate: 1, kinds: ['unavailable'] });
    for (let i = 0; i < 3; i++) await expect(client.files.list()).rejects.toMatchObject({ status: 503 });
    emu.setFaults({ rate: 0, kinds: ['unavailable'] });
    for (let i = 0; i < 3; i++) await expect(client.files.list()).resolves.toBeTruthy();
    emu.setFaults({});
  });

  test('the SDK retries a 429 (retry-after-ms honoured) and then succeeds', async () => {
    const retrying = new OpenAI({ apiKey: 'k', baseURL: emu.url, maxRetries: 2 });
    emu.setFaults({ script: ['rate_limit'], retryAfterMs: 10 });
    emu.resetStats();
    const res = await retrying.responses.create({ model: 'm', input: 'x', text: { format: responseTextFormat() } });
    emu.setFaults({});
    expect(JSON.parse(res.output_text)).toBeTruthy();
    expect(emu.stats().byStatus).toEqual({ 429: 1, 200: 1 });
  });
});

describe('latency', () => {
  test('a fixed latency delays answers; distributions are accepted', async () => {
    emu.setLatency(120);
    const t0 = Date.now();
    await client.files.list();
    const elapsed = Date.now() - t0;
    emu.setLatency({ distribution: 'uniform', min: 1, max: 5 });
    await client.files.list();
    emu.setLatency({ distribution: 'normal', mean: 3, stdDev: 1 });
    await client.files.list();
    emu.setLatency(undefined);
    const [fixed, uniform, normal] = emu.requests.slice(-3).map((r) => r.latencyMs ?? -1);
    expect(fixed).toBe(120);
    expect(uniform).toBeGreaterThanOrEqual(1);
    expect(uniform).toBeLessThanOrEqual(5);
    expect(normal).toBeGreaterThanOrEqual(0);
    // a lower bound only (never flaky): the answer came after the configured latency
    expect(elapsed).toBeGreaterThanOrEqual(100);
  });

  test('concurrent requests are tracked as in flight', async () => {
    emu.resetStats();
    emu.setLatency(50);
    await Promise.all([client.files.list(), client.files.list(), client.files.list()]);
    emu.setLatency(undefined);
    expect(emu.stats().maxInFlight).toBeGreaterThanOrEqual(2);
  });
});
