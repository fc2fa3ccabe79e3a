import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRuntime } from './__tests__/helpers.js';
import { startServer } from './server.js';

describe('startServer', () => {
  it('reports a port in use as CFG_PORT_IN_USE naming the port and the setting, and closes what it opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-listen-'));
    const first = await makeRuntime(join(dir, 'a'));
    const second = await makeRuntime(join(dir, 'b'));
    const running = await startServer(first.runtime, { port: 0, host: '127.0.0.1', handleSignals: false });
    try {
      const error = await startServer(second.runtime, {
        port: running.port,
        host: '127.0.0.1',
        handleSignals: false,
        closeRuntime: false,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CFG_PORT_IN_USE', exitCode: 78 });
      expect((error as Error).message).toContain(String(running.port));
      expect((error as Error).message).toContain('AUTOD_SERVER_PORT');
    } finally {
      await running.close();
      await second.runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
