import { useState, type FormEvent } from 'react';
import { api } from '../api/client.js';
import { useBatchEvents } from '../api/events.js';
import { toApiError, unwrap, type ApiError } from '../api/errors.js';
import type { Batch, BatchEstimate, BatchProgressEvent } from '../api/models.js';
import { EmptyState, ErrorNotice, Loading, PageHeading, ProgressBar, useAsync } from '../components/ui.js';
import { formatBytes, formatDateTime, formatDuration, formatUsd } from '../format.js';

/** Applies a progress event to the batch shown (counts, rate, ETA, status). */
export function applyProgress(batch: Batch, e: BatchProgressEvent): Batch {
  if (e.type === 'snapshot' && e.batch) return e.batch;
  return {
    ...batch,
    total: e.total ?? batch.total,
    done: e.done ?? batch.done,
    failed: e.failed ?? batch.failed,
    skipped: e.skipped ?? batch.skipped,
    duplicates: e.duplicates ?? batch.duplicates,
    pending: e.pending ?? batch.pending,
    costUsd: e.costUsd ?? batch.costUsd,
    ratePerSec: e.ratePerSec ?? batch.ratePerSec,
    etaSec: e.etaSec === undefined ? batch.etaSec : e.etaSec,
    status: e.type === 'end' && e.status ? (e.status as Batch['status']) : batch.status,
    active: e.type === 'end' ? false : batch.active,
  };
}

function BatchRow({ initial, onChanged }: { initial: Batch; onChanged: () => void }) {
  const [batch, setBatch] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useBatchEvents(initial.active ? initial.id : null, (e) => {
    setBatch((b) => applyProgress(b, e));
    if (e.type === 'end') onChanged();
  });
  const finished = batch.done + batch.failed + batch.skipped + batch.duplicates;
  const fraction = batch.total > 0 ? finished / batch.total : 0;

  const run = async (what: 'cancel' | 'resume') => {
    setBusy(true);
    setError(null);
    try {
      if (what === 'cancel') await unwrap(api.POST('/v1/batches/{id}/cancel', { params: { path: { id: batch.id } } }));
      else await unwrap(api.POST('/v1/batches/{id}/resume', { params: { path: { id: batch.id } }, body: {} }));
      onChanged();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="batch card" data-batch={batch.id}>
      <div className="batch-head">
        <strong>{batch.id}</strong> <span className={`badge badge-${batch.status}`}>{batch.status}</span>{' '}
        <span className="muted">
          {batch.mode} · {batch.inputs.join(', ')} · started {formatDateTime(batch.createdAt)}
        </span>
      </div>
      <ProgressBar value={fraction} label={`Batch ${batch.id} progress`} />
      <p className="batch-counts" aria-live="polite">
        {finished} of {batch.total} finished · {batch.done} done · {batch.failed} failed · {batch.duplicates} duplicates
        · {batch.pending} pending · {formatUsd(batch.costUsd)}
        {batch.active && batch.etaSec !== null ? ` · about ${formatDuration(batch.etaSec)} left` : ''}
      </p>
      <ErrorNotice error={error} />
      <div className="doc-actions">
        {batch.active ? (
          <button type="button" className="button" disabled={busy} onClick={() => void run('cancel')}>
            Cancel
          </button>
        ) : null}
        {!batch.active && batch.resumable ? (
          <button type="button" className="button" disabled={busy} onClick={() => void run('resume')}>
            Resume
          </button>
        ) : null}
      </div>
    </li>
  );
}

function Estimate({ estimate }: { estimate: BatchEstimate }) {
  return (
    <div className="card estimate" role="status">
      <h3>Estimate</h3>
      <p>
        {estimate.files} files · {estimate.pages} pages · {formatBytes(estimate.bytes)} · about{' '}
        {estimate.inputTokens + estimate.outputTokens} tokens with the <code>{estimate.provider}</code> provider.
      </p>
      {estimate.models.length > 0 ? (
        <ul>
          {estimate.models.map((m) => (
            <li key={m.model}>
              {m.model}: {formatUsd(m.liveUsd)} live, {formatUsd(m.batchUsd)} with the Batch API
            </li>
          ))}
        </ul>
      ) : (
        <p>No API cost: the offline extractor is free.</p>
      )}
      {estimate.maxCostUsd !== null ? (
        <p>
          Cap {formatUsd(estimate.maxCostUsd)}:{' '}
          {estimate.withinBudget ? 'within budget' : 'over budget — raise the cap'}
        </p>
      ) : null}
    </div>
  );
}

export default function Batches() {
  const state = useAsync(
    () => unwrap<{ items: Batch[] }>(api.GET('/v1/batches', { params: { query: { limit: 50 } } })),
    [],
  );
  const [dir, setDir] = useState('');
  const [maxCost, setMaxCost] = useState('');
  const [estimate, setEstimate] = useState<BatchEstimate | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const body = () => ({ dir: dir.trim(), ...(maxCost.trim() ? { maxCostUsd: Number(maxCost) } : {}) });

  const estimateIt = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setEstimate(null);
    try {
      setEstimate(await unwrap<BatchEstimate>(api.POST('/v1/batches', { body: { ...body(), dryRun: true } })));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/v1/batches', { body: body() }));
      setEstimate(null);
      state.reload();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const items = state.data?.items ?? [];
  return (
    <section>
      <PageHeading title="Batches" />
      <form className="card batch-form" onSubmit={(e) => void estimateIt(e)} aria-label="Start a batch">
        <h2>Process a folder on the server</h2>
        <p className="muted">
          For a backlog of old scans: name a folder inside the server&apos;s inbox. First see what it would cost, then
          start it. A batch survives restarts and can be resumed.
        </p>
        <div className="field">
          <label htmlFor="batch-dir">Folder (relative to the inbox)</label>
          <input id="batch-dir" required value={dir} onChange={(e) => setDir(e.target.value)} placeholder="old-scans" />
        </div>
        <div className="field">
          <label htmlFor="batch-cost">Stop at (USD, optional)</label>
          <input
            id="batch-cost"
            type="number"
            min={0}
            step="any"
            inputMode="decimal"
            value={maxCost}
            onChange={(e) => setMaxCost(e.target.value)}
          />
        </div>
        <div className="filter-actions">
          <button type="submit" className="button" disabled={busy || !dir.trim()}>
            Estimate
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={busy || !estimate}
            onClick={() => void start()}
            title={estimate ? undefined : 'Estimate first'}
          >
            Start the batch
          </button>
        </div>
        <ErrorNotice error={error} />
        {estimate ? <Estimate estimate={estimate} /> : null}
      </form>

      <h2>Batches</h2>
      <ErrorNotice error={state.error} onRetry={state.reload} />
      {state.loading && !state.data ? <Loading /> : null}
      {state.data && items.length === 0 ? (
        <EmptyState title="No batches yet.">
          <p>
            Put a folder of scans inside the inbox on the server, then estimate and start it above (or run{' '}
            <code>autod batch &lt;folder&gt;</code>).
          </p>
        </EmptyState>
      ) : null}
      <ul className="batches">
        {items.map((b) => (
          <BatchRow key={`${b.id}-${b.status}-${b.active}`} initial={b} onChanged={state.reload} />
        ))}
      </ul>
    </section>
  );
}
