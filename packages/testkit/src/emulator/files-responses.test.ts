import { buildExtractionPrompt, buildResponseJsonSchema, parseDocumentMetadata, responseTextFormat } from '@autod/core';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildTextPdf } from '../fixtures/pdf-build.js';
import { startEmulator } from './server.js';
import type { Emulator } from './types.js';

let emu: Emulator;
let client: OpenAI;
let pdf: Uint8Array;

beforeAll(async () => {
  emu = await startEmulator({ requireApiKey: 'sk-test-123' });
  client = new OpenAI({ apiKey: 'sk-test-123', baseURL: emu.url, maxRetries: 0 });
  pdf = await buildTextPdf([
    ['**Acme Power & Light', 'Invoice number: INV-2024-001', 'Amount due: $1,234.56'],
    ['Page two'],
  ]);
});
afterAll(async () => {
  await emu.close();
});

function extractionRequest(part: Record<string, unknown>, consts?: Parameters<typeof responseTextFormat>[0]) {
  const prompt = buildExtractionPrompt({
    processedAt: '2024-05-01T10:00:00Z',
    originalFileName: 'bill.pdf',
    sourceFileId: 'file-xyz',
  });
  return {
    model: 'gpt-4.1-mini',
    input: [
      { role: 'system' as const, content: [{ type: 'input_text' as const, text: prompt.system }] },
      { role: 'developer' as const, content: [{ type: 'input_text' as const, text: prompt.developer }] },
      { role: 'user' as const, content: [{ type: 'input_text' as const, text: prompt.user }, part as never] },
    ],
    text: { format: responseTextFormat(consts) },
  };
}

