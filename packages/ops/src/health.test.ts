import { describe, expect, it } from 'vitest';
import { HealthRegistry, type HealthCheck } from './health.js';

const ok = (name: string, kind: HealthCheck['kind'], extra: Partial<HealthCheck> = {}): HealthCheck => ({
  name,
  kind,
  check: async () => undefined,
  ...extra,
});

describe('HealthRegistry', () => {
  it('live passes with no checks', async () => {
    const h = new HealthRegistry();
    const r = await h.live();
    expect(r).toMatchObject({ status: 'pass', httpStatus: 200, checks: [] });
    expect(r.timestamp).toMatch(/Z$/);
  });

  it('a check that never resolves fails with a timeout error and aborts its signal', async () => {
    const h = new HealthRegistry();
    let aborted: AbortSignal | undefined;
    h.register({
      name: 'db',
      kind: 'readiness',
      timeoutMs: 50,
      check: (signal) => {
        aborted = signal;
        return new Promise<void>(() => undefined);
      },
    });
    h.register(ok('queue', 'readiness'));
    h.markStarted();
    const r = await h.ready();
    expect(r.status).toBe('fail');
    expect(r.httpStatus).toBe(503);
    const db = r.checks.find((c) => c.name === 'db');
    expect(db).toMatchObject({ status: 'fail', error: 'timeout after 50ms' });
    expect(aborted?.aborted).toBe(true);
    expect(r.checks.find((c) => c.name === 'queue')?.status).toBe('pass');
  });

  it('ready aggregates: not started → 503; non-critical failure → warn/200; warn outcome → warn', async () => {
    const h = new HealthRegistry();
    h.register(ok('db', 'readiness'));
    h.register({
      name: 'vector_store',
      kind: 'readiness',
      critical: false,
      check: async () => {
        throw new Error('store unreachable');
      },
    });
    h.register(ok('slow-ish', 'dependency', { check: async () => ({ status: 'warn', details: { lagMs: 900 } }) }));

    const before = await h.ready();
    expect(before).toMatchObject({ status: 'fail', httpStatus: 503 });
    expect(before.checks[0]).toMatchObject({ name: 'startup', status: 'fail' });

    h.markStarted();
    const after = await h.ready();
    expect(after).toMatchObject({ status: 'warn', httpStatus: 200 });
    expect(after.checks.map((c) => c.name)).toEqual(['db', 'vector_store']);
    expect(after.checks[1]).toMatchObject({ status: 'fail', error: 'store unreachable', critical: false });

    const deps = await h.dependencies();
    expect(deps.checks.map((c) => c.name)).toEqual(['db', 'vector_store', 'slow-ish']);
    expect(deps.checks[2]).toMatchObject({ status: 'warn', details: { lagMs: 900 } });
    for (const c of deps.checks) expect(typeof c.latencyMs).toBe('number');
  });

  it('dependencies answers 200 even when a critical dependency fails; startup follows markStarted', async () => {
    const h = new HealthRegistry();
    h.register(ok('db', 'dependency', { check: () => Promise.reject(new Error('ECONNREFUSED')) }));
    const deps = await h.dependencies();
    expect(deps).toMatchObject({ status: 'fail', httpStatus: 200 });
    expect((await h.startup()).httpStatus).toBe(503);
    h.markStarted();
    expect(await h.startup()).toMatchObject({ status: 'pass', httpStatus: 200 });
  });

  it('caches results for cacheMs and re-runs after it expires', async () => {
    let now = 1_000_000;
    const h = new HealthRegistry({ now: () => now });
    let calls = 0;
    h.register({
      name: 'openai',
      kind: 'readiness',
      cacheMs: 30_000,
      check: async () => {
        calls++;
        if (calls > 1) throw new Error('down');
      },
    });
    h.markStarted();
    expect((await h.ready()).status).toBe('pass');
    now += 10_000;
    const cached = await h.ready();
    expect(cached.status).toBe('pass');
    expect(cached.checks[0]?.cached).toBe(true);
    expect(calls).toBe(1);
    now += 25_000;
    const fresh = await h.ready();
    expect(calls).toBe(2);
    expect(fresh).toMatchObject({ status: 'fail', httpStatus: 503 });
  });

  it('shares one in-flight run between concurrent probes', async () => {
    const h = new HealthRegistry();
    let calls = 0;
    h.register(ok('db', 'readiness', { check: async () => void calls++ }));
    h.markStarted();
    await Promise.all([h.ready(), h.ready(), h.dependencies()]);
    expect(calls).toBe(1);
  });
});
