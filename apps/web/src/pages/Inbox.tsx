import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { useDocumentEvents } from '../api/events.js';
import { toApiError, type ApiError } from '../api/errors.js';
import type { DocumentStateEvent } from '../api/models.js';
import { uploadFile } from '../api/upload.js';
import { EmptyState, PageHeading, ProgressBar } from '../components/ui.js';
import { formatBytes } from '../format.js';

export const ACCEPT =
  'application/pdf,image/jpeg,image/png,image/tiff,image/webp,.pdf,.jpg,.jpeg,.png,.tif,.tiff,.webp';

interface UploadItem {
  key: number;
  name: string;
  size: number;
  progress: number;
  sha256: string | null;
  error: ApiError | null;
}

const STATE_WORDS: Record<DocumentStateEvent['state'], string> = {
  queued: 'Queued',
  processing: 'Processing…',
  retry_later: 'Waiting to retry',
  processed: 'Processed',
  duplicate: 'Duplicate',
  failed: 'Failed',
};

function StateLine({ item, event }: { item: UploadItem; event: DocumentStateEvent | undefined }) {
  if (item.error) {
    return (
      <div className="state state-failed">
        <strong>Upload failed:</strong> {item.error.message} {item.error.hint}
      </div>
    );
  }
  if (!item.sha256) {
    return (
      <div className="state">
        <ProgressBar value={item.progress} label={`Uploading ${item.name}`} />
        <span className="state-words">Uploading… {Math.round(item.progress * 100)} %</span>
      </div>
    );
  }
  if (!event) return <div className="state">Uploaded, waiting for the server…</div>;
  const words = STATE_WORDS[event.state];
  return (
    <div className={`state state-${event.state}`}>
      <span className="state-words">{words}</span>
      {event.error ? (
        <span className="state-reason">
          {' '}
          — {event.error.message} <em>{event.error.hint}</em>
        </span>
      ) : null}
      {event.documentId !== null && (event.state === 'processed' || event.state === 'duplicate') ? (
        <>
          {' '}
          <Link href={`/documents/${event.documentId}`}>
            {event.state === 'duplicate' ? `Open the original (document ${event.documentId})` : 'Open the document'}
          </Link>
        </>
      ) : null}
    </div>
  );
}

export default function Inbox() {
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [states, setStates] = useState<Map<string, DocumentStateEvent>>(new Map());
  const [recent, setRecent] = useState<DocumentStateEvent[]>([]);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const nextKey = useRef(1);

  const remember = useCallback((event: DocumentStateEvent) => {
    if (event.sha256) {
      const sha = event.sha256;
      setStates((prev) => {
        const old = prev.get(sha);
        if (old && old.seq > event.seq) return prev;
        const next = new Map(prev);
        next.set(sha, event);
        return next;
      });
    }
    setRecent((prev) => [event, ...prev.filter((e) => e.seq !== event.seq)].slice(0, 20));
  }, []);

  useEffect(() => {
    void api.GET('/v1/events/recent').then(({ data }) => {
      for (const e of data?.items ?? []) remember(e);
    });
  }, [remember]);
  useDocumentEvents(remember);

  const start = useCallback((files: FileList | File[]) => {
    const list = [...files];
    if (list.length === 0) return;
    setError(null);
    const items = list.map((f) => ({
      key: nextKey.current++,
      name: f.name,
      size: f.size,
      progress: 0,
      sha256: null,
      error: null,
    }));
    setUploads((prev) => [...items, ...prev]);
    list.forEach((file, i) => {
      const key = items[i]!.key;
      const patch = (p: Partial<UploadItem>) =>
        setUploads((prev) => prev.map((u) => (u.key === key ? { ...u, ...p } : u)));
      const handle = uploadFile(file, (progress) => patch({ progress }));
      handle.done.then(
        (accepted) => patch({ sha256: accepted.sha256, progress: 1 }),
        (e: unknown) => patch({ error: toApiError(e) }),
      );
    });
  }, []);

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length > 0) start(e.dataTransfer.files);
    else setError(toApiError(new Error('Drop files (PDFs or images), not folders or links.')));
  };

  const others = recent.filter((e) => !uploads.some((u) => u.sha256 !== null && u.sha256 === e.sha256));

  return (
    <section>
      <PageHeading title="Inbox" />
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="dropzone-title">Drop scanned PDFs or photos here</p>
        <p>or</p>
        <label className="button button-primary file-label">
          Choose files…
          <input
            ref={inputRef}
            className="sr-only"
            type="file"
            multiple
            accept={ACCEPT}
            onChange={(e) => {
              if (e.target.files) start(e.target.files);
              e.target.value = '';
            }}
          />
        </label>
        <p className="muted">PDF, JPG, PNG, TIFF or WebP. Several at once are fine; each is read, filed and indexed.</p>
      </div>
      {error ? (
        <p className="notice notice-error" role="alert">
          {error.message}
        </p>
      ) : null}

      <h2>Uploads</h2>
      {uploads.length === 0 ? (
        <EmptyState title="Nothing uploaded from this page yet.">
          <p>
            Drop files above, or copy them into the server&apos;s inbox folder (with <code>autod serve --watch</code>{' '}
            they are picked up by themselves). Every file ends as a document, a duplicate, or a failure with the reason.
          </p>
        </EmptyState>
      ) : (
        <ul className="uploads" aria-live="polite">
          {uploads.map((item) => (
            <li key={item.key} className="upload">
              <div className="upload-name">
                <strong>{item.name}</strong> <span className="muted">{formatBytes(item.size)}</span>
              </div>
              <StateLine item={item} event={item.sha256 ? states.get(item.sha256) : undefined} />
            </li>
          ))}
        </ul>
      )}

      {others.length > 0 ? (
        <>
          <h2>Recent activity on the server</h2>
          <ul className="activity">
            {others.map((e) => (
              <li key={e.seq}>
                <span className={`badge badge-${e.state}`}>{STATE_WORDS[e.state]}</span> {e.fileName}
                {e.error ? <span className="muted"> — {e.error.message}</span> : null}
                {e.documentId !== null && e.state !== 'failed' ? (
                  <>
                    {' '}
                    <Link href={`/documents/${e.documentId}`}>document {e.documentId}</Link>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
