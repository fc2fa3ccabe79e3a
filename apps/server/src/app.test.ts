import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAutodError } from '@autod/errors';
import { documentBytesError } from '@autod/pipeline';
import { buildScannedImage, buildTextPdf } from '@autod/testkit';
import { buildApp } from './app.js';
import {
  AUTH,
  TOKEN,
  harness,
  invoicePdf,
  listTree,
  makeRuntime,
  multipart,
  sha256,
  waitFor,
  type Harness,
} from './__tests__/helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function upload(app: Harness['app'], name: string, bytes: Uint8Array, headers: Record<string, string> = AUTH) {
  const body = multipart(name, bytes);
  return app.inject({
    method: 'POST',
    url: '/v1/documents',
    payload: body.payload,
    headers: { ...headers, ...body.headers },
  });
}

async function waitForDocument(app: Harness['app'], id: string, status = 'completed') {
  return waitFor(async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/documents/${id}`, headers: AUTH });
    const body = res.json();
    return res.statusCode === 200 && body.status === status ? body : undefined;
  });
}

describe('buildApp', () => {
  it('refuses to build without a token', async () => {
    h = await harness();
    const { runtime } = await makeRuntime(join(h.dir, 'other'), { AUTOD_SERVER_TOKEN: '' });
    try {
      let thrown: unknown;
      try {
        buildApp(runtime);
      } catch (error) {
        thrown = error;
      }
      expect(isAutodError(thrown) && thrown.code).toBe('CFG_INVALID');
      expect((thrown as Error).message).toContain('AUTOD_SERVER_TOKEN');
    } finally {
      await runtime.close();
    }
  });
});

describe('auth, request ids, headers', () => {
  it('rejects a missing or wrong token and accepts the right one; health needs none', async () => {
    h = await harness();
    const missing = await h.app.inject({ method: 'GET', url: '/v1/documents' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    expect(missing.json().error).toMatchObject({ code: 'UNAUTHORIZED', name: 'AuthError', category: 'auth' });
    expect(missing.json().error.hint).toContain('Authorization: Bearer');

    const wrong = await h.app.inject({
      method: 'GET',
      url: '/v1/documents',
      headers: { authorization: 'Bearer not-the-token-000000' },
    });
    expect(wrong.statusCode).toBe(401);
    const prefix = await h.app.inject({
      method: 'GET',
      url: '/v1/documents',
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    });
    expect(prefix.statusCode).toBe(401);
    const basic = await h.app.inject({
      method: 'GET',
      url: '/v1/documents',
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expect(basic.statusCode).toBe(401);

    const right = await h.app.inject({ method: 'GET', url: '/v1/documents', headers: AUTH });
    expect(right.statusCode).toBe(200);
    expect(right.json()).toMatchObject({ items: [], total: 0, limit: 50, offset: 0 });

    const unknown = await h.app.inject({ method: 'GET', url: '/v1/nope' });
    expect(unknown.statusCode).toBe(401);
    const unknownAuthed = await h.app.inject({ method: 'GET', url: '/v1/nope', headers: AUTH });
    expect(unknownAuthed.statusCode).toBe(404);
    expect(unknownAuthed.json().error.code).toBe('NOT_FOUND');

    const live = await h.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json().status).toBe('pass');
  });

  it('never logs the token', async () => {
    h = await harness();
    await h.app.inject({ method: 'GET', url: '/v1/documents', headers: AUTH });
    await h.app.inject({ method: 'GET', url: `/v1/search?q=${TOKEN}`, headers: AUTH });
    const logs = h.logs.join('');
    expect(logs).toContain('"route":"/v1/documents"');
    expect(logs).not.toContain(TOKEN);
  });

  it('echoes a sane x-request-id and makes one otherwise', async () => {
    h = await harness();
    const given = await h.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await h.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id\u0001' },
    });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unauthorized = await h.app.inject({ method: 'GET', url: '/v1/costs', headers: { 'x-request-id': 'req-9' } });
    expect(unauthorized.headers['x-request-id']).toBe('req-9');
  });

  it('sends security headers and no CORS headers', async () => {
    h = await harness();
    const res = await h.app.inject({
      method: 'GET',
      url: '/v1/documents',
      headers: { ...AUTH, origin: 'https://evil.example' },
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await h.app.inject({
      method: 'OPTIONS',
      url: '/v1/documents',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rate-limits per client but never the health probes', async () => {
    h = await harness({ rateLimitPerMinute: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await h.app.inject({ method: 'GET', url: '/v1/documents', headers: AUTH })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await h.app.inject({ method: 'GET', url: '/v1/documents', headers: AUTH });
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    for (let i = 0; i < 5; i++)
      expect((await h.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });
});

describe('memory after a burst', () => {
  it('runs one full garbage collection once the server is quiet (AUTOD_SERVER_IDLE_GC_SECONDS)', async () => {
    const collect = vi.fn();
    h = await harness({ idleGc: { seconds: 0.5, collect } });
    for (let i = 0; i < 3; i++) {
      const res = await h.app.inject({ method: 'GET', url: '/v1/documents', headers: AUTH });
      expect(res.statusCode).toBe(200);
    }
    await waitFor(async () => (collect.mock.calls.length > 0 ? true : undefined));
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('reads its quiet time from the settings', async () => {
    h = await harness({}, { AUTOD_SERVER_IDLE_GC_SECONDS: '0' });
    expect(h.runtime.config.server.idleGcSeconds).toBe(0);
  });
});

describe('health and metrics', () => {
  it('reports startup/ready 503 until started, then 200; dependencies lists the database', async () => {
    h = await harness();
    expect((await h.app.inject({ method: 'GET', url: '/health/startup' })).statusCode).toBe(503);
    expect((await h.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
    h.runtime.health.markStarted();
    expect((await h.app.inject({ method: 'GET', url: '/health/startup' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.map((c: { name: string }) => c.name)).toContain('database');
    const deps = await h.app.inject({ method: 'GET', url: '/health/dependencies' });
    expect(deps.statusCode).toBe(200);
    expect(deps.json().checks.find((c: { name: string }) => c.name === 'database').status).toBe('pass');
  });

  it('serves Prometheus metrics with a token only', async () => {
    h = await harness();
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    await h.app.inject({ method: 'GET', url: '/v1/documents', headers: AUTH });
    const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/route="\/v1\/documents"/);
  });

  it('publishes the OpenAPI document at /docs', async () => {
    h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/documents', '/v1/documents/{id}', '/v1/search', '/v1/batches', '/v1/costs']),
    );
    expect(spec.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
  });

  it('can protect /docs too', async () => {
    h = await harness({ publicDocs: false });
    expect((await h.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/docs/json', headers: AUTH })).statusCode).toBe(200);
  });
});

describe('documents', () => {
  it('shows a rescan as a near-duplicate (nearDuplicateOf) and every attempt with its result', async () => {
    h = await harness({}, { AUTOD_NEAR_DUPLICATE_POLICY: 'file' });
    const original = await invoicePdf('Harbor Water');
    await upload(h.app, 'water.pdf', original);
    const first = await waitForDocument(h.app, sha256(original));
    await h.app.autod.work.idle();
    // the same page scanned again: other bytes (its PDF title), the same content
    const lines = [['**INVOICE', 'Harbor Water Ltd', 'Invoice number: INV-1042', 'Invoice date: 2024-03-15']];
    const rescan = await buildTextPdf([[...lines[0]!, 'Total due: 120.50 EUR ']], { title: 'rescan' });
    await upload(h.app, 'water-rescan.pdf', rescan);
    const second = await waitForDocument(h.app, sha256(rescan));
    await h.app.autod.work.idle();
    const id: number = second.document.id;
    const detail = await h.app.inject({ method: 'GET', url: `/v1/documents/${id}`, headers: AUTH });
    expect(detail.json().document.nearDuplicateOf).toBe(first.document.id);
    expect(detail.json().document.storagePath).toContain(join(h.dir, 'duplicates', 'near'));
    const list = await h.app.inject({ method: 'GET', url: '/v1/documents?orderBy=id&order=asc', headers: AUTH });
    expect(list.json().items.map((d: { nearDuplicateOf: number | null }) => d.nearDuplicateOf)).toEqual([
      null,
      first.document.id,
    ]);

    expect(
      (await h.app.inject({ method: 'POST', url: `/v1/documents/${id}/reprocess`, headers: AUTH })).statusCode,
    ).toBe(200);
    const attempts = await h.app.inject({ method: 'GET', url: `/v1/documents/${id}/attempts`, headers: AUTH });
    expect(attempts.statusCode).toBe(200);
    const items = attempts.json().items as { attemptNo: number; promptVersion: string; metadata: unknown }[];
    expect(items.map((a) => a.attemptNo)).toEqual([1, 2]);
    for (const a of items) {
      expect(a.promptVersion).toMatch(/^rules-\d+\/schema-/);
      expect(a.metadata).toMatchObject({ extracted_fields: { total_amount: 120.5 } });
    }
    // the reprocessed rescan stays where the policy filed it
    const after = await h.app.inject({ method: 'GET', url: `/v1/documents/${id}`, headers: AUTH });
    expect(after.json().document.storagePath).toBe(detail.json().document.storagePath);
    const missing = await h.app.inject({ method: 'GET', url: '/v1/documents/999/attempts', headers: AUTH });
    expect(missing.statusCode).toBe(404);
  });

  it('accepts an upload, processes it, and serves it through every document endpoint', async () => {
    h = await harness();
    const pdf = await invoicePdf('Acme Power');
    const res = await upload(h.app, 'march invoice.pdf', pdf);
    expect(res.statusCode).toBe(202);
    const sha = sha256(pdf);
    expect(res.json()).toMatchObject({
      id: sha,
      sha256: sha,
      status: 'accepted',
      location: `/v1/documents/${sha}`,
      fileName: 'march invoice.pdf',
    });
    expect(res.headers.location).toBe(`/v1/documents/${sha}`);

    const body = await waitForDocument(h.app, sha);
    await h.app.autod.work.idle();
    expect(body.document.sha256).toBe(sha);
    expect(body.document.claimOwner).toBeUndefined();
    expect(body.attempts).toHaveLength(1);
    const id: number = body.document.id;

    const byId = await h.app.inject({ method: 'GET', url: `/v1/documents/${id}`, headers: AUTH });
    expect(byId.json().document.sha256).toBe(sha);

    const list = await h.app.inject({ method: 'GET', url: '/v1/documents?status=completed&limit=10', headers: AUTH });
    expect(list.json()).toMatchObject({ total: 1, limit: 10 });
    expect(list.json().items[0].id).toBe(id);
    const none = await h.app.inject({ method: 'GET', url: '/v1/documents?status=failed', headers: AUTH });
    expect(none.json().total).toBe(0);

    const file = await h.app.inject({ method: 'GET', url: `/v1/documents/${sha}/file`, headers: AUTH });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toContain('march invoice.pdf');
    expect(sha256(file.rawPayload)).toBe(sha);

    const search = await h.app.inject({ method: 'GET', url: '/v1/search?q=acme', headers: AUTH });
    expect(search.statusCode).toBe(200);
    expect(search.json().mode).toBe('hybrid');
    expect(search.json().hits[0].id).toBe(id);
    for (const mode of ['fulltext', 'vector']) {
      const r = await h.app.inject({ method: 'GET', url: `/v1/search?q=acme&mode=${mode}`, headers: AUTH });
      expect(r.json().mode).toBe(mode);
      expect(r.json().hits[0].id).toBe(id);
    }
    expect(search.json().hits[0].document.sha256).toBe(sha);
    const miss = await h.app.inject({ method: 'GET', url: '/v1/search?q=zebrafish', headers: AUTH });
    expect(miss.json().hits).toEqual([]);

    const again = await h.app.inject({ method: 'POST', url: `/v1/documents/${id}/reprocess`, headers: AUTH });
    expect(again.statusCode).toBe(200);
    expect(again.json().outcome.kind).toBe('processed');
    const after = await h.app.inject({ method: 'GET', url: `/v1/documents/${id}`, headers: AUTH });
    expect(after.json().attempts).toHaveLength(2);

    // The local provider pays nothing: two attempts at $0, no paid calls.
    const costs = await h.app.inject({ method: 'GET', url: '/v1/costs?groupBy=provider', headers: AUTH });
    expect(costs.statusCode).toBe(200);
    expect(costs.json().rows).toEqual([
      expect.objectContaining({ key: 'local', attempts: 2, documents: 1, calls: 0, costUsd: 0 }),
    ]);
    expect(costs.json().totals).toMatchObject({ attempts: 2, documents: 1, costUsd: 0, calls: 0 });
    // Paid calls come from the spend ledger, as `autod costs` reads them: a settled extraction, an embedding call,
    // and a call still in flight (counted at its estimate).
    const call = { provider: 'openai', model: 'gpt-5-mini', source: sha };
    const settled = await h.runtime.db.spend.reserve({ ...call, operation: 'responses.create', estimatedUsd: 0.01 });
    const embedding = await h.runtime.db.spend.reserve({
      ...call,
      operation: 'embeddings.create',
      estimatedUsd: 0.001,
    });
    const inFlight = await h.runtime.db.spend.reserve({ ...call, operation: 'responses.create', estimatedUsd: 0.002 });
    if (!settled.ok || !embedding.ok || !inFlight.ok) throw new Error('refused without caps');
    const usage = (i: number, o: number) => ({
      inputTokens: i,
      cachedInputTokens: 0,
      outputTokens: o,
      reasoningTokens: 0,
      totalTokens: i + o,
    });
    await h.runtime.db.spend.settle(settled.id, { usage: usage(1000, 200), costUsd: 0.004 });
    await h.runtime.db.spend.settle(embedding.id, { usage: usage(500, 0), costUsd: 0.0001 });
    const paid = (await h.app.inject({ method: 'GET', url: '/v1/costs?groupBy=provider', headers: AUTH })).json();
    expect(paid.rows).toEqual([
      expect.objectContaining({ key: 'local', attempts: 2, calls: 0, costUsd: 0 }),
      expect.objectContaining({
        key: 'openai',
        attempts: 0,
        calls: 3,
        documents: 1,
        inputTokens: 1500,
        outputTokens: 200,
      }),
    ]);
    expect(paid.totals.costUsd).toBeCloseTo(0.0061, 9);
    expect(paid.totals.pendingUsd).toBeCloseTo(0.002, 9);
    expect(paid.totals.calls).toBe(3);
    const empty = await h.app.inject({ method: 'GET', url: '/v1/costs?from=2000-01-01&to=2000-01-31', headers: AUTH });
    expect(empty.json().totals.attempts).toBe(0);

    expect(await listTree(join(h.dir, 'inbox'))).toEqual([]);
    expect((await listTree(join(h.dir, 'processed'))).length).toBe(1);
  });

  it('answers 202 for an upload the pipeline has not picked up yet', async () => {
    h = await harness();
    const pipeline = h.runtime.pipeline;
    const original = pipeline.processFile.bind(pipeline);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    vi.spyOn(pipeline, 'processFile').mockImplementation(async (path, signal) => {
      await gate;
      return original(path, signal);
    });
    const pdf = await invoicePdf('Later Ltd');
    const res = await upload(h.app, 'later.pdf', pdf);
    const pending = await h.app.inject({ method: 'GET', url: `/v1/documents/${res.json().id}`, headers: AUTH });
    expect(pending.statusCode).toBe(202);
    expect(pending.json()).toMatchObject({ id: sha256(pdf), status: 'processing', fileName: 'later.pdf' });
    release();
    await waitForDocument(h.app, sha256(pdf));
  });

  it('files a second upload of the same content as a duplicate', async () => {
    h = await harness();
    const pdf = await invoicePdf('Twice Co');
    const [a, b] = await Promise.all([upload(h.app, 'a.pdf', pdf), upload(h.app, 'a.pdf', pdf)]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    const body = await waitForDocument(h.app, sha256(pdf));
    await h.app.autod.work.idle();
    const dupes = await h.app.inject({ method: 'GET', url: `/v1/documents/${body.document.id}`, headers: AUTH });
    expect(dupes.json().duplicates).toHaveLength(1);
    expect(await listTree(join(h.dir, 'duplicates'))).toHaveLength(1);
    expect(await listTree(join(h.dir, 'inbox'))).toEqual([]);
  });

  it('rejects bad uploads and leaves nothing behind', async () => {
    h = await harness({ bodyLimitMb: 0.05 });
    const notPdf = await upload(h.app, 'evil.pdf', Buffer.from('MZ\x90\x00 this is an executable, not a PDF'));
    expect(notPdf.statusCode).toBe(415);
    expect(notPdf.json().error.code).toBe('INPUT_UNSUPPORTED_TYPE');
    // The pipeline's intake check: the same message as for the file dropped in the inbox.
    expect(notPdf.json().error.message).toBe(
      documentBytesError('evil.pdf', Buffer.from('MZ\x90\x00 this is an executable, not a PDF'))?.message,
    );

    const tiny = await upload(h.app, 'tiny.pdf', Buffer.from('%PD'));
    expect(tiny.statusCode).toBe(415);

    const empty = await upload(h.app, 'empty.pdf', new Uint8Array(0));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('INPUT_EMPTY');
    expect(empty.json().error.message).toBe(documentBytesError('empty.pdf', new Uint8Array(0))?.message);

    const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(80 * 1024, 0x20)]);
    const tooBig = await upload(h.app, 'big.pdf', big);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error.code).toBe('INPUT_TOO_LARGE');
    expect(tooBig.json().error.message).toMatch(
      /^big\.pdf is over the 0\.1 MB limit; split it or raise AUTOD_MAX_FILE_MB\.$/,
    );

    const json = await h.app.inject({ method: 'POST', url: '/v1/documents', headers: AUTH, payload: { file: 'x' } });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe('VALIDATION_FAILED');

    const unauth = await upload(h.app, 'x.pdf', await invoicePdf('Nobody'), {});
    expect(unauth.statusCode).toBe(401);

    expect(await listTree(join(h.dir, 'inbox'))).toEqual([]);
  });

  it('accepts an image by its bytes, names it by its type and files it as a PDF with the original kept', async () => {
    h = await harness();
    const png = await buildScannedImage([['Image upload', 'Total 3.00']]);
    const res = await upload(h.app, 'phone photo.pdf', png);
    expect(res.statusCode).toBe(202);
    expect(res.json().fileName).toBe('phone photo.png');
    const body = await waitForDocument(h.app, res.json().id);
    expect(body.document).toMatchObject({ mediaType: 'image/png', fileName: 'phone photo.png' });
    expect(body.document.storagePath).toMatch(/\.pdf$/);
    expect(body.document.originalPath).toMatch(/\.png$/);
    await h.app.autod.work.idle(); // completed is committed before the file is moved: wait for the filing
    const file = await h.app.inject({ method: 'GET', url: `/v1/documents/${res.json().id}/file`, headers: AUTH });
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('stores hostile file names as a safe basename inside the inbox', async () => {
    h = await harness();
    const pdf = await invoicePdf('Traversal Inc');
    const res = await upload(h.app, '..\\..\\..\\etc\\pass\u0007wd', pdf);
    expect(res.statusCode).toBe(202);
    expect(res.json().fileName).toBe('passwd.pdf');
    const dotdot = await upload(h.app, '..', await invoicePdf('Dots'));
    expect(dotdot.json().fileName).toBe('upload.pdf');
    await waitForDocument(h.app, res.json().id);
    await waitForDocument(h.app, dotdot.json().id);
    await h.app.autod.work.idle();
    const processed = await listTree(join(h.dir, 'processed'));
    expect(processed).toHaveLength(2);
    const top = await readdir(h.dir);
    expect(top.sort()).toEqual(expect.arrayContaining(['duplicates', 'failed', 'inbox', 'processed']));
    expect(top.some((n) => n.startsWith('pass'))).toBe(false);
  });

  it('reports a failed document (corrupt PDF)', async () => {
    h = await harness();
    const corrupt = Buffer.from('%PDF-1.4\nthis is not really a pdf at all\n%%EOF\n');
    const res = await upload(h.app, 'broken.pdf', corrupt);
    expect(res.statusCode).toBe(202);
    const body = await waitFor(async () => {
      const r = await h!.app.inject({ method: 'GET', url: `/v1/documents/${res.json().id}`, headers: AUTH });
      return r.statusCode === 200 && r.json().status === 'failed' ? r.json() : undefined;
    });
    expect(JSON.stringify(body)).toMatch(/INPUT_CORRUPT_PDF|INPUT_NO_TEXT/);
    const failed = await waitFor(async () => {
      // The PDF is moved first, then its report is written beside it.
      const files = await listTree(join(h!.dir, 'failed'));
      return files.some((f) => f.endsWith('.error.json')) ? files : undefined;
    });
    expect(failed).toEqual(['broken.pdf', 'broken.pdf.error.json']);
  });

  it('lists every failure, also those found before a claim, under status=failed and waiting documents apart', async () => {
    h = await harness();
    const inbox = h.runtime.pipeline.dirs.inbox;
    const old = new Date(Date.now() - 3_600_000);
    await writeFile(join(inbox, 'notes.txt'), 'just text, not a document');
    await writeFile(join(inbox, 'empty.pdf'), '');
    for (const n of ['notes.txt', 'empty.pdf']) await utimes(join(inbox, n), old, old);
    for (const n of ['notes.txt', 'empty.pdf'])
      expect((await h.runtime.pipeline.processFile(join(inbox, n))).kind).toBe('failed');
    const res = await h.app.inject({
      method: 'GET',
      url: '/v1/documents?status=failed&orderBy=id&order=asc',
      headers: AUTH,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(2);
    expect(
      res
        .json()
        .items.map((d: { fileName: string; errorCode: string; storagePath: string }) => [
          d.fileName,
          d.errorCode,
          d.storagePath,
        ]),
    ).toEqual([
      ['notes.txt', 'INPUT_UNSUPPORTED_TYPE', join(h.dir, 'failed', 'notes.txt')],
      ['empty.pdf', 'INPUT_EMPTY', join(h.dir, 'failed', 'empty.pdf')],
    ]);
    const waiting = await h.app.inject({ method: 'GET', url: '/v1/documents?status=waiting', headers: AUTH });
    expect(waiting.statusCode).toBe(200);
    expect(waiting.json().total).toBe(0);
  });

  it('validates ids and query parameters', async () => {
    h = await harness();
    const bad = await h.app.inject({ method: 'GET', url: '/v1/documents/..%2F..%2Fetc', headers: AUTH });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const missing = await h.app.inject({ method: 'GET', url: '/v1/documents/999', headers: AUTH });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('DOCUMENT_NOT_FOUND');
    const missingFile = await h.app.inject({
      method: 'GET',
      url: `/v1/documents/${'a'.repeat(64)}/file`,
      headers: AUTH,
    });
    expect(missingFile.statusCode).toBe(404);
    const reprocessMissing = await h.app.inject({ method: 'POST', url: '/v1/documents/999/reprocess', headers: AUTH });
    expect(reprocessMissing.statusCode).toBe(404);
    const limit = await h.app.inject({ method: 'GET', url: '/v1/documents?limit=0', headers: AUTH });
    expect(limit.statusCode).toBe(400);
    expect(limit.json().error.message).toContain('limit');
    const noQuery = await h.app.inject({ method: 'GET', url: '/v1/search', headers: AUTH });
    expect(noQuery.statusCode).toBe(400);
    const badMode = await h.app.inject({ method: 'GET', url: '/v1/search?q=x&mode=psychic', headers: AUTH });
    expect(badMode.statusCode).toBe(400);
    const groupBy = await h.app.inject({ method: 'GET', url: '/v1/costs?groupBy=planet', headers: AUTH });
    expect(groupBy.statusCode).toBe(400);
  });
});

describe('graceful close', () => {
  it('finishes accepted uploads before closing', async () => {
    h = await harness();
    const pdfs = await Promise.all(['a', 'b', 'c'].map((n) => invoicePdf(`Drain ${n}`)));
    for (const [i, pdf] of pdfs.entries()) expect((await upload(h.app, `d${i}.pdf`, pdf)).statusCode).toBe(202);
    await h.app.close();
    expect(await listTree(join(h.dir, 'processed'))).toHaveLength(3);
    expect(await listTree(join(h.dir, 'inbox'))).toEqual([]);
    const docs = await h.runtime.db.documents.list({ status: 'completed' });
    expect(docs.total).toBe(3);
    expect(await readFile(join(h.dir, 'processed', (await listTree(join(h.dir, 'processed')))[0]!))).toBeInstanceOf(
      Buffer,
    );
  });
});

describe('review', () => {
  it('corrects fields with PATCH, lists the review queue, accepts, and refuses bad corrections', async () => {
    h = await harness();
    const bytes = await invoicePdf('Northwind Traders Ltd');
    const res = await upload(h.app, 'invoice.pdf', bytes);
    expect(res.statusCode).toBe(202);
    const done = await waitForDocument(h.app, res.json().id);
    const id = done.document.id as number;

    const cleared = await h.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${id}`,
      headers: AUTH,
      payload: { fields: { primary_date: null, issuer: 'Northwind Traders' }, note: 'date unreadable' },
    });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().document).toMatchObject({ issuer: 'Northwind Traders', needsReview: true });
    expect(cleared.json().document.metadata.primary_date).toBeNull();
    expect(cleared.json().corrections.map((c: { field: string }) => c.field)).toEqual(['issuer', 'primary_date']);

    const queue = await h.app.inject({ method: 'GET', url: '/v1/review', headers: AUTH });
    expect(queue.statusCode).toBe(200);
    expect(queue.json()).toMatchObject({ total: 1, items: [{ id, reviewReasons: ['primary_date not found'] }] });

    const bad = await h.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${id}`,
      headers: AUTH,
      payload: { fields: { primary_date: '2024-02-31' } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const unknownField = await h.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${id}`,
      headers: AUTH,
      payload: { fields: { colour: 'red' } },
    });
    expect(unknownField.statusCode).toBe(400);

    const accepted = await h.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${id}`,
      headers: AUTH,
      payload: { fields: { primary_date: '2024-03-01' }, accept: true },
    });
    expect(accepted.json().document).toMatchObject({ primaryDate: '2024-03-01', needsReview: false });
    expect((await h.app.inject({ method: 'GET', url: '/v1/review', headers: AUTH })).json().total).toBe(0);
    const noToken = await h.app.inject({ method: 'PATCH', url: `/v1/documents/${id}`, payload: { accept: true } });
    expect(noToken.statusCode).toBe(401);
  });
});
