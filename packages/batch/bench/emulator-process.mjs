/**
 * Runs the testkit emulator (from its dist/) in its own process so a benchmark measures the client's CPU apart from
 * the emulator's. Loopback only.
 *
 *   node emulator-process.mjs '<EmulatorOptions JSON>'
 *
 * Prints one line `{"url": "...", "pid": n}` on stdout when listening, then reads JSON commands, one per stdin line,
 * answering each with one JSON line: `{"cmd":"setLatency","value":100}`, `{"cmd":"stats"}` (request counts + this
 * process's CPU time), `{"cmd":"resetStats"}`, `{"cmd":"close"}` (closes and exits).
 */
import { createInterface } from 'node:readline';
import { startEmulator } from '@autod/testkit';

const options = JSON.parse(process.argv[2] ?? '{}');
const emulator = await startEmulator(options);
let cpuBase = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ url: emulator.url, pid: process.pid })}\n`);

const reply = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    reply({ error: 'bad json' });
    return;
  }
  switch (msg.cmd) {
    case 'setLatency':
      emulator.setLatency(msg.value ?? undefined);
      reply({ ok: true });
      break;
    case 'stats': {
      const cpu = process.cpuUsage(cpuBase);
      const s = emulator.stats();
      reply({ ok: true, total: s.total, byStatus: s.byStatus, maxInFlight: s.maxInFlight, cpuMs: (cpu.user + cpu.system) / 1000 });
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
      reply({ error: `unknown command ${msg.cmd}` });
  }
});
rl.on('close', () => {
  void emulator.close().then(() => process.exit(0));
});
