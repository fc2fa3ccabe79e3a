import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchStore } from '@autod/batch';
import { LocalExtractor, type ExtractionInput, type ExtractionOutput, type Extractor } from '@autod/pipeline';
import type { Runtime } from '@autod/runtime';
import { buildApp } from '../app.js';
import type { AutodApp } from '../context.js';
import { AUTH, harness, invoicePdf, listTree, makeRuntime, waitFor, type Harness } from '../__tests__/helpers.js';

let h: Harness | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** The local extractor, except that extractions after the first `pass` wait for `release()` (or their abort). */
function gatedExtractor(pass: number): Extractor & { release(): void } {
  const inner = new LocalExtractor();
  let calls = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    provider: inner.provider,
    model: inner.model,
    needsOcr: inner.needsOcr,
    release: () => open(),
    async extract(input: ExtractionInput): Promise<ExtractionOutput> {
      if (calls++ >= pass) {
        await new Promise<void>((resolve, reject) => {
          void opened.then(resolve);
          const signal = input.signal;
          if (signal?.aborted) reject(new Error('aborted'));
          signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      }
      return inner.extract(input);
    },
  };
}

async function scans(dir: string, names: string[]): Promise<void> {
  const sub = join(dir, 'inbox', 'scans');
  await mkdir(sub, { recursive: true });
  for (const name of names) await writeFile(join(sub, `${name}.pdf`), await invoicePdf(`${name} GmbH`));
}

async function batchOf(app: AutodApp, id: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/batches/${id}`, headers: AUTH });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function sseEvents(body: string): { event: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [head = '', data = ''] = block.split('\n');
      return {
        event: head.slice('event: '.length),
        data: JSON.parse(data.slice('data: '.length)) as Record<string, unknown>,
      };
    });
}

describe('POST /v1/batches', () => {
  it('refuses new batches with 503 SHUTTING_DOWN once the server drains', async () => {
    h = await harness();
    await scans(h.dir, ['one']);
    await h.app.autod.work.drain(1000);
    const res = await h.app.inject({ method: 'POST', url: '/v1/batches', headers: AUTH, payload: { dir: 'scans' } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'SHUTTING_DOWN', retryable: true });
  });

  it('runs a durable batch in the background; the event stream replays the state, then streams progress until the end', async () => {
    const gate = gatedExtractor(1);
    h = await harness({}, {}, { extractor: gate });
    await scans(h.dir, ['one', 'two', 'three']);
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { dir: 'scans', concurrency: 1 },
    });
    expect(res.statusCode).toBe(202);
    const batch = res.json();
    expect(res.headers['location']).toBe(`/v1/batches/${batch.id}`);
    expect(batch).toMatchObject({ mode: 'live', status: 'running', active: true, total: 3, pending: 3 });
    expect(batch.options).toMatchObject({ concurrency: 1, source: 'http' });
    await waitFor(async () => ((await batchOf(h!.app, batch.id)).done === 1 ? true : undefined));

    const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const stream = await fetch(`${address}/v1/batches/${batch.id}/events`, { headers: AUTH });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
    gate.release();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);

    const events = sseEvents(text);
    expect(events[0]).toMatchObject({
      event: 'snapshot',
      data: { type: 'snapshot', batch: { id: batch.id, done: 1, active: true } },
    });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.map((e) => e.data['done'])).toEqual([2, 3]);
    expect(progress[0]?.data['last']).toMatchObject({ status: 'done' });
    expect(events.at(-1)).toMatchObject({
      event: 'end',
      data: { type: 'end', status: 'completed', done: 3, pending: 0 },
    });

    const done = await batchOf(h.app, batch.id);
    expect(done).toMatchObject({
      status: 'completed',
      active: false,
      resumable: false,
      total: 3,
      done: 3,
      failed: 0,
      pending: 0,
      etaSec: 0,
    });
    expect(done.finishedAt).not.toBeNull();
    expect(await listTree(join(h.dir, 'processed'))).toHaveLength(3);
    const list = await h.app.inject({ method: 'GET', url: '/v1/batches', headers: AUTH });
    expect(list.json().items.map((b: { id: string }) => b.id)).toEqual([batch.id]);
    // A finished batch: its snapshot and an end event, then the stream closes.
    const after = await h.app.inject({ method: 'GET', url: `/v1/batches/${batch.id}/events`, headers: AUTH });
    expect(sseEvents(after.body).map((e) => e.event)).toEqual(['snapshot', 'end']);
  });

  it('estimates with dryRun and creates nothing', async () => {
    h = await harness();
    await scans(h.dir, ['a', 'b']);
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { paths: ['scans'], dryRun: true },
    });
    expect(res.statusCode).toBe(200);
    const est = res.json();
    expect(est).toMatchObject({ dryRun: true, provider: 'local', files: 2, pages: 2, withinBudget: null });
    expect(est.inputTokens).toBeGreaterThan(0);
    expect(est.models).toHaveLength(1);
    expect(est.largestFiles).toHaveLength(2);
    const list = await h.app.inject({ method: 'GET', url: '/v1/batches', headers: AUTH });
    expect(list.json().items).toEqual([]);
  });

  it('refuses paths outside the inbox, bad bodies and unknown batches', async () => {
    h = await harness();
    const post = (payload: unknown) =>
      h!.app.inject({ method: 'POST', url: '/v1/batches', headers: AUTH, payload: payload as object });
    const outside = await post({ paths: ['../processed'] });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.code).toBe('VALIDATION_FAILED');
    expect((await post({ paths: ['/etc'] })).statusCode).toBe(400);
    expect((await post({})).statusCode).toBe(400);
    expect((await post({ dir: 'x', concurrency: 0 })).statusCode).toBe(400);
    expect((await post({ dir: 'x', maxCostUsd: -1 })).statusCode).toBe(400);
    expect((await post({ paths: ['no-such-folder'] })).statusCode).toBe(404);
    const unknown = await h.app.inject({ method: 'GET', url: '/v1/batches/b0000nothere', headers: AUTH });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('BATCH_NOT_FOUND');
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/batches/b0000nothere/events', headers: AUTH })).statusCode,
    ).toBe(404);
    expect(
      (await h.app.inject({ method: 'POST', url: '/v1/batches/b0000nothere/resume', headers: AUTH, payload: {} }))
        .statusCode,
    ).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/v1/batches/not%20an%20id', headers: AUTH })).statusCode).toBe(
      400,
    );
  });

  it('documents the batch routes in the OpenAPI spec', async () => {
    h = await harness();
    const spec = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/batches', '/v1/batches/{id}', '/v1/batches/{id}/resume', '/v1/batches/{id}/events']),
    );
    const body = spec.paths['/v1/batches'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(
      expect.arrayContaining(['paths', 'dir', 'dryRun', 'maxCostUsd', 'concurrency', 'retryFailed']),
    );
    expect(Object.keys(spec.paths['/v1/batches'].post.responses)).toEqual(expect.arrayContaining(['200', '202']));
  });
});

describe('batches across a restart', () => {
  it('shutdown interrupts a running batch cleanly; after a restart it is listed and resume finishes only the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-server-batch-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await scans(dir, ['a', 'b', 'c', 'd', 'e']);

    // First server: two items pass, the third blocks until the shutdown aborts it.
    const first = await makeRuntime(dir, {}, { extractor: gatedExtractor(2) });
    let rt: Runtime = first.runtime;
    cleanups.push(() => rt.close());
    let app = buildApp(rt, { shutdownGraceMs: 10_000 });
    await app.ready();
    const created = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { dir: 'scans', concurrency: 1 },
    });
    const id = String(created.json().id);
    await waitFor(async () => ((await batchOf(app, id)).done === 2 ? true : undefined));
    const busy = await app.inject({ method: 'POST', url: `/v1/batches/${id}/resume`, headers: AUTH, payload: {} });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.code).toBe('CONFLICT');
    await app.close();
    const store = new BatchStore(rt.db);
    expect((await store.require(id)).status).toBe('interrupted');
    const doneBefore = new Map((await store.items(id, { status: 'done' })).map((i) => [i.path, i.documentId]));
    expect(doneBefore.size).toBe(2);
    // The aborted item was released: it is pending and its file is still in the inbox.
    expect(await listTree(join(dir, 'inbox', 'scans'))).toHaveLength(3);
    await rt.close();

    // Second server on the same data: the batch is there and can be resumed.
    rt = (await makeRuntime(dir)).runtime;
    app = buildApp(rt, { shutdownGraceMs: 10_000 });
    await app.ready();
    cleanups.push(() => app.close());
    const listed = (await app.inject({ method: 'GET', url: '/v1/batches', headers: AUTH })).json().items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id,
      status: 'interrupted',
      active: false,
      resumable: true,
      done: 2,
      pending: 3,
      total: 5,
    });
    const resumed = await app.inject({ method: 'POST', url: `/v1/batches/${id}/resume`, headers: AUTH, payload: {} });
    expect(resumed.statusCode).toBe(202);
    expect(resumed.json()).toMatchObject({ id, status: 'running', active: true });
    const finished = await waitFor(async () => {
      const b = await batchOf(app, id);
      return b.status === 'completed' ? b : undefined;
    });
    expect(finished).toMatchObject({ done: 5, pending: 0, failed: 0, resumable: false });

    // Done items kept their documents, and every document was extracted exactly once.
    const items = await new BatchStore(rt.db).items(id);
    for (const item of items) if (doneBefore.has(item.path)) expect(item.documentId).toBe(doneBefore.get(item.path));
    expect(new Set(items.map((i) => i.documentId)).size).toBe(5);
    for (const item of items) {
      const attempts = await rt.db.attempts.list(item.documentId!);
      expect(attempts.filter((a) => a.status === 'succeeded')).toHaveLength(1);
    }
    const again = await app.inject({ method: 'POST', url: `/v1/batches/${id}/resume`, headers: AUTH, payload: {} });
    expect(again.statusCode).toBe(409);
  });
});