describe('files', () => {
  test('upload, list, retrieve, content, delete through the SDK', async () => {
    const created = await client.files.create({
      file: await toFile(Buffer.from(pdf), 'bill.pdf'),
      purpose: 'user_data',
    });
    expect(created).toMatchObject({ object: 'file', filename: 'bill.pdf', purpose: 'user_data', bytes: pdf.length });
    expect(created.id).toMatch(/^file-/);
    expect(emu.files.get(created.id)?.bytes.equals(Buffer.from(pdf))).toBe(true);

    const listed = [];
    for await (const f of client.files.list({ purpose: 'user_data' })) listed.push(f.id);
    expect(listed).toContain(created.id);

    expect((await client.files.retrieve(created.id)).filename).toBe('bill.pdf');
    const content = Buffer.from(await (await client.files.content(created.id)).arrayBuffer());
    expect(content.equals(Buffer.from(pdf))).toBe(true);

    expect(await client.files.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    await expect(client.files.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('a wrong API key is rejected with 401 and the key never appears in the request log', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: emu.url, maxRetries: 0 });
    await expect(bad.files.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const logged = JSON.stringify(emu.requests);
    expect(logged).not.toContain('sk-wrong');
    expect(logged).not.toContain('sk-test-123');
  });
});

describe('responses', () => {
  test('input_file by file_id: output_text validates against the core schema, consts are honoured', async () => {
    const up = await client.files.create({ file: await toFile(Buffer.from(pdf), 'bill.pdf'), purpose: 'user_data' });
    const res = await client.responses.create(
      extractionRequest(
        { type: 'input_file', file_id: up.id },
        { processedDate: '2024-05-01T10:00:00Z', originalFileName: 'bill.pdf', sourceFileId: up.id },
      ),
    );
    const parsed = parseDocumentMetadata(JSON.parse(res.output_text));
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    if (!parsed.ok) return;
    expect(parsed.data.source_file_id).toBe(up.id);
    expect(parsed.data.page_count).toBe(2);
    expect(res.usage?.input_tokens).toBeGreaterThan(2 * 765);
    expect(res.usage?.output_tokens).toBeGreaterThan(0);
    expect(res.usage?.total_tokens).toBe((res.usage?.input_tokens ?? 0) + (res.usage?.output_tokens ?? 0));
    expect(res.usage?.input_tokens_details.cached_tokens).toBeGreaterThanOrEqual(0);
  });

  test('input_file by base64 file_data, and the responder sees the PDF text', async () => {
    const seen: string[] = [];
    emu.setResponder((req) => {
      seen.push(req.text);
      if (!req.schema) return undefined;
      const base = JSON.parse(JSON.stringify(buildResponseJsonSchema())) as Record<string, unknown>;
      expect(req.schema).toEqual(base);
      return undefined; // fall back to the schema default
    });
    try {
      const res = await client.responses.create(
        extractionRequest({
          type: 'input_file',
          filename: 'bill.pdf',
          file_data: `data:application/pdf;base64,${Buffer.from(pdf).toString('base64')}`,
        }),
      );
      const parsed = parseDocumentMetadata(JSON.parse(res.output_text));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        // no consts in the schema: echoed from the prompt's JSON literals
        expect(parsed.data.original_file_name).toBe('bill.pdf');
        expect(parsed.data.processed_date).toBe('2024-05-01T10:00:00Z');
      }
      expect(seen[0]).toContain('Invoice number: INV-2024-001');
    } finally {
      emu.setResponder(undefined);
    }
  });

  test('a responder decides the output (object or raw string)', async () => {
    emu.setResponder((req) =>
      req.text.includes('INV-2024-001') ? { answer: 'known invoice', file: req.fileName } : 'plain',
    );
    try {
      const data = `data:application/pdf;base64,${Buffer.from(pdf).toString('base64')}`;
      const r1 = await client.responses.create({
        model: 'gpt-4.1-mini',
        input: [{ role: 'user', content: [{ type: 'input_file', filename: 'x.pdf', file_data: data }] }],
      });
      expect(JSON.parse(r1.output_text)).toEqual({ answer: 'known invoice', file: 'x.pdf' });
      const r2 = await client.responses.create({ model: 'gpt-4.1-mini', input: 'hello' });
      expect(r2.output_text).toBe('plain');
      expect((await client.responses.retrieve(r2.id)).id).toBe(r2.id);
    } finally {
      emu.setResponder(undefined);
    }
  });

  test('prompt caching: an identical >=1024-token prefix is reported as cached tokens in 128-token steps', async () => {
    const longStatic = 'Rules: '.padEnd(6000, 'x'); // 1500 tokens, static
    const ask = (n: number) =>
      client.responses.create({
        model: 'cache-test-model',
        input: [
          { role: 'developer', content: longStatic },
          { role: 'user', content: `file number ${n}` },
        ],
      });
    const first = await ask(1);
    const second = await ask(2);
    expect(first.usage?.input_tokens_details.cached_tokens).toBe(0);
    const cached = second.usage?.input_tokens_details.cached_tokens ?? 0;
    expect(cached).toBeGreaterThanOrEqual(1024);
    expect(cached % 128).toBe(0);
    expect(cached).toBeLessThanOrEqual(second.usage?.input_tokens ?? 0);
  });

  test('unparseable or encrypted PDFs are rejected with 400', async () => {
    const data = `data:application/pdf;base64,${Buffer.from('not a pdf').toString('base64')}`;
    await expect(
      client.responses.create({
        model: 'gpt-4.1-mini',
        input: [{ role: 'user', content: [{ type: 'input_file', filename: 'x.pdf', file_data: data }] }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  test('stats count requests by route template and status', async () => {
    emu.resetStats();
    await client.files.list();
    await expect(client.files.retrieve('file-missing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const s = emu.stats();
    expect(s.total).toBe(2);
    expect(s.byPath['/v1/files']).toBe(1);
    expect(s.byPath['/v1/files/:id']).toBe(1);
    expect(s.byStatus[200]).toBe(1);
    expect(s.byStatus[404]).toBe(1);
    expect(s.maxInFlight).toBeGreaterThanOrEqual(1);
    expect(emu.requests[1]?.headers.authorization).toBe('[redacted]');
  });
});
