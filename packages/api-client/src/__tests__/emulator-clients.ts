import { startEmulator, type Emulator, type EmulatorOptions } from '@autod/testkit';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ApiClient } from '../api-client.js';
import type { ApiClientOptions } from '../types.js';

/**
 * Test-only: one emulator for a test file (started before its tests, closed after them) and clients against it,
 * each closed after its test; faults and a custom responder are reset after every test.
 */
export function emulatorClients(emulator: EmulatorOptions = {}, defaults: Partial<ApiClientOptions> = {}) {
  let started: Emulator | undefined;
  const open: ApiClient[] = [];
  beforeAll(async () => {
    started = await startEmulator(emulator);
  });
  afterAll(async () => {
    await started?.close();
  });
  afterEach(() => {
    started?.setFaults({});
    started?.setResponder(undefined);
    for (const c of open.splice(0)) c.close();
  });
  const emu = (): Emulator => {
    if (!started) throw new Error('The emulator starts before the tests (beforeAll).');
    return started;
  };
  return {
    emu,
    /** A client against the emulator (`sk-test`, gpt-5-mini unless `defaults` or `extra` say otherwise). */
    client(extra: Partial<ApiClientOptions> = {}): ApiClient {
      const c = new ApiClient({ apiKey: 'sk-test', baseURL: emu().url, model: 'gpt-5-mini', ...defaults, ...extra });
      open.push(c);
      return c;
    },
    /** Close `c` after the test. */
    closeAfter(c: ApiClient): ApiClient {
      open.push(c);
      return c;
    },
  };
}
