import { lazy, Suspense, useMemo } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { unwrap } from '../api/errors.js';
import type { Batch, Budget, CostResponse } from '../api/models.js';
import { EmptyState, ErrorNotice, Loading, PageHeading, useAsync } from '../components/ui.js';
import { formatUsd } from '../format.js';

const BarChart = lazy(() => import('../components/BarChart.js'));

const DAYS = 30;

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Every day of the window (days without spend are zero bars). */
export function dailySeries(rows: CostResponse['rows'], to: Date, days = DAYS): { labels: string[]; values: number[] } {
  const byDay = new Map(rows.map((r) => [r.key, r.costUsd]));
  const labels: string[] = [];
  const values: number[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(to.getTime() - i * 86_400_000);
    const key = isoDay(d);
    labels.push(key.slice(5));
    values.push(byDay.get(key) ?? 0);
  }
  return { labels, values };
}

function Cap({ label, cap }: { label: string; cap: Budget['day'] | Budget['month'] }) {
  return (
    <div className="stat">
      <p className="stat-label">{label}</p>
      <p className="stat-value">{formatUsd(cap.spentUsd)} spent</p>
      <p className="muted">
        {cap.capUsd === null ? 'No cap set' : `Cap ${formatUsd(cap.capUsd)} · ${formatUsd(cap.leftUsd ?? 0)} left`}
      </p>
    </div>
  );
}

export default function Costs() {
  const to = useMemo(() => new Date(), []);
  const from = useMemo(() => new Date(to.getTime() - (DAYS - 1) * 86_400_000), [to]);
  const state = useAsync(async () => {
    const [daily, models, budget, batches] = await Promise.all([
      unwrap<CostResponse>(
        api.GET('/v1/costs', { params: { query: { groupBy: 'day', from: isoDay(from), to: isoDay(to) } } }),
      ),
      unwrap<CostResponse>(api.GET('/v1/costs', { params: { query: { groupBy: 'model' } } })),
      unwrap<Budget>(api.GET('/v1/budget')),
      unwrap<{ items: Batch[] }>(api.GET('/v1/batches', { params: { query: { limit: 1 } } })),
    ]);
    return { daily, models, budget, lastBatch: batches.items[0] ?? null };
  }, []);

  const data = state.data;
  const series = useMemo(() => (data ? dailySeries(data.daily.rows, to) : null), [data, to]);
  const modelSeries = useMemo(
    () =>
      data ? { labels: data.models.rows.map((r) => r.key), values: data.models.rows.map((r) => r.costUsd) } : null,
    [data],
  );

  return (
    <section>
      <PageHeading title="Costs" />
      <ErrorNotice error={state.error} onRetry={state.reload} />
      {state.loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <div className="stats">
            <Cap label={`Today (${data.budget.day.date}, UTC)`} cap={data.budget.day} />
            <Cap label={`This month (${data.budget.month.month})`} cap={data.budget.month} />
            <div className="stat">
              <p className="stat-label">Last batch</p>
              {data.lastBatch ? (
                <>
                  <p className="stat-value">{formatUsd(data.lastBatch.costUsd)}</p>
                  <p className="muted">
                    <Link href="/batches">{data.lastBatch.id}</Link> · {data.lastBatch.status}
                  </p>
                </>
              ) : (
                <p className="muted">No batch yet</p>
              )}
            </div>
            <div className="stat">
              <p className="stat-label">All time</p>
              <p className="stat-value">{formatUsd(data.models.totals.costUsd)}</p>
              <p className="muted">
                {data.models.totals.documents} documents · {data.models.totals.attempts} attempts ·{' '}
                {data.models.totals.calls} paid calls
                {data.budget.maxCostPerRunUsd !== null ? ` · run cap ${formatUsd(data.budget.maxCostPerRunUsd)}` : ''}
              </p>
            </div>
          </div>
          {data.models.rows.length === 0 ? (
            <EmptyState title="Nothing spent yet.">
              <p>
                Costs appear once documents are extracted. The offline <code>local</code> provider costs nothing; with{' '}
                <code>OPENAI_API_KEY</code> set, every extraction&apos;s tokens and dollars are counted here.
              </p>
            </EmptyState>
          ) : null}
          <h2>Spend per day (last {DAYS} days)</h2>
          <Suspense fallback={<Loading label="Drawing the chart…" />}>
            {series ? (
              <BarChart labels={series.labels} values={series.values} unit="USD" title="Spend per day in USD" />
            ) : null}
          </Suspense>
          <h2>Spend per model</h2>
          <Suspense fallback={<Loading label="Drawing the chart…" />}>
            {modelSeries && modelSeries.labels.length > 0 ? (
              <BarChart
                labels={modelSeries.labels}
                values={modelSeries.values}
                unit="USD"
                title="Spend per model in USD"
              />
            ) : (
              <p className="muted">No model has been used yet.</p>
            )}
          </Suspense>
          <div className="table-wrap">
            <table>
              <caption>Per model</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">
                    Documents
                  </th>
                  <th scope="col" className="num">
                    Input tokens
                  </th>
                  <th scope="col" className="num">
                    Output tokens
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.models.rows.map((r) => (
                  <tr key={r.key}>
                    <td>{r.key}</td>
                    <td className="num">{r.documents}</td>
                    <td className="num">{r.inputTokens}</td>
                    <td className="num">{r.outputTokens}</td>
                    <td className="num">{formatUsd(r.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
