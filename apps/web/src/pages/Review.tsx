import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { toApiError, unwrap, type ApiError } from '../api/errors.js';
import type { DocumentList, PatchResult } from '../api/models.js';
import { EmptyState, ErrorNotice, Loading, PageHeading, Confidence, useAsync } from '../components/ui.js';
import { EDITABLE, EditForm, fieldValue } from './Document.js';
import { formatMoney } from '../format.js';

/** True when a key press belongs to a form control (shortcuts stay out of the way). */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export default function Review() {
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState(0);
  const state = useAsync(
    () => unwrap<DocumentList>(api.GET('/v1/review', { params: { query: { limit: 1, offset } } })),
    [offset],
  );
  const doc = state.data?.items[0];
  const total = state.data?.total ?? 0;

  const next = () => {
    setEditing(false);
    setError(null);
    setOffset((o) => (o + 1 < total ? o + 1 : 0));
  };

  const accept = async () => {
    if (!doc || busy) return;
    setBusy(true);
    setError(null);
    try {
      await unwrap<PatchResult>(
        api.PATCH('/v1/documents/{id}', { params: { path: { id: String(doc.id) } }, body: { accept: true } }),
      );
      setDone((d) => d + 1);
      setEditing(false);
      // The accepted document left the queue: the same position now holds the next one.
      if (offset >= total - 1) setOffset(0);
      state.reload();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
      if (e.key === 'a') {
        e.preventDefault();
        void accept();
      } else if (e.key === 'e') {
        e.preventDefault();
        setEditing(true);
      } else if (e.key === 'n' || e.key === 'j') {
        e.preventDefault();
        next();
      } else if (e.key === 'Escape') setEditing(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <section>
      <PageHeading title="Review">
        <p className="counter" role="status" aria-live="polite">
          {total === 0 ? 'Nothing to review' : `${Math.min(offset + 1, total)} of ${total} to review`}
          {done > 0 ? ` · ${done} done in this session` : ''}
        </p>
      </PageHeading>
      <p className="muted keys">
        Keys: <kbd>a</kbd> accept · <kbd>e</kbd> edit · <kbd>n</kbd> next · <kbd>Esc</kbd> close the editor
      </p>
      <ErrorNotice error={error ?? state.error} onRetry={state.reload} />
      {state.loading && !state.data ? <Loading /> : null}
      {state.data && !doc ? (
        <EmptyState title="All caught up.">
          <p>
            Documents land here when a key field (issuer, date, amount…) is unsure or missing. Upload more on the{' '}
            <Link href="/">Inbox</Link>.
          </p>
        </EmptyState>
      ) : null}
      {doc ? (
        <article className="review-card card" aria-labelledby="review-title">
          <h2 id="review-title">
            <Link href={`/documents/${doc.id}`}>{doc.title ?? doc.issuer ?? doc.fileName}</Link>
          </h2>
          <p className="muted">
            {doc.fileName} · {formatMoney(doc.totalAmount, doc.currency)}
          </p>
          {doc.reviewReasons.length > 0 ? (
            <ul className="reasons">
              {doc.reviewReasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : null}
          <div className="review-body">
            <img
              className="review-thumb"
              src={`/v1/documents/${doc.id}/pages/1/thumbnail`}
              alt={`First page of ${doc.fileName}`}
              width={240}
            />
            {editing ? (
              <EditForm
                key={doc.id}
                doc={doc}
                onCancel={() => setEditing(false)}
                onSaved={(_r: PatchResult) => {
                  setEditing(false);
                  state.reload();
                }}
              />
            ) : (
              <dl className="fields">
                {EDITABLE.map((f) => (
                  <div className="field-row" key={f.key}>
                    <dt>{f.label}</dt>
                    <dd>
                      {fieldValue(doc, f.key) || '—'}{' '}
                      {f.evidence ? (
                        <Confidence value={doc.metadata?.field_evidence?.[f.evidence]?.confidence} />
                      ) : null}
                    </dd>
                  </div>
                ))}
              </dl>
            )}
          </div>
          <div className="doc-actions">
            <button
              type="button"
              className="button button-primary"
              aria-keyshortcuts="a"
              disabled={busy}
              onClick={() => void accept()}
            >
              Accept (a)
            </button>
            <button type="button" className="button" aria-keyshortcuts="e" onClick={() => setEditing(true)}>
              Edit (e)
            </button>
            <button type="button" className="button" aria-keyshortcuts="n" onClick={next}>
              Next (n)
            </button>
          </div>
        </article>
      ) : null}
    </section>
  );
}
