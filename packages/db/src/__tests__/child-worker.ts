import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOOKS = fileURLToPath(new URL('./ts-hooks.mjs', import.meta.url));

/** A test's child process: ready once it printed "ready", starts on `go()`, reports the JSON of its last line. */
export interface ChildWorker<R> {
  ready: Promise<void>;
  go(): void;
  report: Promise<R>;
}

/** Runs `script` (TypeScript, from source) in its own Node process (its own SQLite connection) with `args`. */
export function startChildWorker<R>(script: string, args: readonly string[], timeoutMs = 90_000): ChildWorker<R> {
  const argv = ['--no-warnings', '--conditions=@autod/source', '--experimental-transform-types', '--import', HOOKS];
  const child = spawn(process.execPath, [...argv, script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const report = new Promise<R>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady(); // never leave the barrier hanging
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as R);
      else reject(new Error(`${script} ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), report };
}
