import type { PipelineEvent } from '@autod/pipeline';

export type PipelineEventListener = (event: PipelineEvent) => void;

/**
 * Fans the pipeline's events (file started, stage done, file finished) out to any number of listeners, e.g. the
 * server's live document-state stream. A listener that throws is ignored: a display must never break processing.
 */
export class PipelineEventHub {
  private readonly listeners = new Set<PipelineEventListener>();

  /** Adds a listener; returns its unsubscribe function. */
  subscribe(listener: PipelineEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(event: PipelineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A display must never break processing.
      }
    }
  }
}
