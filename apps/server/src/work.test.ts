import { describe, expect, it } from 'vitest';
import { noopLogger } from '@autod/ops';
import type { Pipeline, ProcessFileHooks, ProcessOutcome } from '@autod/pipeline';
import { WorkTracker } from './work.js';

const SHA = 'a'.repeat(64);

function fakePipeline(results: ((path: string, signal?: AbortSignal) => Promise<ProcessOutcome>)[]) {
  const calls: string[] = [];
  const pipeline = {
    processFile: async (path: string, signal?: AbortSignal) => {
      calls.push(path);
      const next = results.shift();
      if (!next) throw new Error('unexpected call');
      return next(path, signal);
    },
  } as unknown as Pipeline;
  return { pipeline, calls };
}

const processed = (path: string): ProcessOutcome => ({
  kind: 'processed',
  path,
  sha256: SHA,
  documentId: 1,
  destination: '/processed/x.pdf',
  provider: 'local',
  model: 'm',
  costUsd: 0,
  title: null,
  category: null,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkTracker', () => {
  it("hands the pipeline the upload's hash and file identity, on every try", async () => {
    const seen: ProcessFileHooks[] = [];
    const outcomes: ProcessOutcome[] = [
      { kind: 'skipped', path: '/inbox/x.pdf', reason: 'incomplete' },
      processed('/inbox/x.pdf'),
    ];
    const pipeline = {
      processFile: async (_path: string, _signal?: AbortSignal, hooks: ProcessFileHooks = {}) => {
        seen.push(hooks);
        return outcomes.shift()!;
      },
    } as unknown as Pipeline;
    const work = new WorkTracker(pipeline, noopLogger, { retryDelayMs: 1 });
    work.submit('/inbox/x.pdf', SHA, 'x.pdf', { sizeBytes: 10, ino: 7, mtimeMs: 1.5 });
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    await work.drain(1000);
    const hashed = { sha256: SHA, sizeBytes: 10, ino: 7, mtimeMs: 1.5 };
    expect(seen).toEqual([
      { complete: true, hashed },
      { complete: true, hashed },
    ]);
    // Without an identity (the file was gone before it could be stat'ed) the pipeline reads and hashes it itself.
    seen.length = 0;
    outcomes.push(processed('/inbox/y.pdf'));
    const plain = new WorkTracker(pipeline, noopLogger);
    plain.submit('/inbox/y.pdf', SHA, 'y.pdf');
    await plain.idle();
    expect(seen).toEqual([{ complete: true }]);
  });

  it('reports pending/processing while the pipeline runs and forgets the upload afterwards', async () => {
    const gate = deferred<void>();
    const { pipeline } = fakePipeline([async (p) => (await gate.promise, processed(p))]);
    const work = new WorkTracker(pipeline, noopLogger);
    work.submit('/inbox/x.pdf', SHA, 'x.pdf');
    expect(work.upload(SHA)).toMatchObject({ sha256: SHA, fileName: 'x.pdf' });
    await Promise.resolve();
    await Promise.resolve();
    expect(work.upload(SHA)?.status).toBe('processing');
    expect(work.active).toBe(1);
    gate.resolve();
    await work.drain(1000);
    expect(work.upload(SHA)).toBeUndefined();
    expect(work.outcome(SHA)?.kind).toBe('processed');
  });

  it('processes uploads of the same content one after the other', async () => {
    let running = 0;
    let maxRunning = 0;
    const step = async (p: string) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return processed(p);
    };
    const { pipeline, calls } = fakePipeline([step, step, step]);
    const work = new WorkTracker(pipeline, noopLogger);
    for (const n of [1, 2, 3]) work.submit(`/inbox/${n}.pdf`, SHA, `${n}.pdf`);
    await work.drain(5000);
    expect(calls).toEqual(['/inbox/1.pdf', '/inbox/2.pdf', '/inbox/3.pdf']);
    expect(maxRunning).toBe(1);
    expect(work.upload(SHA)).toBeUndefined();
  });

  it('retries transient outcomes at their retryAt (held ones with backoff), then gives up leaving the file', async () => {
    const deferredBy =
      (code: 'UPSTREAM_UNAVAILABLE' | 'PROCESSING_TIMEOUT', category: 'upstream' | 'timeout') =>
      async (p: string): Promise<ProcessOutcome> => ({
        kind: 'retry_later',
        path: p,
        sha256: SHA,
        documentId: 1,
        retryAt: new Date(Date.now() + 1).toISOString(),
        error: { name: 'E', code, category, message: 'later', hint: '', retryable: true },
      });
    const upstream = deferredBy('UPSTREAM_UNAVAILABLE', 'upstream');
    const timeout = deferredBy('PROCESSING_TIMEOUT', 'timeout');
    const held = async (p: string): Promise<ProcessOutcome> => ({ kind: 'skipped', path: p, reason: 'held' });
    const { pipeline, calls } = fakePipeline([timeout, held, async (p) => processed(p)]);
    const work = new WorkTracker(pipeline, noopLogger, { retryDelayMs: 1, maxAttempts: 5 });
    work.submit('/inbox/x.pdf', SHA, 'x.pdf');
    for (let i = 0; i < 200 && work.upload(SHA); i++) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toHaveLength(3);
    expect(work.outcome(SHA)?.kind).toBe('processed');

    const gaveUp = fakePipeline([timeout, timeout]);
    const work2 = new WorkTracker(gaveUp.pipeline, noopLogger, { retryDelayMs: 1, maxAttempts: 2 });
    work2.submit('/inbox/y.pdf', SHA, 'y.pdf');
    for (let i = 0; i < 200 && work2.upload(SHA); i++) await new Promise((r) => setTimeout(r, 5));
    expect(gaveUp.calls).toHaveLength(2);
    expect(work2.upload(SHA)).toBeUndefined();
    expect(work2.outcome(SHA)).toBeUndefined();

    // The upstream's deferrals (breaker, rate limit) are not the upload's tries: it waits for the upstream.
    const patient = fakePipeline([upstream, upstream, upstream, async (p) => processed(p)]);
    const work3 = new WorkTracker(patient.pipeline, noopLogger, { retryDelayMs: 1, maxAttempts: 2 });
    work3.submit('/inbox/z.pdf', SHA, 'z.pdf');
    for (let i = 0; i < 200 && work3.upload(SHA); i++) await new Promise((r) => setTimeout(r, 5));
    expect(patient.calls).toHaveLength(4);
    expect(work3.outcome(SHA)?.kind).toBe('processed');
  });

  it('no head-of-line blocking: a slow upload gives its slot to the next ones', async () => {
    const gate = deferred<void>();
    const order: string[] = [];
    const slow = async (p: string) => {
      await gate.promise;
      order.push(p);
      return processed(p);
    };
    const fast = async (p: string) => {
      order.push(p);
      if (order.length === 2) gate.resolve();
      return processed(p);
    };
    const { pipeline } = fakePipeline([slow, fast, fast]);
    const work = new WorkTracker(pipeline, noopLogger, { concurrency: 1, slowAfterMs: 10 });
    work.submit('/inbox/slow.pdf', 'b'.repeat(64), 'slow.pdf');
    work.submit('/inbox/1.pdf', 'c'.repeat(64), '1.pdf');
    work.submit('/inbox/2.pdf', 'd'.repeat(64), '2.pdf');
    await work.idle();
    expect(order).toEqual(['/inbox/1.pdf', '/inbox/2.pdf', '/inbox/slow.pdf']);
  });

  it('bounds how many uploads are processed at the same time', async () => {
    let running = 0;
    let maxRunning = 0;
    const step = async (p: string) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return processed(p);
    };
    const { pipeline, calls } = fakePipeline(Array.from({ length: 6 }, () => step));
    const work = new WorkTracker(pipeline, noopLogger, { concurrency: 2 });
    for (let n = 0; n < 6; n++) work.submit(`/inbox/${n}.pdf`, String(n).repeat(64), `${n}.pdf`);
    expect(work.upload('5'.repeat(64))?.status).toBe('pending');
    await work.idle();
    expect(calls).toHaveLength(6);
    expect(maxRunning).toBe(2);
  });

  it('aborts running work when the grace period runs out and stops accepting', async () => {
    const { pipeline } = fakePipeline([
      (p, signal) =>
        new Promise<ProcessOutcome>((resolve) =>
          signal?.addEventListener('abort', () => resolve({ kind: 'skipped', path: p, reason: 'aborted' })),
        ),
    ]);
    const work = new WorkTracker(pipeline, noopLogger);
    work.submit('/inbox/x.pdf', SHA, 'x.pdf');
    expect(work.accepting).toBe(true);
    const drained = await work.drain(10);
    expect(drained).toBe(false);
    expect(work.accepting).toBe(false);
    expect(work.signal.aborted).toBe(true);
  });

  it('keeps a failed outcome for status look-ups', async () => {
    const failed = async (p: string): Promise<ProcessOutcome> => ({
      kind: 'failed',
      path: p,
      sha256: null,
      documentId: null,
      destination: '/failed/x.pdf',
      error: {
        name: 'InputError',
        code: 'INPUT_CORRUPT_PDF',
        category: 'input',
        message: 'bad',
        hint: '',
        retryable: false,
      },
    });
    const { pipeline } = fakePipeline([failed]);
    const work = new WorkTracker(pipeline, noopLogger, { recentLimit: 1 });
    work.submit('/inbox/x.pdf', SHA, 'x.pdf');
    await work.drain(1000);
    expect(work.outcome(SHA)).toMatchObject({ kind: 'failed', error: { code: 'INPUT_CORRUPT_PDF' } });
  });
});
