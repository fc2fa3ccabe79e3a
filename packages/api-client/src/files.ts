import { isAutodError } from '@autod/errors';
import { loadOpenAI } from './sdk.js';
import type { Call } from './transport.js';

/** Purposes of an uploaded file. */
export type FilePurpose = 'user_data' | 'assistants' | 'batch';

/** The Files API: uploads (PDFs, Batch API input) and their clean-up. */
export interface FilesApi {
  /** Upload bytes (`purpose` default `user_data`). */
  upload(bytes: Uint8Array, fileName: string, purpose?: FilePurpose, signal?: AbortSignal): Promise<{ id: string }>;
  /** Delete a file. A file that is already gone counts as deleted. */
  delete(id: string, signal?: AbortSignal): Promise<void>;
}

export function filesApi({ call }: { call: Call }): FilesApi {
  return {
    async upload(bytes, fileName, purpose = 'user_data', signal) {
      // A File (Blob) body can be re-sent on every attempt, unlike a stream.
      const { toFile } = await loadOpenAI();
      const file = await toFile(bytes, fileName, {
        type: fileName.endsWith('.jsonl') ? 'application/jsonl' : 'application/pdf',
      });
      const { data } = await call({ operation: 'files.create', signal }, (s, sdk) =>
        sdk.files.create({ file, purpose }, s ? { signal: s } : {}),
      );
      return { id: data.id };
    },

    async delete(id, signal) {
      try {
        await call({ operation: 'files.delete', signal }, (s, sdk) => sdk.files.delete(id, s ? { signal: s } : {}));
      } catch (error) {
        if (isAutodError(error) && error.code === 'NOT_FOUND') return;
        throw error;
      }
    },
  };
}
