import { useEffect, useRef } from 'react';
import type { Paths } from './client.js';
import type { BatchProgressEvent, DocumentStateEvent } from './models.js';

/** The document-state stream of the generated schema (server-sent events). */
export const EVENTS_PATH = '/v1/events' satisfies keyof Paths;
export const BATCH_EVENTS_PATH = '/v1/batches/{id}/events' satisfies keyof Paths;

/** Calls `onEvent` for every document state the server reports while the component is mounted. */
export function useDocumentEvents(onEvent: (event: DocumentStateEvent) => void, enabled = true): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource(EVENTS_PATH, { withCredentials: true });
    const listener = (e: MessageEvent<string>) => {
      try {
        handler.current(JSON.parse(e.data) as DocumentStateEvent);
      } catch {
        // a malformed event is skipped
      }
    };
    source.addEventListener('document', listener);
    return () => {
      source.removeEventListener('document', listener);
      source.close();
    };
  }, [enabled]);
}

/** Follows one batch's progress until its "end" event. */
export function useBatchEvents(batchId: string | null, onEvent: (event: BatchProgressEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!batchId || typeof EventSource === 'undefined') return;
    const url = BATCH_EVENTS_PATH.replace('{id}', encodeURIComponent(batchId));
    const source = new EventSource(url, { withCredentials: true });
    const types = ['snapshot', 'start', 'progress', 'end'] as const;
    const listener = (e: MessageEvent<string>) => {
      try {
        const event = JSON.parse(e.data) as BatchProgressEvent;
        handler.current(event);
        if (event.type === 'end') source.close();
      } catch {
        // skipped
      }
    };
    for (const t of types) source.addEventListener(t, listener);
    return () => {
      for (const t of types) source.removeEventListener(t, listener);
      source.close();
    };
  }, [batchId]);
}
