import { basename } from 'node:path';
import type { PipelineEvent } from '@autod/pipeline';
import type { UploadStatus } from './work.js';

/** Where a file is on its way through the server (uploads and files the pipeline picks up itself). */
export const DOCUMENT_STATES = ['queued', 'processing', 'retry_later', 'processed', 'duplicate', 'failed'] as const;
export type DocumentState = (typeof DOCUMENT_STATES)[number];

export interface DocumentStateEvent {
  /** Increasing per server process; the SSE event id (`Last-Event-ID` resumes after it). */
  seq: number;
  /** The content's sha256 (null when the pipeline has not hashed the file yet). */
  sha256: string | null;
  fileName: string;
  state: DocumentState;
  /** The document row, once there is one. */
  documentId: number | null;
  /** Why it failed or waits: the catalogue's code, message and hint. */
  error: { code: string; message: string; hint: string } | null;
  /** ISO-8601 */
  at: string;
}

export type DocumentStateListener = (event: DocumentStateEvent) => void;

const UPLOAD_STATE: Record<UploadStatus['status'], DocumentState> = {
  pending: 'queued',
  processing: 'processing',
  retry_later: 'retry_later',
};

/**
 * Live document states for `GET /v1/events`: fed by the upload tracker (queued, processing, waiting to retry)
 * and by the pipeline's own events (files from the watcher or batches, and every final outcome). Keeps the last
 * `limit` events so that a client that (re)connects sees the recent ones.
 */
export class DocumentEvents {
  private seq = 0;
  private readonly recent: DocumentStateEvent[] = [];
  private readonly listeners = new Set<DocumentStateListener>();
  /** File names of uploads in flight: their pipeline start is already told by the tracker. */
  private readonly uploadNames = new Map<string, string>();

  constructor(private readonly limit = 500) {}

  subscribe(listener: DocumentStateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Events after `afterSeq` (all kept ones without it), oldest first. */
  since(afterSeq?: number): DocumentStateEvent[] {
    return afterSeq === undefined ? [...this.recent] : this.recent.filter((e) => e.seq > afterSeq);
  }

  fromUpload(state: UploadStatus): void {
    this.uploadNames.set(state.fileName, state.sha256);
    this.emit({
      sha256: state.sha256,
      fileName: state.fileName,
      state: UPLOAD_STATE[state.status],
      documentId: null,
      error: null,
    });
  }

  fromPipeline(event: PipelineEvent): void {
    if (event.type === 'file.started') {
      const name = basename(event.path);
      if (this.uploadNames.has(name)) return;
      this.emit({ sha256: null, fileName: name, state: 'processing', documentId: null, error: null });
      return;
    }
    if (event.type !== 'file.finished') return;
    const o = event.outcome;
    if (o.kind === 'skipped') return;
    const fileName = basename(o.path);
    if (o.kind !== 'retry_later') this.uploadNames.delete(fileName);
    const error =
      o.kind === 'failed' || o.kind === 'retry_later'
        ? { code: o.error.code, message: o.error.message, hint: o.error.hint }
        : null;
    this.emit({
      sha256: o.sha256,
      fileName,
      state: o.kind,
      documentId: o.documentId,
      error,
    });
  }

  private emit(partial: Omit<DocumentStateEvent, 'seq' | 'at'>): void {
    const event: DocumentStateEvent = { seq: ++this.seq, ...partial, at: new Date().toISOString() };
    this.recent.push(event);
    if (this.recent.length > this.limit) this.recent.splice(0, this.recent.length - this.limit);
    while (this.uploadNames.size > this.limit) {
      const oldest = this.uploadNames.keys().next().value;
      if (oldest === undefined) break;
      this.uploadNames.delete(oldest);
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken stream must not stop the others.
      }
    }
  }
}
