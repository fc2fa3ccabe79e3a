import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeRuntime } from './__tests__/helpers.js';

// The V8 flag is process-wide: the test only checks that startServer asks for it (or not), not V8's reaction.
const headroom = vi.hoisted(() => vi.fn(() => ({ set: true as const, flag: '--heap-growing-percent=300' })));
vi.mock('./memory/old-generation-headroom.js', () => ({ giveOldGenerationHeadroom: headroom }));

const { startServer } = await import('./server.js');

afterEach(() => headroom.mockClear());

describe('startServer and the V8 heap', () => {
  for (const [label, option, calls] of [
    ['gives the old generation headroom once listening, by default', undefined, 1],
    ['leaves the heap alone with oldGenerationHeadroom: false', false, 0],
  ] as const) {
    it(label, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'autod-heap-'));
      const { runtime } = await makeRuntime(dir);
      const running = await startServer(runtime, {
        port: 0,
        host: '127.0.0.1',
        handleSignals: false,
        ...(option === undefined ? {} : { oldGenerationHeadroom: option }),
      });
      try {
        expect(headroom).toHaveBeenCalledTimes(calls);
      } finally {
        await running.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
