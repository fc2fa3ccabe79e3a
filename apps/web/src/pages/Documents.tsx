import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api } from '../api/client.js';
import { CATEGORIES } from '../api/enums.js';
import { unwrap } from '../api/errors.js';
import type { DocumentList, DocumentRow, SearchResponse } from '../api/models.js';
import { EmptyState, ErrorNotice, Loading, PageHeading, useAsync } from '../components/ui.js';
import { formatDate, formatMoney, snippetParts } from '../format.js';

export const PAGE_SIZE = 50;

/** Filters the list and search endpoints share (names as in the API and the URL). */
export const FILTER_KEYS = [
  'status',
  'category',
  'docType',
  'issuer',
  'customer',
  'invoiceNumber',
  'from',
  'to',
  'minAmount',
  'maxAmount',
  'needsReview',
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type SortKey = 'primaryDate' | 'issuer' | 'totalAmount' | 'createdAt' | 'title';

interface Query {
  q: string;
  filters: Partial<Record<FilterKey, string>>;
  orderBy: SortKey;
  order: 'asc' | 'desc';
  page: number;
}

const SORTS: SortKey[] = ['primaryDate', 'issuer', 'totalAmount', 'createdAt', 'title'];

export function parseQuery(search: string): Query {
  const p = new URLSearchParams(search);
  const filters: Partial<Record<FilterKey, string>> = {};
  for (const k of FILTER_KEYS) {
    const v = p.get(k);
    if (v) filters[k] = v;
  }
  const orderBy = p.get('orderBy') as SortKey | null;
  return {
    q: p.get('q') ?? '',
    filters,
    orderBy: orderBy && SORTS.includes(orderBy) ? orderBy : 'createdAt',
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
    page: Math.max(1, Number(p.get('page')) || 1),
  };
}

export function queryString(q: Query): string {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  for (const k of FILTER_KEYS) {
    const v = q.filters[k];
    if (v) p.set(k, v);
  }
  if (q.orderBy !== 'createdAt') p.set('orderBy', q.orderBy);
  if (q.order !== 'desc') p.set('order', q.order);
  if (q.page > 1) p.set('page', String(q.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function apiFilters(filters: Query['filters']) {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(filters)) {
    if (v === undefined || v === '') continue;
    out[k] = k === 'minAmount' || k === 'maxAmount' ? Number(v) : v;
  }
  return out;
}

type Result = { kind: 'list'; list: DocumentList } | { kind: 'search'; search: SearchResponse };

async function load(q: Query): Promise<Result> {
  const filters = apiFilters(q.filters);
  if (q.q) {
    const search = await unwrap<SearchResponse>(
      // How many hits: the server's SEARCH_DEFAULT_TOP_K (a larger limit than SEARCH_MAX_TOP_K is refused).
      api.GET('/v1/search', { params: { query: { q: q.q, mode: 'hybrid', ...filters } } }),
    );
    return { kind: 'search', search };
  }
  const list = await unwrap<DocumentList>(
    api.GET('/v1/documents', {
      params: {
        query: {
          ...filters,
          limit: PAGE_SIZE,
          offset: (q.page - 1) * PAGE_SIZE,
          orderBy: q.orderBy,
          order: q.order,
        },
      },
    }),
  );
  return { kind: 'list', list };
}

/** A list fetched before the page rendered (see `prefetchDocuments`), used once if it is recent. */
const prefetched = new Map<string, { at: number; promise: Promise<Result> }>();

/**
 * Starts loading the list for `search` right away (called at start-up when the page opens on /documents), so that the
 * request runs while the session is checked and the page renders, not after.
 */
export function prefetchDocuments(search: string): void {
  const key = search.replace(/^\?/, '');
  const promise = load(parseQuery(key));
  promise.catch(() => undefined);
  prefetched.set(key, { at: Date.now(), promise });
}

function loadOnce(search: string, q: Query): Promise<Result> {
  const hit = prefetched.get(search);
  prefetched.delete(search);
  if (hit && Date.now() - hit.at < 10_000) return hit.promise.catch(() => load(q));
  return load(q);
}

function SortHeader({
  label,
  column,
  query,
  onSort,
}: {
  label: string;
  column: SortKey;
  query: Query;
  onSort: (column: SortKey) => void;
}) {
  const active = query.orderBy === column && !query.q;
  return (
    <th scope="col" aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(column)} disabled={Boolean(query.q)}>
        {label}
        <span aria-hidden="true">{active ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

function Row({ doc, snippet }: { doc: DocumentRow; snippet?: string }) {
  return (
    <tr>
      <td data-label="Date">{formatDate(doc.primaryDate)}</td>
      <td data-label="Issuer">
        <Link href={`/documents/${doc.id}`}>{doc.issuer ?? doc.title ?? doc.fileName}</Link>
        {snippet ? (
          <p className="snippet">
            {snippetParts(snippet).map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : part.text))}
          </p>
        ) : null}
      </td>
      <td data-label="Type">{doc.docType ?? '—'}</td>
      <td data-label="Category">{doc.category ?? '—'}</td>
      <td data-label="Amount" className="num">
        {formatMoney(doc.totalAmount, doc.currency)}
      </td>
      <td data-label="Status">
        <span className={`badge badge-${doc.status}`}>{doc.status}</span>
      </td>
      <td data-label="Review">
        {doc.needsReview ? (
          <span className="badge badge-review" title={doc.reviewReasons.join('; ')}>
            needs review
          </span>
        ) : (
          <span className="sr-only">no review needed</span>
        )}
      </td>
    </tr>
  );
}

function Filters({ query, onApply }: { query: Query; onApply: (filters: Query['filters']) => void }) {
  const [draft, setDraft] = useState(query.filters);
  useEffect(() => setDraft(query.filters), [query.filters]);
  const field = (key: FilterKey, label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`f-${key}`}>{label}</label>
      <input
        id={`f-${key}`}
        type={type}
        inputMode={type === 'number' ? 'decimal' : undefined}
        step={type === 'number' ? 'any' : undefined}
        value={draft[key] ?? ''}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </div>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filters">
      <div className="field">
        <label htmlFor="f-category">Category</label>
        <select
          id="f-category"
          value={draft.category ?? ''}
          onChange={(e) => setDraft({ ...draft, category: e.target.value })}
        >
          <option value="">Any</option>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      {field('docType', 'Type')}
      {field('issuer', 'Issuer contains')}
      {field('customer', 'Customer contains')}
      {field('invoiceNumber', 'Invoice number')}
      {field('from', 'Date from', 'date')}
      {field('to', 'Date to', 'date')}
      {field('minAmount', 'Amount at least', 'number')}
      {field('maxAmount', 'Amount at most', 'number')}
      <div className="field">
        <label htmlFor="f-status">Status</label>
        <select
          id="f-status"
          value={draft.status ?? ''}
          onChange={(e) => setDraft({ ...draft, status: e.target.value })}
        >
          <option value="">Any</option>
          <option value="completed">completed</option>
          <option value="processing">processing</option>
          <option value="waiting">waiting</option>
          <option value="failed">failed</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-needsReview">Needs review</label>
        <select
          id="f-needsReview"
          value={draft.needsReview ?? ''}
          onChange={(e) => setDraft({ ...draft, needsReview: e.target.value })}
        >
          <option value="">Either</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      </div>
      <div className="filter-actions">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        <button type="button" className="button" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}

export default function Documents() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const query = parseQuery(search);
  const [text, setText] = useState(query.q);
  useEffect(() => setText(query.q), [query.q]);
  const state = useAsync(() => loadOnce(search, query), [search]);
  const go = (next: Query) => navigate(`/documents${queryString(next)}`);

  const onSort = (column: SortKey) =>
    go({
      ...query,
      orderBy: column,
      order: query.orderBy === column && query.order === 'desc' ? 'asc' : 'desc',
      page: 1,
    });

  const result = state.data;
  const rows: { doc: DocumentRow; snippet?: string }[] =
    result?.kind === 'list'
      ? result.list.items.map((doc) => ({ doc }))
      : (result?.search.hits ?? []).flatMap((h) => (h.document ? [{ doc: h.document, snippet: h.snippet }] : []));
  const total = result?.kind === 'list' ? result.list.total : rows.length;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtered = Object.keys(query.filters).length > 0;

  return (
    <section>
      <PageHeading title="Documents" />
      <form
        className="searchbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...query, q: text.trim(), page: 1 });
        }}
      >
        <label htmlFor="q" className="sr-only">
          Search documents
        </label>
        <input
          id="q"
          type="search"
          placeholder="Search: “water bill March”, an issuer, an invoice number…"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="button button-primary">
          Search
        </button>
      </form>
      <details className="filters-box" open={filtered}>
        <summary>Filters{filtered ? ` (${Object.keys(query.filters).length} set)` : ''}</summary>
        <Filters query={query} onApply={(filters) => go({ ...query, filters, page: 1 })} />
      </details>

      <ErrorNotice error={state.error} onRetry={state.reload} />
      <p className="muted" role="status" aria-live="polite">
        {state.loading
          ? 'Loading…'
          : query.q
            ? `${rows.length} match${rows.length === 1 ? '' : 'es'} for “${query.q}”`
            : `${total} document${total === 1 ? '' : 's'}`}
      </p>
      {state.loading && !result ? <Loading /> : null}
      {result && rows.length === 0 ? (
        query.q || filtered ? (
          <EmptyState title="Nothing matches.">
            <p>Try fewer words or clear the filters.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No documents yet.">
            <p>
              Upload scans on the <Link href="/">Inbox</Link> page, or start a <Link href="/batches">batch</Link> over a
              folder on the server.
            </p>
          </EmptyState>
        )
      ) : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table className="doc-table">
            <caption className="sr-only">Documents, sortable by the column buttons</caption>
            <thead>
              <tr>
                <SortHeader label="Date" column="primaryDate" query={query} onSort={onSort} />
                <SortHeader label="Issuer" column="issuer" query={query} onSort={onSort} />
                <th scope="col">Type</th>
                <th scope="col">Category</th>
                <SortHeader label="Amount" column="totalAmount" query={query} onSort={onSort} />
                <th scope="col">Status</th>
                <th scope="col">Review</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <Row key={r.doc.id} doc={r.doc} {...(r.snippet !== undefined ? { snippet: r.snippet } : {})} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {!query.q && pages > 1 ? (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="button"
            disabled={query.page <= 1}
            onClick={() => go({ ...query, page: query.page - 1 })}
          >
            Previous
          </button>
          <span>
            Page {query.page} of {pages}
          </span>
          <button
            type="button"
            className="button"
            disabled={query.page >= pages}
            onClick={() => go({ ...query, page: query.page + 1 })}
          >
            Next
          </button>
        </nav>
      ) : null}
    </section>
  );
}
