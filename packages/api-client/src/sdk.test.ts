import { describe, expect, it } from 'vitest';
import { ApiClient } from './index.js';
import { mapOpenAIError } from './map-openai-error.js';
import { loadOpenAI, loadedOpenAI } from './sdk.js';

describe('the openai SDK is loaded on first use', () => {
  it('is not loaded by importing the package or making a client; errors map without it; a call loads it', async () => {
    const client = new ApiClient({ apiKey: 'sk-test', model: 'gpt-5-mini', baseURL: 'http://127.0.0.1:9/v1' });
    expect(loadedOpenAI()).toBeUndefined();
    // Nothing the SDK threw can exist before it is loaded: other errors map as they always did.
    expect(mapOpenAIError(new Error('socket hang up'))).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: false });
    const abort = Object.assign(new Error('stop'), { name: 'AbortError' });
    expect(mapOpenAIError(abort).code).toBe('ABORTED');
    // A call (here to a closed port: a connection failure) loads it, and its errors are the SDK's, mapped by class.
    await expect(client.ping()).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(loadedOpenAI()).toBe(await loadOpenAI());
    const { APIConnectionTimeoutError } = await loadOpenAI();
    expect(mapOpenAIError(new APIConnectionTimeoutError()).code).toBe('TIMEOUT');
    client.close();
  });
});
