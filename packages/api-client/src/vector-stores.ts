import type OpenAI from 'openai';
import type { APIPromise } from 'openai';
import { errorFor, isAutodError } from '@autod/errors';
import type { Call } from './transport.js';
import type { VectorStoreSearchHit } from './types.js';

/** OpenAI vector stores (File Search corpus): create or reuse by name, attach with attributes, search, remove. */
export function vectorStoresApi({
  call,
  clock,
  sleep,
}: {
  call: Call;
  clock: { now(): number };
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}) {
  return {
    /** The store named `name`, created when none exists. */
    ensure: async (name: string, signal?: AbortSignal): Promise<{ id: string; created: boolean }> => {
      let after: string | undefined;
      for (let page = 0; page < 50; page++) {
        const { data } = await call({ operation: 'vector_stores.list', signal }, (s, sdk) =>
          sdk.vectorStores.list({ limit: 100, ...(after ? { after } : {}) }, s ? { signal: s } : {}),
        );
        const found = data.data.find((v) => v.name === name);
        if (found) return { id: found.id, created: false };
        const last = data.data.at(-1);
        if (!data.has_more || !last) break;
        after = last.id;
      }
      const { data } = await call({ operation: 'vector_stores.create', signal }, (s, sdk) =>
        sdk.vectorStores.create({ name }, s ? { signal: s } : {}),
      );
      return { id: data.id, created: true };
    },

    /** Attach an uploaded file with filterable attributes (max 16 keys) and wait until it is indexed. */
    attachFile: async (
      storeId: string,
      fileId: string,
      attributes: Record<string, string | number | boolean>,
      opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<void> => {
      if (Object.keys(attributes).length > 16) {
        throw errorFor(
          'VALIDATION_FAILED',
          `A vector-store file takes at most 16 attributes (got ${Object.keys(attributes).length}).`,
          {
            details: { keys: Object.keys(attributes) },
          },
        );
      }
      const { signal } = opts;
      let { data } = await call({ operation: 'vector_stores.files.create', signal }, (s, sdk) =>
        sdk.vectorStores.files.create(storeId, { file_id: fileId, attributes }, s ? { signal: s } : {}),
      );
      const deadline = clock.now() + (opts.timeoutMs ?? 300_000);
      while (data.status === 'in_progress') {
        if (clock.now() >= deadline) {
          throw errorFor(
            'TIMEOUT',
            `Vector-store file ${fileId} was still being indexed after ${opts.timeoutMs ?? 300_000} ms.`,
            {
              details: { storeId, fileId },
            },
          );
        }
        await sleep(opts.pollMs ?? 1000, signal);
        ({ data } = await call({ operation: 'vector_stores.files.retrieve', signal }, (s, sdk) =>
          sdk.vectorStores.files.retrieve(fileId, { vector_store_id: storeId }, s ? { signal: s } : {}),
        ));
      }
      if (data.status !== 'completed') {
        throw errorFor(
          'UPSTREAM_ERROR',
          `Indexing ${fileId} in vector store ${storeId} ended as ${data.status}: ${data.last_error?.message ?? 'no reason given'}.`,
          {
            retryable: false,
            details: { storeId, fileId, status: data.status, lastError: data.last_error?.code },
          },
        );
      }
    },

    /** Semantic search with optional attribute `filters` (OpenAI comparison/compound filter objects). */
    search: async (
      storeId: string,
      query: string,
      opts: { filters?: unknown; maxResults?: number; signal?: AbortSignal } = {},
    ): Promise<VectorStoreSearchHit[]> => {
      if (!query.trim()) throw errorFor('VALIDATION_FAILED', 'Search needs a non-empty query.');
      const { data } = await call(
        { operation: 'vector_stores.search', signal: opts.signal },
        (s, sdk) =>
          sdk.vectorStores.search(
            storeId,
            {
              query,
              ...(opts.filters
                ? { filters: opts.filters as NonNullable<OpenAI.VectorStores.VectorStoreSearchParams['filters']> }
                : {}),
              ...(opts.maxResults ? { max_num_results: opts.maxResults } : {}),
            },
            s ? { signal: s } : {},
          ) as unknown as APIPromise<{ data: OpenAI.VectorStores.VectorStoreSearchResponse[] }>,
      );
      return data.data.map((hit) => ({
        fileId: hit.file_id,
        filename: hit.filename,
        score: hit.score,
        attributes: hit.attributes ?? {},
        text: hit.content.map((c) => c.text).join('\n\n'),
      }));
    },

    /** Detach a file from a store (the file itself stays in the Files API). Missing counts as removed. */
    removeFile: async (storeId: string, fileId: string, signal?: AbortSignal): Promise<void> => {
      try {
        await call({ operation: 'vector_stores.files.delete', signal }, (s, sdk) =>
          sdk.vectorStores.files.delete(fileId, { vector_store_id: storeId }, s ? { signal: s } : {}),
        );
      } catch (error) {
        if (!(isAutodError(error) && error.code === 'NOT_FOUND')) throw error;
      }
    },

    /** Delete a store. Missing counts as deleted. */
    delete: async (storeId: string, signal?: AbortSignal): Promise<void> => {
      try {
        await call({ operation: 'vector_stores.delete', signal }, (s, sdk) =>
          sdk.vectorStores.delete(storeId, s ? { signal: s } : {}),
        );
      } catch (error) {
        if (!(isAutodError(error) && error.code === 'NOT_FOUND')) throw error;
      }
    },
  };
}

/** The vector-store operations of `ApiClient.vectorStores`. */
export type VectorStoresApi = ReturnType<typeof vectorStoresApi>;
