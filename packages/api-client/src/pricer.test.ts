import { describe, expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { DEFAULT_PRICING } from './pricing.js';
import { emulatorClients } from './__tests__/emulator-clients.js';
import { tinyPdf } from './__tests__/helpers.js';

const { emu, client } = emulatorClients({}, { model: 'gpt-4o' });

const pdf = tinyPdf([['Stadtwerke Invoice 2026-03', 'Total EUR 88.20']]);
const base = { pdf, sourceFileId: 'sha256:1', processedAt: '2026-11-25T10:00:00Z' };
const input = {
  pdf: tinyPdf([['Northwind Traders', 'Invoice INV-7', 'Total USD 12.00']]),
  fileName: 'inv-7.pdf',
  sourceFileId: 'sha256:77',
  processedAt: '2026-12-01T10:00:00Z',
};

describe('cost', () => {
  test('cost equals the pricing table applied to the usage the server reported (cached tokens included)', async () => {
    const wireUsages: {
      input_tokens: number;
      output_tokens: number;
      input_tokens_details?: { cached_tokens?: number };
    }[] = [];
    const teeFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input instanceof Request ? input.url : input).endsWith('/responses')) {
        const json = (await res.clone().json()) as { usage: (typeof wireUsages)[number] };
        wireUsages.push(json.usage);
      }
      return res;
    };
    const c = client({ fetch: teeFetch });
    await c.extractMetadata({ ...base, fileName: 'a.pdf' });
    const second = await c.extractMetadata({ ...base, fileName: 'b.pdf' }); // same long prefix -> prompt cache
    const wire = wireUsages.at(-1)!;
    const cached = wire.input_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    const p = DEFAULT_PRICING['gpt-4o']!; // 2.50 / 1.25 / 10.00
    const expected =
      ((wire.input_tokens - cached) * p.input + cached * p.cachedInput + wire.output_tokens * p.output) / 1e6;
    expect(second.usage).toMatchObject({
      inputTokens: wire.input_tokens,
      cachedInputTokens: cached,
      outputTokens: wire.output_tokens,
    });
    expect(second.costUsd).toBeCloseTo(expected, 12);
  });
});

describe('a model with no price', () => {
  test('is a clear warning, once, and its calls are recorded at $0 instead of guessing a price', async () => {
    const warnings: { message: string; details: Record<string, unknown> }[] = [];
    const costs: (number | undefined)[] = [];
    const client = new ApiClient({
      apiKey: 'sk-test',
      baseURL: emu().url,
      model: 'acme-local-7b',
      onWarning: (message, details) => warnings.push({ message, details }),
      onEvent: (e) => {
        if (e.operation === 'responses.create') costs.push(e.costUsd);
      },
    });
    try {
      expect(warnings).toHaveLength(1); // said at construction, before any money moves
      expect(warnings[0]?.message).toMatch(/No price is known for model "acme-local-7b".*AUTOD_PRICING_FILE/);
      const a = await client.extractMetadata(input);
      await client.extractMetadata({ ...input, sourceFileId: 'sha256:79' });
      expect(a.costUsd).toBe(0);
      expect(a.usage.inputTokens).toBeGreaterThan(0);
      expect(costs).toEqual([0, 0]);
      expect(warnings).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  test('a pricing override prices it', async () => {
    const client = new ApiClient({
      apiKey: 'sk-test',
      baseURL: emu().url,
      model: 'acme-local-7b',
      pricing: { 'acme-local-7b': { input: 1, cachedInput: 0.5, output: 2 } },
    });
    try {
      const r = await client.extractMetadata(input);
      const u = r.usage;
      expect(r.costUsd).toBeCloseTo(
        ((u.inputTokens - u.cachedInputTokens) * 1 + u.cachedInputTokens * 0.5 + u.outputTokens * 2) / 1e6,
        12,
      );
      expect(client.priceFor('acme-local-7b')).toEqual({ input: 1, cachedInput: 0.5, output: 2 });
    } finally {
      client.close();
    }
  });
});
