import { api } from '../api/client.js';
import { unwrap } from '../api/errors.js';
import type { HealthReport, SystemInfo } from '../api/models.js';
import { ErrorNotice, Loading, PageHeading, useAsync } from '../components/ui.js';

const BREAKER_WORDS: Record<SystemInfo['breaker'], string> = {
  closed: 'closed (OpenAI answers normally)',
  open: 'open (OpenAI failed repeatedly; files wait in the inbox and are retried)',
  halfOpen: 'half-open (trying OpenAI again)',
  none: 'not used (offline extractor)',
};

export default function System() {
  const state = useAsync(async () => {
    const [system, health] = await Promise.all([
      unwrap<SystemInfo>(api.GET('/v1/system')),
      // Health answers 503 with a report when something is down: show it rather than fail.
      api.GET('/health/dependencies').then((r) => (r.data ?? r.error) as unknown as HealthReport),
    ]);
    return { system, health };
  }, []);
  const data = state.data;
  return (
    <section>
      <PageHeading title="System" />
      <ErrorNotice error={state.error} onRetry={state.reload} />
      {state.loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <h2>Health</h2>
          <p>
            Overall: <span className={`badge badge-${data.health.status}`}>{data.health.status}</span>
          </p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {(data.health.checks ?? []).map((c) => (
                  <tr key={c.name}>
                    <td>{c.name}</td>
                    <td>
                      <span className={`badge badge-${c.status}`}>{c.status}</span>
                    </td>
                    <td className="num">{c.latencyMs !== undefined ? `${c.latencyMs} ms` : '—'}</td>
                    <td>{c.error ?? (c.details ? JSON.stringify(c.details) : '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Processing</h2>
          <dl className="facts">
            <dt>Version</dt>
            <dd>{data.system.version}</dd>
            <dt>Extractor</dt>
            <dd>
              {data.system.provider}
              {data.system.model ? ` (${data.system.model})` : ''}
            </dd>
            <dt>Circuit breaker</dt>
            <dd>{BREAKER_WORDS[data.system.breaker]}</dd>
            <dt>Queue</dt>
            <dd>
              {data.system.queue.active} task(s) running · {data.system.queue.activeBatches} batch(es) running
            </dd>
            <dt>Sign-in lasts</dt>
            <dd>{data.system.sessionTtlHours} h</dd>
          </dl>
          <h2>Where the data lives</h2>
          <dl className="facts">
            <dt>Data folder</dt>
            <dd>
              <code>{data.system.dataDir}</code>
            </dd>
            <dt>Database</dt>
            <dd>
              {data.system.database.client}: <code>{data.system.database.location}</code>
            </dd>
            <dt>Inbox</dt>
            <dd>
              <code>{data.system.folders.inbox}</code>
            </dd>
            <dt>Processed</dt>
            <dd>
              <code>{data.system.folders.processed}</code>
            </dd>
            <dt>Duplicates</dt>
            <dd>
              <code>{data.system.folders.duplicates}</code>
            </dd>
            <dt>Failed</dt>
            <dd>
              <code>{data.system.folders.failed}</code>
            </dd>
          </dl>
        </>
      ) : null}
    </section>
  );
}
