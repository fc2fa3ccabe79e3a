/**
 * The HTTP server on a real port, in its own Node process (the built @autod/server dist), driven with fetch.
 * Run after `pnpm turbo run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTextPdf } from '@autod/testkit';
import { CLI } from './helpers.js';

const TOKEN = 'e2e-token-abcdef0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const TESTS_DIR = resolve(import.meta.dirname, '..');

const SCRIPT = `
import { loadConfig } from '@autod/config';
import { createRuntime } from '@autod/runtime';
import { startServer } from '@autod/server';
const config = loadConfig({ env: process.env, cwd: process.env.AUTOD_DATA_DIR, envFile: false });
const runtime = await createRuntime(config, { logDestination: process.stderr });
const server = await startServer(runtime, { port: 0, host: '127.0.0.1', watch: process.env.E2E_WATCH === '1' });
process.stdout.write(JSON.stringify({ event: 'ready', address: server.address }) + '\\n');
await server.closed;
process.stdout.write(JSON.stringify({ event: 'closed' }) + '\\n');
`;

interface ServerProcess {
  child: ChildProcess;
  address: string;
  dir: string;
  stderr: string[];
  exited: Promise<number | null>;
}

/** The server in a Node process: by default SCRIPT above; `argv` runs something else (e.g. `autod serve`). */
async function startServerProcess(
  env: Record<string, string> = {},
  argv: string[] = ['--input-type=module', '-e', SCRIPT],
): Promise<ServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'autod-e2e-server-'));
  const child = spawn(process.execPath, argv, {
    cwd: TESTS_DIR,
    env: {
      PATH: process.env['PATH'] ?? '',
      AUTOD_DATA_DIR: dir,
      AUTOD_SERVER_TOKEN: TOKEN,
      AUTOD_PROVIDER: 'local',
      AUTOD_OCR: 'false',
      AUTOD_WATCH_POLL_MS: '50',
      AUTOD_MAX_FILE_MB: '1',
      AUTOD_LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (s: string) => stderr.push(s));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const lines = createInterface({ input: child.stdout });
  const address = await new Promise<string>((resolveReady, reject) => {
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { event: string; address?: string };
      if (msg.event === 'ready' && msg.address) resolveReady(msg.address);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr.join('').slice(-2000)}`)));
  });
  return { child, address, dir, stderr, exited };
}

async function stop(server: ServerProcess | undefined): Promise<number | null> {
  if (!server) return null;
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  const code = await server.exited;
  await rm(server.dir, { recursive: true, force: true });
  return code;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function form(name: string, bytes: Uint8Array): FormData {
  const fd = new FormData();
  fd.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
  return fd;
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(e.name);
  return out;
}

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const invoice = (issuer: string) =>
  buildTextPdf([['**INVOICE', `${issuer} Ltd`, 'Invoice date: 2024-05-02', 'Total due: 99.00 EUR']], {
    title: `Invoice ${issuer}`,
  });

describe('autod server on a real port', () => {
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServerProcess();
  });
  afterAll(async () => {
    const code = await stop(s);
    expect(code).toBe(0);
    expect(s.stderr.join('')).not.toContain(TOKEN);
  });

  it('serves health without a token and everything else only with the right one', async () => {
    for (const probe of ['live', 'ready', 'startup', 'dependencies']) {
      const res = await fetch(`${s.address}/health/${probe}`);
      expect(res.status, probe).toBe(200);
    }
    const missing = await fetch(`${s.address}/v1/documents`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    expect(
      (await fetch(`${s.address}/v1/documents`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } }))
        .status,
    ).toBe(401);
    expect((await fetch(`${s.address}/metrics`)).status).toBe(401);
    const ok = await fetch(`${s.address}/v1/documents`, { headers: { ...AUTH, 'x-request-id': 'e2e-1' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('e2e-1');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    const metrics = await fetch(`${s.address}/metrics`, { headers: AUTH });
    expect(await metrics.text()).toContain('route="/v1/documents"');
    expect((await fetch(`${s.address}/docs/json`)).status).toBe(200);
  });

  it('uploads, processes and serves a document through every endpoint', async () => {
    const pdf = await invoice('Northwind');
    const res = await fetch(`${s.address}/v1/documents`, {
      method: 'POST',
      headers: AUTH,
      body: form('../../northwind invoice.pdf', pdf),
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; location: string; fileName: string };
    expect(accepted.id).toBe(sha256(pdf));
    expect(accepted.fileName).toBe('northwind invoice.pdf');
    const doc = await waitFor(async () => {
      const r = await fetch(`${s.address}${accepted.location}`, { headers: AUTH });
      const body = (await r.json()) as { status: string; document?: { id: number } };
      return r.status === 200 && body.status === 'completed' ? body.document! : undefined;
    });
    const file = await fetch(`${s.address}/v1/documents/${doc.id}/file`, { headers: AUTH });
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(accepted.id);
    const list = (await (await fetch(`${s.address}/v1/documents?issuer=northwind`, { headers: AUTH })).json()) as {
      total: number;
    };
    expect(list.total).toBe(1);
    const search = (await (await fetch(`${s.address}/v1/search?q=northwind`, { headers: AUTH })).json()) as {
      hits: { id: number }[];
    };
    expect(search.hits.map((h) => h.id)).toEqual([doc.id]);
    const again = await fetch(`${s.address}/v1/documents/${doc.id}/reprocess`, { method: 'POST', headers: AUTH });
    expect(again.status).toBe(200);
    const costs = (await (await fetch(`${s.address}/v1/costs?groupBy=model`, { headers: AUTH })).json()) as {
      totals: { attempts: number };
    };
    expect(costs.totals.attempts).toBe(2);
  });

  it('rejects bad uploads over HTTP', async () => {
    const post = (fd: FormData, headers: Record<string, string> = AUTH) =>
      fetch(`${s.address}/v1/documents`, { method: 'POST', headers, body: fd });
    expect((await post(form('a.pdf', new TextEncoder().encode('<html>not a pdf</html>')))).status).toBe(415);
    expect((await post(form('a.pdf', new Uint8Array(0)))).status).toBe(400);
    const big = new Uint8Array(1536 * 1024).fill(0x20);
    big.set(new TextEncoder().encode('%PDF-1.4\n'));
    const tooBig = await post(form('big.pdf', big));
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('INPUT_TOO_LARGE');
    expect((await post(form('a.pdf', await invoice('Anon')), {})).status).toBe(401);
    const left = await files(join(s.dir, 'inbox'));
    expect(left.filter((n) => n === 'a.pdf' || n === 'big.pdf' || n.endsWith('.part'))).toEqual([]);
  });

  it('runs a batch and streams its progress as server-sent events', async () => {
    // Batches read files that are already on the server (inside the inbox).
    const pdfs = await Promise.all(['Alpha', 'Beta'].map(invoice));
    await mkdir(join(s.dir, 'inbox', 'batch1'), { recursive: true });
    for (const [i, pdf] of pdfs.entries()) await writeFile(join(s.dir, 'inbox', 'batch1', `f${i}.pdf`), pdf);
    const res = await fetch(`${s.address}/v1/batches`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ dir: 'batch1' }),
    });
    expect(res.status).toBe(202);
    const batch = (await res.json()) as { id: string; total: number };
    expect(batch.total).toBe(2);
    const events = await fetch(`${s.address}/v1/batches/${batch.id}/events`, { headers: AUTH });
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const text = await events.text(); // the stream ends after "end"
    expect(text).toContain('event: snapshot');
    expect(text).toContain('event: end');
    const end = JSON.parse(text.split('event: end\ndata: ')[1]!.split('\n')[0]!) as {
      status: string;
      done: number;
      pending: number;
    };
    expect(end).toMatchObject({ status: 'completed', done: 2, pending: 0 });
    // Stored: the batch is listed with its counts.
    const list = (await (await fetch(`${s.address}/v1/batches`, { headers: AUTH })).json()) as {
      items: { id: string; done: number }[];
    };
    expect(list.items.find((b) => b.id === batch.id)).toMatchObject({ done: 2 });
  });
});

describe('autod serve started with Node flags', () => {
  it('processes uploads when node runs it with a V8 flag (--max-old-space-size), which workers inherit', async () => {
    const s = await startServerProcess({}, [
      '--max-old-space-size=512',
      CLI,
      '--json',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
    ]);
    try {
      const pdf = await invoice('Flagged');
      const res = await fetch(`${s.address}/v1/documents`, { method: 'POST', headers: AUTH, body: form('f.pdf', pdf) });
      expect(res.status).toBe(202);
      const { location } = (await res.json()) as { location: string };
      const status = await waitFor(async () => {
        const body = (await (await fetch(`${s.address}${location}`, { headers: AUTH })).json()) as { status: string };
        return ['completed', 'failed'].includes(body.status) ? body.status : undefined;
      });
      expect(status, s.stderr.join('')).toBe('completed');
      expect(await files(join(s.dir, 'processed'))).toHaveLength(1);
      expect(s.stderr.join('')).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV');
    } finally {
      expect(await stop(s)).toBe(0);
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes every accepted upload on SIGTERM and exits 0', async () => {
    const s = await startServerProcess();
    try {
      const pdfs = await Promise.all(['One', 'Two', 'Three', 'Four'].map((n) => invoice(`Shutdown ${n}`)));
      const answers = await Promise.all(
        pdfs.map((pdf, i) =>
          fetch(`${s.address}/v1/documents`, { method: 'POST', headers: AUTH, body: form(`s${i}.pdf`, pdf) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(await files(join(s.dir, 'processed'))).toHaveLength(4);
      expect(await files(join(s.dir, 'inbox'))).toEqual([]);
    } finally {
      await stop(s);
    }
  });
});
