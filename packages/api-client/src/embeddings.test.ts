import { describe, expect, test } from 'vitest';
import { emulatorClients } from './__tests__/emulator-clients.js';

const { emu, client } = emulatorClients({ embeddingDimensions: 16 }, { model: 'gpt-4o' });

describe('embeddings', () => {
  test('batches the input, keeps order and prices the usage', async () => {
    const before = emu().requests.filter((r) => r.route === '/v1/embeddings').length;
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const out = await client().embed(texts, { batchSize: 2, dimensions: 8 });
    const sent = emu()
      .requests.filter((r) => r.route === '/v1/embeddings')
      .slice(before);
    expect(sent.map((r) => (r.body as { input: string[] }).input)).toEqual([
      ['alpha', 'beta'],
      ['gamma', 'delta'],
      ['epsilon'],
    ]);
    expect(out.vectors).toHaveLength(5);
    expect(out.vectors.every((v) => v.length === 8)).toBe(true);
    // Same text -> same vector (the emulator is deterministic), different text -> different vector.
    const again = await client().embed(['gamma']);
    expect(again.vectors[0]).toHaveLength(16);
    expect(out.usage.inputTokens).toBeGreaterThan(0);
    expect(out.costUsd).toBeCloseTo((out.usage.inputTokens * 0.02) / 1e6, 14);
  });
});
