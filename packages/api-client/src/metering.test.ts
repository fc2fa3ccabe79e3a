import { errorFor } from '@autod/errors';
import { describe, expect, test } from 'vitest';
import type { ApiClient } from './api-client.js';
import { priceUsage } from './pricing.js';
import type { CallBill, CallMeter, MeteredCall } from './types.js';
import { emulatorClients } from './__tests__/emulator-clients.js';
import { tinyPdf } from './__tests__/helpers.js';

const env = emulatorClients({ embeddingDimensions: 8, batchStepMs: 5 });
const { emu } = env;

interface Entry {
  call: MeteredCall;
  state: 'pending' | 'settled' | 'released';
  bill?: CallBill;
  ref?: string;
}

/** A meter that books every call and refuses once `capUsd` (pending estimates + settled) would be exceeded. */
function bookMeter(capUsd = Number.POSITIVE_INFINITY) {
  const book: Entry[] = [];
  const counted = () =>
    book.reduce((s, e) => s + (e.state === 'pending' ? e.call.estimatedUsd : (e.bill?.costUsd ?? 0)), 0);
  const meter: CallMeter = {
    reserve: async (call) => {
      if (counted() + call.estimatedUsd > capUsd) throw errorFor('BUDGET_EXCEEDED', 'cap reached');
      const e: Entry = { call, state: 'pending' };
      book.push(e);
      return {
        settle: async (bill) => void Object.assign(e, { state: 'settled', bill }),
        release: async () => void (e.state = 'released'),
        attach: async (ref) => void (e.ref = ref),
      };
    },
    settleRef: async (ref, bill) => {
      for (const e of book) if (e.ref === ref && e.state === 'pending') Object.assign(e, { state: 'settled', bill });
    },
  };
  return { meter, book, counted };
}

function client(meter: CallMeter): ApiClient {
  return env.client({ meter, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
}

const pdf = tinyPdf([['Stadtwerke Invoice 2026-03', 'Total EUR 88.20']]);
const base = { pdf, sourceFileId: 'sha-1', processedAt: '2026-11-25T10:00:00Z', fileName: 'a.pdf' };

describe('the call meter', () => {
  test('an extraction is reserved before it is sent and settled with its billed usage', async () => {
    const { meter, book } = bookMeter();
    const from = emu().requests.length;
    const r = await client(meter).extractMetadata(base);
    expect(book).toHaveLength(1);
    expect(book[0]).toMatchObject({
      state: 'settled',
      call: { operation: 'responses.create', model: 'gpt-5-mini', batch: false, source: 'sha-1' },
    });
    expect(book[0]!.call.estimatedUsd).toBeGreaterThan(0);
    expect(book[0]!.bill).toEqual({ usage: r.usage, costUsd: r.costUsd });
    const billed = emu()
      .requests.slice(from)
      .find((q) => q.billed)!.billed!;
    expect(r.usage.inputTokens).toBe(billed.inputTokens);
  });

  test('both answers of a failed validation are booked; the error carries their cost', async () => {
    const { meter, book } = bookMeter();
    emu().setFaults({ routes: ['/v1/responses'], script: ['non_json_output', 'schema_violation'] });
    const error = (await client(meter)
      .extractMetadata(base)
      .catch((e: unknown) => e)) as { code: string; details: { costUsd: number } };
    expect(error).toMatchObject({ code: 'MODEL_OUTPUT_INVALID' });
    expect(book.map((e) => e.state)).toEqual(['settled', 'settled']);
    const sum = book.reduce((s, e) => s + (e.bill?.costUsd ?? 0), 0);
    expect(sum).toBeGreaterThan(0);
    expect(error.details.costUsd).toBeCloseTo(sum, 12);
  });

  test('a call that never got an answer is released (nothing billed); retries are one reservation', async () => {
    const { meter, book } = bookMeter();
    emu().setFaults({ routes: ['/v1/responses'], script: ['server_error', 'server_error', 'server_error'] });
    await expect(client(meter).extractMetadata(base)).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(book.map((e) => e.state)).toEqual(['released']);
  });

  test('a refused reservation sends nothing', async () => {
    const { meter, book } = bookMeter(0);
    const from = emu().requests.length;
    await expect(client(meter).extractMetadata(base)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    await expect(client(meter).embed(['some text'])).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(book).toEqual([]);
    expect(emu().requests.slice(from)).toEqual([]);
  });

  test('embeddings are booked per call at the embedding price', async () => {
    const { meter, book } = bookMeter();
    const r = await client(meter).embed(['one text', 'another text'], { batchSize: 1 });
    expect(book.map((e) => [e.call.operation, e.call.model, e.state])).toEqual([
      ['embeddings.create', 'text-embedding-3-small', 'settled'],
      ['embeddings.create', 'text-embedding-3-small', 'settled'],
    ]);
    expect(book.reduce((s, e) => s + (e.bill?.costUsd ?? 0), 0)).toBeCloseTo(r.costUsd, 15);
  });

  test('a Batch API job is reserved at batch prices when submitted and settled when its results are read', async () => {
    const { meter, book } = bookMeter();
    const c = client(meter);
    const items = ['x', 'y'].map((id) => ({ customId: id, input: { ...base, fileName: `${id}.pdf` } }));
    const { batchId } = await c.batches.submit(items);
    expect(book).toHaveLength(1);
    expect(book[0]).toMatchObject({ state: 'pending', ref: `batch:${batchId}`, call: { batch: true } });
    const single = priceUsage(
      { inputTokens: 3000 + 765 + 500, cachedInputTokens: 0, outputTokens: 1200, reasoningTokens: 0, totalTokens: 0 },
      'gpt-5-mini',
      { batch: true },
    );
    expect(book[0]!.call.estimatedUsd).toBeCloseTo(2 * single, 12);
    await c.batches.waitFor(batchId, { pollMs: 10, timeoutMs: 10_000 });
    const results = await c.batches.results(batchId);
    const cost = [...results.values()].reduce((s, r) => s + (r.costUsd ?? 0), 0);
    expect(cost).toBeGreaterThan(0);
    expect(book[0]).toMatchObject({ state: 'settled', bill: { costUsd: cost } });
  });

  test('a refused batch submission uploads nothing', async () => {
    const { meter } = bookMeter(0);
    const from = emu().requests.length;
    await expect(
      client(meter).batches.submit([{ customId: 'z', input: { ...base, fileName: 'z.pdf' } }]),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(emu().requests.slice(from)).toEqual([]);
  });
});
