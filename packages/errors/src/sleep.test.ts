import { describe, expect, it } from 'vitest';
import { TimeoutError } from './autod-error.js';
import { delay, sleep } from './sleep.js';

describe('sleep', () => {
  it('resolves after the wait (0 and negative waits resolve too)', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(-10)).resolves.toBeUndefined();
    await expect(sleep(Number.NaN)).resolves.toBeUndefined();
  });

  it('rejects at once with ABORTED when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const err: unknown = await sleep(3_600_000, ac.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('ABORTED');
    expect(((err as TimeoutError).cause as Error).message).toBe('stop');
  });

  it('rejects with ABORTED when the signal aborts mid-wait', async () => {
    const ac = new AbortController();
    const pending = sleep(3_600_000, ac.signal);
    setImmediate(() => ac.abort());
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('does not reject when the signal aborts after the wait finished', async () => {
    const ac = new AbortController();
    await sleep(1, ac.signal);
    ac.abort();
    await expect(sleep(0)).resolves.toBeUndefined();
  });
});

describe('delay', () => {
  it('resolves after the wait (0, negative and NaN waits resolve too)', async () => {
    await expect(delay(0)).resolves.toBeUndefined();
    await expect(delay(-10)).resolves.toBeUndefined();
    await expect(delay(Number.NaN)).resolves.toBeUndefined();
  });

  it('resolves at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(delay(3_600_000, ac.signal)).resolves.toBeUndefined();
  });

  it('resolves (does not reject) when the signal aborts mid-wait', async () => {
    const ac = new AbortController();
    const pending = delay(3_600_000, ac.signal);
    setImmediate(() => ac.abort(new Error('stop')));
    await expect(pending).resolves.toBeUndefined();
    expect(ac.signal.aborted).toBe(true);
  });
});
