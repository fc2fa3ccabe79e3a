import { isAutodError, type AutodError } from '@autod/errors';
import { describe, expect, test } from 'vitest';
import { priceUsage } from './pricing.js';
import type { ApiEvent } from './types.js';
import { emulatorClients } from './__tests__/emulator-clients.js';
import { tinyPdf } from './__tests__/helpers.js';

const KEY = 'sk-test-secret-key-0123456789';
const { emu, client } = emulatorClients({ requireApiKey: KEY }, { apiKey: KEY });
const pdf = tinyPdf([['Acme Power & Light', 'Invoice number INV-2024-001', 'Amount due: $1,234.56'], ['Page two']]);

const input = {
  pdf,
  fileName: 'acme-bill.pdf',
  sourceFileId: 'sha256:abc',
  processedAt: '2026-11-25T10:00:00Z',
};

function responsesRequests() {
  return emu().requests.filter((r) => r.route === '/v1/responses');
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
    emu().setFaults({ script: ['schema_violation'], routes: ['/v1/responses'] });
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
    emu().setFaults({ script: ['non_json_output', 'schema_violation'], routes: ['/v1/responses'] });
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
    expect(emu().files.has(ok.uploadedFileId!)).toBe(false);
    const body = responsesRequests().at(-1)!.body as { input: { content: unknown }[] };
    expect((body.input[2]!.content as { file_id?: string }[])[1]!.file_id).toBe(ok.uploadedFileId);

    emu().setFaults({ script: ['schema_violation', 'schema_violation'], routes: ['/v1/responses'] });
    const filesBefore = new Set(emu().files.keys());
    await expect(c.extractMetadata(input)).rejects.toMatchObject({ code: 'MODEL_OUTPUT_INVALID' });
    const uploads = emu().requests.filter((r) => r.route === '/v1/files' && r.method === 'POST');
    const deletes = emu().requests.filter((r) => r.route === '/v1/files/:id' && r.method === 'DELETE');
    expect(deletes.length).toBe(uploads.length);
    expect([...emu().files.keys()].filter((k) => !filesBefore.has(k))).toEqual([]);
  });
});
