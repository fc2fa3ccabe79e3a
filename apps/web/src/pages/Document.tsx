import { lazy, Suspense, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { CATEGORIES, SUBCATEGORIES } from '../api/enums.js';
import { toApiError, unwrap, type ApiError } from '../api/errors.js';
import type { Ok } from '../api/models.js';
import {
  type DocumentDetail,
  type DocumentRow,
  type EvidenceField,
  type FieldEvidence,
  type PatchResult,
} from '../api/models.js';
import type { Highlight } from '../components/PdfViewer.js';
import { Confidence, EmptyState, ErrorNotice, Loading, PageHeading, useAsync } from '../components/ui.js';
import { formatDate, formatDateTime, formatMoney, formatUsd } from '../format.js';

const PdfViewer = lazy(() => import('../components/PdfViewer.js'));

type Corrections = Ok<'/v1/documents/{id}/corrections', 'get'>['items'];

/** The fields a person can correct (PATCH /v1/documents/{id}), with how to show and edit them. */
export const EDITABLE: { key: string; label: string; evidence?: EvidenceField; type?: 'date' | 'number' | 'select' }[] =
  [
    { key: 'issuer', label: 'Issuer', evidence: 'issuer' },
    { key: 'customer', label: 'Customer', evidence: 'customer' },
    { key: 'primary_date', label: 'Date', evidence: 'primary_date', type: 'date' },
    { key: 'total_amount', label: 'Total amount', evidence: 'total_amount', type: 'number' },
    { key: 'currency', label: 'Currency', evidence: 'currency' },
    { key: 'invoice_number', label: 'Invoice number', evidence: 'invoice_number' },
    { key: 'due_date', label: 'Due date', evidence: 'due_date', type: 'date' },
    { key: 'doc_type', label: 'Type' },
    { key: 'category', label: 'Category', type: 'select' },
    { key: 'subcategory', label: 'Subcategory', type: 'select' },
    { key: 'title', label: 'Title' },
  ];

/** The current value of an editable field, as the form shows it. */
export function fieldValue(doc: DocumentRow, key: string): string {
  const m = doc.metadata;
  const v: string | number | null | undefined = {
    issuer: doc.issuer,
    customer: doc.customer,
    primary_date: doc.primaryDate,
    total_amount: doc.totalAmount,
    currency: doc.currency,
    invoice_number: doc.invoiceNumber,
    due_date: doc.dueDate,
    doc_type: doc.docType,
    category: doc.category,
    subcategory: doc.subcategory,
    title: doc.title ?? m?.title ?? null,
  }[key];
  return v === null || v === undefined ? '' : String(v);
}

/** The PATCH body for what changed in the form ('' clears a field; amounts become numbers). */
export function changedFields(doc: DocumentRow, draft: Record<string, string>): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const f of EDITABLE) {
    const next = draft[f.key];
    if (next === undefined || next === fieldValue(doc, f.key)) continue;
    if (next.trim() === '') out[f.key] = null;
    else out[f.key] = f.type === 'number' ? Number(next) : next.trim();
  }
  return out;
}

function displayValue(doc: DocumentRow, key: string): string {
  if (key === 'total_amount') return formatMoney(doc.totalAmount, doc.currency);
  return fieldValue(doc, key) || '—';
}

