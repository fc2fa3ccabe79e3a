/**
 * Starts the emulator in a child process (`process-main.ts`, run from testkit's dist/) and talks to it over
 * stdin/stdout, so that benchmarks do not charge the emulator's CPU to the code under test. Loopback only.
 * Needs a build of @autod/testkit (benchmarks run after `turbo run build`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface EmulatorChildStats {
  total: number;
  byStatus: Record<string, number>;
  maxInFlight: number;
  /** CPU time (user + system) the emulator process spent since start or the last resetStats. */
  cpuMs: number;
}

export interface EmulatorChild {
  url: string;
  pid: number;
  setLatency(ms: number | Record<string, unknown> | undefined): Promise<void>;
  stats(): Promise<EmulatorChildStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

// Same relative path from src/emulator/ and dist/emulator/: always the compiled entry.
const SCRIPT = fileURLToPath(new URL('../../dist/emulator/process-main.js', import.meta.url));

export async function startEmulatorChild(options: Record<string, unknown> = {}): Promise<EmulatorChild> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });
  const pending: ((line: Record<string, unknown>) => void)[] = [];
  const early: Record<string, unknown>[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const msg = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
      buf = buf.slice(i + 1);
      const waiter = pending.shift();
      if (waiter) waiter(msg);
      else early.push(msg);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const nextLine = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const msg = early.shift();
      if (msg) return resolve(msg);
      pending.push(resolve);
      void exited.then((code) => reject(new Error(`emulator process exited (${code}): ${stderr.slice(-2000)}`)));
    });
  const command = async (cmd: Record<string, unknown>): Promise<Record<string, unknown>> => {
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const answer = await nextLine();
    if (answer.error) throw new Error(`emulator process: ${JSON.stringify(answer.error)}`);
    return answer;
  };
  const hello = await nextLine();
  return {
    url: String(hello.url),
    pid: Number(hello.pid),
    async setLatency(ms) {
      await command({ cmd: 'setLatency', value: ms ?? null });
    },
    async stats() {
      const s = await command({ cmd: 'stats' });
      return {
        total: Number(s.total),
        byStatus: s.byStatus as Record<string, number>,
        maxInFlight: Number(s.maxInFlight),
        cpuMs: Number(s.cpuMs),
      };
    },
    async resetStats() {
      await command({ cmd: 'resetStats' });
    },
    async close() {
      if (child.exitCode !== null) return;
      child.stdin.write(`${JSON.stringify({ cmd: 'close' })}\n`);
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
