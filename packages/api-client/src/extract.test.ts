import { startEmulator, type Emulator } from '@autod/testkit';
import { isAutodError, type AutodError } from '@autod/errors';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { priceUsage } from './pricing.js';
import type { ApiClientOptions, ApiEvent } from './types.js';
import { fakeTime, tinyPdf } from './__tests__/helpers.js';

const KEY = 'sk-test-secret-key-0123456789';
let emu: Emulator;
const pdf = tinyPdf([['Acme Power & Light', 'Invoice number INV-2024-001', 'Amount due: $1,234.56'], ['Page two']]);
const clients: ApiClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({ requireApiKey: KEY });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  emu.setFaults({});
  emu.setResponder(undefined);
  for (const c of clients.splice(0)) c.close();
});

function client(extra: Partial<ApiClientOptions> = {}): ApiClient {
  const c = new ApiClient({ apiKey: KEY, baseURL: emu.url, model: 'gpt-5-mini', ...extra });
  clients.push(c);
  return c;
}

const input = {
  pdf,
  fileName: 'acme-bill.pdf',
  sourceFileId: 'sha256:abc',
  processedAt: '2026-11-25T10:00:00Z',
};

function responsesRequests() {
  return emu.requests.filter((r) => r.route === '/v1/responses');
}

describe('extractMetadata', () => {
  test('sends a strict JSON-schema request with the PDF inline and returns validated metadata, usage and cost', async () => {
    const events: ApiEvent[] = [];
    const before = responsesRequests().length;
    const result = await client({ onEvent: (e) => events.push(e) }).extractMetadata(input);

    expect(result.metadata.original_file_name).toBe('acme-bill.pdf');
    expect(result.metadata.source_file_id).toBe('sha256:abc');
    expect(result.metadata.processed_date).toBe('2026-11-25T10:00:00Z');
    expect(result.repaired).toBe(false);
    expect(result.attempts).toBe(1);
    expect(result.model).toBe('gpt-5-mini');
    expect(result.responseId).toMatch(/\S/);
    expect(JSON.parse(result.rawText)).toBeTypeOf('object');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.costUsd).toBeCloseTo(priceUsage(result.usage, 'gpt-5-mini'), 12);

    const sent = responsesRequests().slice(before);
    expect(sent).toHaveLength(1);
    const body = sent[0]!.body as {
      text: { format: { type: string; strict: boolean } };
      input: { role: string; content: unknown }[];
    };
    expect(body.text.format).toMatchObject({ type: 'json_schema', strict: true });
    expect(body.input.map((m) => m.role)).toEqual(['system', 'developer', 'user']);
    const parts = body.input[2]!.content as { type: string; file_data?: string; filename?: string }[];
    expect(parts[1]).toMatchObject({ type: 'input_file', filename: 'acme-bill.pdf' });
    expect(parts[1]!.file_data).toMatch(/^data:application\/pdf;base64,/);
    // The SDK's own retry layer is off: every request is its first (and only) SDK attempt.
    expect(sent[0]!.headers['x-stainless-retry-count']).toBe('0');

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ operation: 'responses.create', model: 'gpt-5-mini', status: 200, attempt: 1 });
    expect(events[0]!.requestId).toMatch(/\S/);
    expect(events[0]!.costUsd).toBeCloseTo(result.costUsd, 12);
  });

  test('repairs a schema-violating answer once, telling the model what was wrong', async () => {
    emu.setFaults({ script: ['schema_violation'], routes: ['/v1/responses'] });
    const before = responsesRequests().length;
    const result = await client().extractMetadata(input);
    expect(result.repaired).toBe(true);
    expect(result.attempts).toBe(2);

    const sent = responsesRequests().slice(before);
    expect(sent).toHaveLength(2);
    const second = sent[1]!.body as { input: { role: string; content: unknown }[] };
    expect(second.input.map((m) => m.role)).toEqual(['system', 'developer', 'user', 'assistant', 'user']);
    const repair = second.input[4]!.content as string;
    expect(repair).toContain('not valid against the required JSON schema');
    // The assistant turn carries the first (invalid) answer verbatim.
    expect(second.input[3]!.content).toBeTypeOf('string');
    expect(repair.split('\n').filter((l) => l.startsWith('- ')).length).toBeGreaterThan(0);
    // Usage covers both calls.
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  test('two invalid answers end in ValidationError MODEL_OUTPUT_INVALID carrying the raw text', async () => {
    emu.setFaults({ script: ['non_json_output', 'schema_violation'], routes: ['/v1/responses'] });
    const error = await client()
      .extractMetadata(input)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isAutodError(error)).toBe(true);
    const e = error as AutodError;
    expect(e.name).toBe('ValidationError');
    expect(e.code).toBe('MODEL_OUTPUT_INVALID');
    expect(typeof e.details?.rawText).toBe('string');
    expect((e.details?.rawText as string).length).toBeGreaterThan(0);
    expect(Array.isArray(e.details?.issues)).toBe(true);
  });

  test('with useFilesApi the PDF is uploaded, referenced by id and deleted afterwards, also on failure', async () => {
    const c = client({ useFilesApi: true });
    const ok = await c.extractMetadata(input);
    expect(ok.uploadedFileId).toMatch(/\S/);
    expect(emu.files.has(ok.uploadedFileId!)).toBe(false);
    const body = responsesRequests().at(-1)!.body as { input: { content: unknown }[] };
    expect((body.input[2]!.content as { file_id?: string }[])[1]!.file_id).toBe(ok.uploadedFileId);

    emu.setFaults({ script: ['schema_violation', 'schema_violation'], routes: ['/v1/responses'] });
    const filesBefore = new Set(emu.files.keys());
    await expect(c.extractMetadata(input)).rejects.toMatchObject({ code: 'MODEL_OUTPUT_INVALID' });
    const uploads = emu.requests.filter((r) => r.route === '/v1/files' && r.method === 'POST');
    const deletes = emu.requests.filter((r) => r.route === '/v1/files/:id' && r.method === 'DELETE');
    expect(deletes.length).toBe(uploads.length);
    expect([...emu.files.keys()].filter((k) => !filesBefore.has(k))).toEqual([]);
  });
});