export function EditForm({
  doc,
  onSaved,
  onCancel,
  autoFocus = true,
}: {
  doc: DocumentRow;
  onSaved: (result: PatchResult) => void;
  onCancel: () => void;
  autoFocus?: boolean;
}) {
  const [draft, setDraft] = useState<Record<string, string>>(() =>
    Object.fromEntries(EDITABLE.map((f) => [f.key, fieldValue(doc, f.key)])),
  );
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const fields = changedFields(doc, draft);
    if (Object.keys(fields).length === 0) {
      onCancel();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await unwrap<PatchResult>(
        api.PATCH('/v1/documents/{id}', {
          params: { path: { id: String(doc.id) } },
          body: { fields: fields as never, ...(note.trim() ? { note: note.trim() } : {}) },
        }),
      );
      onSaved(result);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="edit-form" onSubmit={(e) => void save(e)} aria-label="Correct the fields">
      {EDITABLE.map((f, i) => (
        <div className="field" key={f.key}>
          <label htmlFor={`edit-${f.key}`}>{f.label}</label>
          {f.type === 'select' ? (
            <select
              id={`edit-${f.key}`}
              value={draft[f.key] ?? ''}
              onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
            >
              {f.key === 'subcategory' ? <option value="">(none)</option> : null}
              {(f.key === 'category' ? CATEGORIES : SUBCATEGORIES).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          ) : (
            <input
              id={`edit-${f.key}`}
              type={f.type === 'date' ? 'date' : f.type === 'number' ? 'number' : 'text'}
              step={f.type === 'number' ? 'any' : undefined}
              inputMode={f.type === 'number' ? 'decimal' : undefined}
              autoFocus={autoFocus && i === 0}
              value={draft[f.key] ?? ''}
              onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
            />
          )}
        </div>
      ))}
      <div className="field field-wide">
        <label htmlFor="edit-note">Note (kept in the audit log)</label>
        <input id="edit-note" type="text" value={note} onChange={(e) => setNote(e.target.value)} />
      </div>
      <ErrorNotice error={error} />
      <div className="filter-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save corrections'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Thumbnails({
  doc,
  pages,
  current,
  onSelect,
}: {
  doc: DocumentRow;
  pages: number;
  current: number;
  onSelect: (n: number) => void;
}) {
  if (pages <= 1) return null;
  return (
    <ol className="thumbs" aria-label="Pages">
      {Array.from({ length: Math.min(pages, 200) }, (_, i) => i + 1).map((n) => (
        <li key={n}>
          <button
            type="button"
            className={n === current ? 'thumb current' : 'thumb'}
            aria-current={n === current ? 'page' : undefined}
            onClick={() => onSelect(n)}
          >
            <img src={`/v1/documents/${doc.id}/pages/${n}/thumbnail`} alt="" loading="lazy" width={90} />
            <span>Page {n}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}

function FieldList({ doc, onHighlight }: { doc: DocumentRow; onHighlight: (field: EvidenceField | null) => void }) {
  const evidence = doc.metadata?.field_evidence ?? {};
  return (
    <dl className="fields">
      {EDITABLE.map((f) => {
        const ev: FieldEvidence | null | undefined = f.evidence ? evidence[f.evidence] : undefined;
        const canShow = Boolean(ev?.page);
        return (
          <div
            key={f.key}
            className={canShow ? 'field-row has-evidence' : 'field-row'}
            onMouseEnter={() => f.evidence && onHighlight(f.evidence)}
            onMouseLeave={() => onHighlight(null)}
            onFocus={() => f.evidence && onHighlight(f.evidence)}
            onBlur={() => onHighlight(null)}
            tabIndex={canShow ? 0 : undefined}
            data-field={f.key}
          >
            <dt>{f.label}</dt>
            <dd>
              <span className="field-value">{displayValue(doc, f.key)}</span>{' '}
              {f.evidence ? <Confidence value={ev?.confidence} /> : null}
              {ev?.source_text ? <span className="source-text">“{ev.source_text}”</span> : null}
              {ev?.page ? <span className="muted"> page {ev.page}</span> : null}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

export default function DocumentPage({ id }: { id: string }) {
  const state = useAsync(
    () => unwrap<DocumentDetail>(api.GET('/v1/documents/{id}', { params: { path: { id } } })),
    [id],
  );
  const corrections = useAsync<Corrections>(
    () =>
      unwrap<{ items: Corrections }>(api.GET('/v1/documents/{id}/corrections', { params: { path: { id } } })).then(
        (r) => r.items,
      ),
    [id],
  );
  const [page, setPage] = useState(1);
  const [pageCount, setPageCount] = useState<number | null>(null);
  const [highlight, setHighlight] = useState<Highlight | null>(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  if (state.loading && !state.data) return <Loading />;
  if (state.error && !state.data)
    return (
      <section>
        <PageHeading title="Document" />
        <ErrorNotice error={state.error} onRetry={state.reload} />
        <p>
          <Link href="/documents">Back to the documents</Link>
        </p>
      </section>
    );
  const detail = state.data;
  if (!detail?.document) {
    return (
      <section>
        <PageHeading title="Document" />
        <EmptyState title="This document is still on its way.">
          <p>It was received and is being processed; this page shows it once it is stored. Reload in a moment.</p>
        </EmptyState>
      </section>
    );
  }
  const doc = detail.document;
  const meta = doc.metadata;
  const title = doc.title ?? meta?.title ?? doc.fileName;

  const onHighlight = (field: EvidenceField | null) => {
    const ev = field ? meta?.field_evidence?.[field] : null;
    if (!field || !ev?.page) {
      setHighlight(null);
      return;
    }
    setHighlight({ page: ev.page, box: ev.box, label: field });
    setPage(ev.page);
  };

  const act = async (name: string, run: () => Promise<void>) => {
    setBusy(name);
    setActionError(null);
    setMessage(null);
    try {
      await run();
    } catch (e) {
      setActionError(toApiError(e));
    } finally {
      setBusy(null);
    }
  };

  const reprocess = () =>
    act('reprocess', async () => {
      await unwrap(api.POST('/v1/documents/{id}/reprocess', { params: { path: { id: String(doc.id) }, query: {} } }));
      setMessage('Extracted again; corrections made in review were kept.');
      state.reload();
    });

  const accept = () =>
    act('accept', async () => {
      await unwrap<PatchResult>(
        api.PATCH('/v1/documents/{id}', { params: { path: { id: String(doc.id) } }, body: { accept: true } }),
      );
      setMessage('Accepted: the document left the review queue.');
      state.reload();
      corrections.reload();
    });

  const actions = meta?.action_items ?? [];
  const pages = pageCount ?? doc.pageCount ?? 1;

  return (
    <section className="document">
      <PageHeading title={title}>
        <p className="muted">
          {doc.fileName} · document {doc.id} · <span className={`badge badge-${doc.status}`}>{doc.status}</span>
          {doc.needsReview ? <span className="badge badge-review">needs review</span> : null}
        </p>
      </PageHeading>
      {doc.status === 'failed' ? (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">{doc.errorMessage ?? 'Processing failed.'}</p>
          <p className="notice-hint">{doc.errorCode}</p>
        </div>
      ) : null}
      {doc.status === 'waiting' ? (
        <div className="notice" role="status">
          <p className="notice-title">{doc.errorMessage ?? 'Waiting for a retry.'}</p>
          <p className="notice-hint">
            {doc.errorCode}
            {doc.retryAt ? ` · next try ${new Date(doc.retryAt).toLocaleString()}` : ''}
          </p>
        </div>
      ) : null}
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      <ErrorNotice error={actionError} />
      <div className="doc-actions">
        <a className="button" href={`/v1/documents/${doc.id}/original`} download>
          Download original
        </a>
        <a className="button" href={`/v1/documents/${doc.id}/file`} download>
          Download archive PDF
        </a>
        <button type="button" className="button" disabled={busy !== null} onClick={() => void reprocess()}>
          {busy === 'reprocess' ? 'Reprocessing…' : 'Reprocess'}
        </button>
        {doc.needsReview ? (
          <button type="button" className="button" disabled={busy !== null} onClick={() => void accept()}>
            Accept as is
          </button>
        ) : null}
        <button type="button" className="button button-primary" onClick={() => setEditing((e) => !e)}>
          {editing ? 'Close the editor' : 'Edit fields'}
        </button>
      </div>

      <div className="doc-layout">
        <div className="doc-viewer">
          <Suspense fallback={<Loading label="Loading the PDF viewer…" />}>
            <PdfViewer
              url={`/v1/documents/${doc.id}/file`}
              title={title}
              page={page}
              highlight={highlight}
              onPageCount={setPageCount}
            />
          </Suspense>
          <Thumbnails doc={doc} pages={pages} current={page} onSelect={setPage} />
        </div>
        <div className="doc-side">
          <h2>Extracted fields</h2>
          {editing ? (
            <EditForm
              doc={doc}
              onCancel={() => setEditing(false)}
              onSaved={(result) => {
                state.setData({ ...detail, document: result.document });
                corrections.setData(result.corrections as Corrections);
                setEditing(false);
                setMessage('Saved. The correction is kept and audited; reprocessing keeps it.');
              }}
            />
          ) : (
            <>
              <p className="muted">Hover or focus a field to see where it was read on the page.</p>
              <FieldList doc={doc} onHighlight={onHighlight} />
            </>
          )}
          {doc.needsReview && doc.reviewReasons.length > 0 ? (
            <>
              <h3>Why it needs a review</h3>
              <ul>
                {doc.reviewReasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </>
          ) : null}

          <h2>Action items and dates</h2>
          {actions.length === 0 && !doc.dueDate && !meta?.deadline ? (
            <p className="muted">Nothing to do for this document.</p>
          ) : (
            <ul className="actions">
              {doc.dueDate ? <li>Due date: {formatDate(doc.dueDate)}</li> : null}
              {meta?.deadline ? <li>Deadline: {meta.deadline}</li> : null}
              {actions.map((a, i) => (
                <li key={i}>
                  {a.description}
                  {a.due ? <strong> — due {a.due}</strong> : null}
                  {a.priority ? <span className="muted"> ({a.priority})</span> : null}
                </li>
              ))}
            </ul>
          )}

          {meta?.summary ? (
            <>
              <h2>Summary</h2>
              <p>{meta.summary}</p>
            </>
          ) : null}

          <h2>Extraction attempts</h2>
          {detail.attempts.length === 0 ? (
            <p className="muted">No attempts recorded.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Model</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Cost
                    </th>
                    <th scope="col" className="num">
                      Time
                    </th>
                    <th scope="col">When</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.attempts.map((a) => (
                    <tr key={a.id}>
                      <td>{a.attemptNo}</td>
                      <td>{a.provider}</td>
                      <td>{a.model}</td>
                      <td>
                        {a.status}
                        {a.errorMessage ? <span className="muted"> — {a.errorMessage}</span> : null}
                      </td>
                      <td className="num">{formatUsd(a.costUsd)}</td>
                      <td className="num">{(a.latencyMs / 1000).toFixed(1)} s</td>
                      <td>{formatDateTime(a.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <h2>Duplicates</h2>
          {detail.duplicates.length === 0 && doc.nearDuplicateOf === null ? (
            <p className="muted">No copies of this document were seen.</p>
          ) : (
            <ul>
              {doc.nearDuplicateOf !== null ? (
                <li>
                  Looks like a near-duplicate of{' '}
                  <Link href={`/documents/${doc.nearDuplicateOf}`}>document {doc.nearDuplicateOf}</Link>
                </li>
              ) : null}
              {detail.duplicates.map((d) => (
                <li key={d.id}>
                  Same file received again as <strong>{d.fileName}</strong> on {formatDateTime(d.detectedAt)}
                </li>
              ))}
            </ul>
          )}

          <h2>Review history</h2>
          {(corrections.data ?? []).length === 0 ? (
            <p className="muted">Nobody has corrected or accepted this document yet.</p>
          ) : (
            <ol className="audit">
              {(corrections.data ?? []).map((c) => (
                <li key={c.id}>
                  {formatDateTime(c.at)} — {c.actor}:{' '}
                  {c.kind === 'accept' ? (
                    'accepted the extraction'
                  ) : (
                    <>
                      set <code>{c.field}</code> from {JSON.stringify(c.previous)} to {JSON.stringify(c.value)}
                    </>
                  )}
                  {c.note ? <em> ({c.note})</em> : null}
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>
    </section>
  );
}
