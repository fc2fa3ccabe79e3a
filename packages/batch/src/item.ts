import type { Database } from '@autod/db';
import type { AutodErrorJSON } from '@autod/errors';
import type { Pipeline, ProcessOutcome } from '@autod/pipeline';
import type { ItemCheckpoints, ItemPatch } from './store.js';
import type { BatchItem, BatchItemError } from './types.js';

/** What the batch runners need of the pipeline. */
export type BatchPipeline = Pick<Pipeline, 'processFile' | 'recover' | 'dirs'> & Partial<Pick<Pipeline, 'ocr'>>;

/** How one attempt at an item ended. */
export type ItemAttempt =
  /** The item reached a final status (done, duplicate, failed, skipped). */
  | { kind: 'final'; patch: ItemPatch & { status: 'done' | 'duplicate' | 'failed' | 'skipped' } }
  /** A transient problem: try again later (the claim was released, the file is where it was). */
  | { kind: 'retry'; error: BatchItemError }
  /** Cancelled: the item stays pending. */
  | { kind: 'aborted' };

function short(e: AutodErrorJSON | BatchItemError): BatchItemError {
  return { code: e.code, message: e.message };
}

/**
 * The file of a pending item is gone. If an earlier (crashed) run committed it, the document says how it ended:
 * checkpoint that instead of doing it again.
 */
export async function settleVanished(db: Database, item: BatchItem): Promise<ItemAttempt> {
  const doc = item.sha256 ? await db.documents.get(item.sha256) : undefined;
  if (doc?.status === 'completed') {
    const attempts = await db.attempts.list(doc.id);
    const costUsd = attempts.filter((a) => a.status === 'succeeded').reduce((s, a) => s + a.costUsd, 0);
    const duplicate = doc.sourcePath !== item.path;
    return {
      kind: 'final',
      patch: duplicate
        ? { status: 'duplicate', documentId: doc.id, error: null, costUsd: 0 }
        : { status: 'done', documentId: doc.id, error: null, costUsd },
    };
  }
  if (doc?.status === 'failed') {
    return {
      kind: 'final',
      patch: {
        status: 'failed',
        documentId: doc.id,
        error: { code: doc.errorCode ?? 'INTERNAL', message: doc.errorMessage ?? 'failed in an earlier run' },
      },
    };
  }
  return {
    kind: 'final',
    patch: { status: 'skipped', error: { code: 'NOT_FOUND', message: `The file is gone: ${item.path}` } },
  };
}

/**
 * One attempt at one batch item through the pipeline (read → hash → claim → extract → persist → file). The item's
 * SHA-256 is checkpointed before the pipeline claims the document, so a crash after the pipeline committed is
 * recognised on resume and the document is never processed twice. Never throws for a bad document.
 */
export async function attemptItem(
  deps: { db: Database; pipeline: BatchPipeline; store: ItemCheckpoints },
  item: BatchItem,
  signal?: AbortSignal,
): Promise<ItemAttempt> {
  if (signal?.aborted) return { kind: 'aborted' };
  // The pipeline reads and hashes the file once; its SHA-256 is checkpointed before the document is claimed.
  const outcome = await deps.pipeline.processFile(item.path, signal, {
    onHashed: async (sha256) => {
      if (sha256 === item.sha256) return;
      await deps.store.updateItem(item.id, { sha256 });
      item = { ...item, sha256 };
    },
  });
  if (outcome.kind === 'skipped' && outcome.reason === 'vanished') return settleVanished(deps.db, item);
  return outcomeAttempt(outcome);
}

/** How a pipeline outcome settles a batch item (a vanished file: see `settleVanished`, which looks at its document). */
export function outcomeAttempt(outcome: ProcessOutcome): ItemAttempt {
  switch (outcome.kind) {
    case 'processed':
      return {
        kind: 'final',
        patch: { status: 'done', documentId: outcome.documentId, costUsd: outcome.costUsd, error: null },
      };
    case 'duplicate':
      return { kind: 'final', patch: { status: 'duplicate', documentId: outcome.documentId, error: null } };
    case 'failed':
      return {
        kind: 'final',
        patch: { status: 'failed', documentId: outcome.documentId, error: short(outcome.error) },
      };
    case 'retry_later':
      return { kind: 'retry', error: short(outcome.error) };
    case 'skipped':
      if (outcome.reason === 'aborted') return { kind: 'aborted' };
      if (outcome.reason === 'held') {
        return { kind: 'retry', error: { code: 'CLAIM_HELD', message: 'Another worker is processing this document.' } };
      }
      if (outcome.reason === 'vanished') {
        return {
          kind: 'final',
          patch: { status: 'skipped', error: { code: 'NOT_FOUND', message: `The file is gone: ${outcome.path}` } },
        };
      }
      return {
        kind: 'final',
        patch: { status: 'skipped', error: { code: 'INPUT_NOT_PDF', message: 'Not a candidate file.' } },
      };
  }
}
