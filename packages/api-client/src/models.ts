import { mapOpenAIError } from './map-openai-error.js';
import type { LazySdk } from './sdk.js';

/**
 * Cheap reachability check (`GET /models`, one attempt, 5 s). A server that answers at all is reachable, even when
 * it does not implement the endpoint (404); connection failures, timeouts and rejected keys throw.
 */
export async function pingModels(sdk: LazySdk, signal?: AbortSignal): Promise<void> {
  try {
    const client = await sdk();
    await client.models.list({ timeout: 5000, ...(signal ? { signal } : {}) });
  } catch (error) {
    const mapped = mapOpenAIError(error);
    if (mapped.code === 'NOT_FOUND' || mapped.code === 'UPSTREAM_BAD_REQUEST') return;
    throw mapped;
  }
}
