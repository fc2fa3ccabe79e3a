import OpenAI from 'openai';
import { startEmulator, type Emulator } from '@autod/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { modelParams, requestParams } from './model-params.js';
import type { ApiClientOptions } from './types.js';
import { tinyPdf } from './__tests__/helpers.js';

const KEY = 'sk-test-secret-key-0123456789';
let emu: Emulator;
const pdf = tinyPdf([['Northwind Traders', 'Invoice INV-7', 'Total USD 12.00']]);
const input = { pdf, fileName: 'inv-7.pdf', sourceFileId: 'sha256:77', processedAt: '2026-12-01T10:00:00Z' };

beforeAll(async () => {
  emu = await startEmulator({ requireApiKey: KEY });
});
afterAll(async () => {
  await emu.close();
});

const settings: Pick<ApiClientOptions, 'maxOutputTokens' | 'reasoningEffort' | 'verbosity'> = {
  maxOutputTokens: 60_000,
  reasoningEffort: 'minimal',
  verbosity: 'low',
};

function lastBody(): Record<string, unknown> {
  const r = emu.requests.filter((x) => x.route === '/v1/responses').at(-1);
  return r?.body as Record<string, unknown>;
}

describe('the emulator rejects parameters a model does not take, like the API', () => {
  const raw = () => new OpenAI({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 });
  const call = (body: Record<string, unknown>) =>
    raw().responses.create({ input: 'hi', ...body } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming);

  test.each([
    [{ model: 'gpt-4.1', reasoning: { effort: 'low' } }, 'unsupported_parameter'],
    [{ model: 'gpt-4.1', text: { verbosity: 'low' } }, 'unsupported_value'],
    [{ model: 'gpt-5-pro', reasoning: { effort: 'minimal' } }, 'unsupported_value'],
    [{ model: 'o4-mini', reasoning: { effort: 'minimal' } }, 'unsupported_value'],
    [{ model: 'o4-mini', text: { verbosity: 'high' } }, 'unsupported_value'],
    [{ model: 'gpt-4.1', max_output_tokens: 60_000 }, 'invalid_value'],
    [{ model: 'gpt-5-mini', max_output_tokens: 8 }, 'integer_below_min_value'],
  ])('%j → 400 %s', async (body, code) => {
    await expect(call(body)).rejects.toMatchObject({ status: 400, code });
  });

  test('and accepts what each model takes, echoing it', async () => {
    const r = await call({ model: 'gpt-5-nano', reasoning: { effort: 'minimal' }, text: { verbosity: 'low' } });
    expect(r.reasoning?.effort).toBe('minimal');
    expect(r.text?.verbosity).toBe('low');
    await expect(call({ model: 'gpt-5-pro', reasoning: { effort: 'high' } })).resolves.toBeDefined();
    await expect(call({ model: 'gpt-4.1', max_output_tokens: 32_768 })).resolves.toBeDefined();
  });
});

describe('ApiClient sends MAX_OUTPUT_TOKENS, AUTOD_REASONING_EFFORT and AUTOD_VERBOSITY only where the model takes them', () => {
  test.each([
    ['gpt-5-mini', { max_output_tokens: 60_000, reasoning: { effort: 'minimal' }, verbosity: 'low' }],
    ['gpt-5', { max_output_tokens: 60_000, reasoning: { effort: 'minimal' }, verbosity: 'low' }],
    ['gpt-5-nano-2025-08-07', { max_output_tokens: 60_000, reasoning: { effort: 'minimal' }, verbosity: 'low' }],
    ['gpt-5-pro', { max_output_tokens: 60_000, reasoning: { effort: 'high' }, verbosity: 'low' }],
    ['gpt-4.1', { max_output_tokens: 32_768, reasoning: undefined, verbosity: undefined }],
    ['o4-mini', { max_output_tokens: 60_000, reasoning: { effort: 'low' }, verbosity: undefined }],
  ])('%s', async (model, expected) => {
    const warnings: string[] = [];
    const client = new ApiClient({
      apiKey: KEY,
      baseURL: emu.url,
      model,
      ...settings,
      onWarning: (m) => warnings.push(m),
    });
    try {
      // The real round trip: the emulator answers 400 to anything the model would reject.
      const result = await client.extractMetadata(input);
      expect(result.model).toBe(model);
      const body = lastBody();
      expect(body['max_output_tokens']).toBe(expected.max_output_tokens);
      expect(body['reasoning']).toEqual(expected.reasoning);
      expect((body['text'] as Record<string, unknown>)['verbosity']).toBe(expected.verbosity);
      // A changed value is said once, not per call.
      await client.extractMetadata({ ...input, sourceFileId: 'sha256:78' });
      const adjusted = model === 'gpt-4.1' || model === 'gpt-5-pro' || model === 'o4-mini';
      expect(warnings.length).toBe(adjusted ? 1 : 0);
    } finally {
      client.close();
    }
  });

  test('unset settings send nothing; the Batch API lines carry the same fields', () => {
    const bare = new ApiClient({ apiKey: KEY, model: 'gpt-5-mini' });
    const body = bare.buildExtractionRequestBody(input);
    expect(body).not.toHaveProperty('max_output_tokens');
    expect(body).not.toHaveProperty('reasoning');
    expect(body['text']).not.toHaveProperty('verbosity');
    bare.close();
    const set = new ApiClient({ apiKey: KEY, model: 'gpt-5-mini', ...settings });
    const line = JSON.parse(set.batches.buildJsonl([{ customId: 'a', input }]).trim()) as {
      body: Record<string, unknown>;
    };
    expect(line.body['reasoning']).toEqual({ effort: 'minimal' });
    expect(line.body['max_output_tokens']).toBe(60_000);
    set.close();
  });

  test('model families: the table is the one the emulator checks', () => {
    expect(modelParams('gpt-5-chat-latest').reasoningEfforts).toEqual([]);
    expect(modelParams('my-local-llama')).toEqual({
      reasoningEfforts: [],
      verbosity: false,
      maxOutputTokens: undefined,
    });
    expect(
      requestParams('my-local-llama', { maxOutputTokens: 5000, reasoningEffort: 'high', verbosity: 'high' }),
    ).toEqual({
      maxOutputTokens: 5000,
      adjustments: [],
    });
    expect(requestParams('gpt-5.1', { reasoningEffort: 'minimal' }).reasoningEffort).toBe('low');
  });
});