describe('errors and retries', () => {
  test('retries 429/5xx with Retry-After honoured and exponential backoff otherwise', async () => {
    emu.setFaults({
      script: ['rate_limit', 'server_error', 'unavailable'],
      routes: ['/v1/responses'],
      retryAfterMs: 1500,
    });
    const t = fakeTime();
    const events: ApiEvent[] = [];
    const result = await client({
      clock: t.clock,
      sleep: t.sleep,
      retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 8000, random: () => 0.999999 },
      onEvent: (e) => events.push(e),
    }).extractMetadata(input);
    expect(result.attempts).toBe(4);
    // 1: Retry-After 1500 ms; 2 and 3: full-jitter backoff ceilings 1000 and 2000 ms (random ~ 1).
    expect(t.waits.map(Math.round)).toEqual([1500, 1000, 2000]);
    expect(events.map((e) => e.status)).toEqual([429, 500, 503, 200]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    expect(events[0]!.errorCode).toBe('RATE_LIMITED');
  });

  test('connection resets are retried', async () => {
    emu.setFaults({ script: ['reset'], routes: ['/v1/responses'] });
    const t = fakeTime();
    const result = await client({ clock: t.clock, sleep: t.sleep, retry: { random: () => 0.5 } }).extractMetadata(
      input,
    );
    expect(result.attempts).toBe(2);
    expect(t.waits).toHaveLength(1);
  });

  test('401 is not retried and neither the error nor the events contain the API key', async () => {
    const events: ApiEvent[] = [];
    const t = fakeTime();
    const bad = client({
      apiKey: 'sk-wrong-key-abcdef123456',
      clock: t.clock,
      sleep: t.sleep,
      onEvent: (e) => events.push(e),
    });
    const before = responsesRequests().length;
    const error = (await bad.extractMetadata(input).catch((e: unknown) => e)) as AutodError;
    expect(error.code).toBe('UPSTREAM_AUTH');
    expect(error.retryable).toBe(false);
    expect(error.details?.status).toBe(401);
    expect(responsesRequests().length - before).toBe(1);
    expect(t.waits).toEqual([]);
    const serialised = JSON.stringify([error.toJSON(), error.message, error.details, events]);
    expect(serialised).not.toContain('sk-wrong-key-abcdef123456');
    expect(serialised).not.toContain(KEY);
  });

  test('404 is not retried', async () => {
    const t = fakeTime();
    const c = client({ clock: t.clock, sleep: t.sleep });
    const before = emu.requests.length;
    await expect(c.vectorStores.search('vs_missing', 'anything')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
    });
    expect(emu.requests.length - before).toBe(1);
    expect(t.waits).toEqual([]);
  });

  test('a timeout of one attempt is retried and surfaces as TIMEOUT when attempts run out', async () => {
    emu.setFaults({ script: ['timeout', 'timeout'], routes: ['/v1/responses'] });
    const t = fakeTime();
    const c = client({ timeoutMs: 150, clock: t.clock, sleep: t.sleep, retry: { maxAttempts: 2, random: () => 0 } });
    await expect(c.extractMetadata(input)).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(t.waits).toHaveLength(1);
  });
});
