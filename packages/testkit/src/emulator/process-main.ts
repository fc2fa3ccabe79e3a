/**
 * Runs the testkit emulator (from its dist/) in its own process so a benchmark measures the client's CPU apart from
 * the emulator's. Loopback only.
 *
 *   node dist/emulator/process-main.js '<EmulatorOptions JSON>'   (see child.ts: startEmulatorChild)
 *
 * Prints one line `{"url": "...", "pid": n}` on stdout when listening, then reads JSON commands, one per stdin line,
 * answering each with one JSON line: `{"cmd":"setLatency","value":100}`, `{"cmd":"stats"}` (request counts + this
 * process's CPU time), `{"cmd":"resetStats"}`, `{"cmd":"close"}` (closes and exits).
 */
import { createInterface } from 'node:readline';
import { startEmulator } from './server.js';
import type { EmulatorOptions } from './types.js';

const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions;
const emulator = await startEmulator(options);
let cpuBase = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ url: emulator.url, pid: process.pid })}\n`);

const reply = (o: Record<string, unknown>): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => void handle(line));

async function handle(line: string): Promise<void> {
  let msg: { cmd?: string; value?: unknown };
  try {
    msg = JSON.parse(line) as { cmd?: string; value?: unknown };
  } catch {
    reply({ error: 'bad json' });
    return;
  }
  switch (msg.cmd) {
    case 'setLatency':
      emulator.setLatency((msg.value ?? undefined) as EmulatorOptions['latencyMs']);
      reply({ ok: true });
      break;
    case 'stats': {
      const cpu = process.cpuUsage(cpuBase);
      const s = emulator.stats();
      reply({
        ok: true,
        total: s.total,
        byStatus: s.byStatus,
        maxInFlight: s.maxInFlight,
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
      break;
    }
    case 'resetStats':
      emulator.resetStats();
      cpuBase = process.cpuUsage();
      reply({ ok: true });
      break;
    case 'close':
      await emulator.close();
      reply({ ok: true });
      process.exit(0);
      break;
    default:
      reply({ error: `unknown command ${String(msg.cmd)}` });
  }
}
rl.on('close', () => {
  void emulator.close().then(() => process.exit(0));
});
