import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AUTH, TOKEN, harness, invoicePdf, multipart, sha256, waitFor, type Harness } from './__tests__/helpers.js';

/**
 * Every route is called for real (`app.inject`) and every answer is checked against the OpenAPI document the server
 * publishes at /docs/json: its status must be documented for the route, its content type too, and a JSON body must
 * validate against the documented schema with no undocumented property (ajv, which knows OpenAPI 3.0's
 * `nullable`). The document itself must be a valid OpenAPI document (@seriousme/openapi-schema-validator).
 */

type Json = Record<string, unknown>;
interface Operation {
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
  parameters?: { in: string; name: string }[];
}

let h: Harness;
let spec: { openapi: string; paths: Record<string, Record<string, Operation>> };
const ajv = new Ajv({ strict: false, allErrors: true }); // ajv 8 knows OpenAPI's `nullable` by default
addFormats.default(ajv);
const compiled = new Map<string, ValidateFunction>();
/** method + path template -> statuses seen */
const seen = new Map<string, Set<number>>();

/** A copy of `schema` where every object with `properties` allows no other property (loose ones included). */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object')
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, closed(s)]));
    else if (['items', 'anyOf', 'oneOf', 'allOf', 'not'].includes(k)) out[k] = closed(v);
    else if (k === 'additionalProperties' && v && typeof v === 'object' && Object.keys(v).length > 0)
      out[k] = closed(v);
    else out[k] = v;
  }
  if ('properties' in out) out['additionalProperties'] = false;
  return out;
}

/** Checks one real answer against the document and records that the route answered with this status. */
function check(method: string, template: string, res: LightMyRequestResponse): void {
  const op = spec.paths[template]?.[method.toLowerCase()];
  expect(op, `${method} ${template} is not in the OpenAPI document`).toBeDefined();
  const status = String(res.statusCode);
  const response = op!.responses[status] ?? op!.responses['default'];
  expect(response, `${method} ${template} answered ${status}, which the document does not list`).toBeDefined();
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  const content = response!.content ?? {};
  if (res.statusCode === 204) {
    expect(Object.keys(content), `${method} ${template} 204 documents a body`).toEqual([]);
    expect(res.body).toBe('');
    const k = `${method.toUpperCase()} ${template}`;
    seen.set(k, (seen.get(k) ?? new Set()).add(res.statusCode));
    return;
  }
  expect(Object.keys(content), `${method} ${template} ${status}: content type ${type} is not documented`).toContain(
    type,
  );
  if (type === 'application/json') {
    const key = `${method} ${template} ${status}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(closed(content[type]!.schema ?? {}) as Json);
      compiled.set(key, validate);
    }
    const body: unknown = res.json();
    const ok = validate(body);
    expect(ok, `${key}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`).toBe(true);
  }
  const k = `${method.toUpperCase()} ${template}`;
  seen.set(k, (seen.get(k) ?? new Set()).add(res.statusCode));
}

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  template: string,
  url: string,
  extra: { headers?: Record<string, string>; payload?: unknown; auth?: boolean } = {},
): Promise<LightMyRequestResponse> {
  const res = await h.app.inject({
    method,
    url,
    headers: { ...(extra.auth === false ? {} : AUTH), ...(extra.headers ?? {}) },
    ...(extra.payload !== undefined ? { payload: extra.payload as string } : {}),
  });
  check(method, template, res);
  return res;
}

beforeAll(async () => {
  h = await harness();
  const res = await h.app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  spec = res.json();
});
afterAll(async () => {
  await h?.close();
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI document', async () => {
    const result = await new Validator().validate(spec);
    expect(result.valid, JSON.stringify(result.errors, null, 2)).toBe(true);
  });

  it('describes every route: its request and at least one success response with a schema', () => {
    const routes = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ p, m, op })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(17);
    for (const { p, m, op } of routes) {
      const ok = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
      expect(ok.length, `${m} ${p} documents no success response`).toBeGreaterThan(0);
      for (const [s, r] of ok.filter(([code]) => code !== '204'))
        expect(Object.keys(r.content ?? {}).length, `${m} ${p} ${s} has no content`).toBeGreaterThan(0);
    }
    const upload = spec.paths['/v1/documents']!['post']!;
    expect(upload.responses['202']).toBeDefined();
    expect(upload.responses['200']).toBeUndefined();
    expect(upload.requestBody?.content['multipart/form-data']?.schema).toMatchObject({
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    });
    expect(spec.paths['/v1/documents/{id}']!['patch']!.requestBody?.content['application/json']).toBeDefined();
    const search = spec.paths['/v1/search']!['get']!.parameters!.map((x) => x.name);
    const list = spec.paths['/v1/documents']!['get']!.parameters!.map((x) => x.name);
    for (const filter of list.filter((n) => !['limit', 'offset', 'orderBy', 'order'].includes(n)))
      expect(search, `GET /v1/search lacks the list filter ${filter}`).toContain(filter);
  });
});

describe('every route answers as documented', () => {
  it('health, metrics, documents, review, search, costs and batches', async () => {
    for (const probe of ['live', 'ready', 'startup', 'dependencies'])
      await call('GET', `/health/${probe}`, `/health/${probe}`, { auth: false }); // 503 before start-up for some
    h.runtime.health.markStarted();
    for (const probe of ['ready', 'startup'])
      expect((await call('GET', `/health/${probe}`, `/health/${probe}`, { auth: false })).statusCode).toBe(200);
    await call('GET', '/metrics', '/metrics');
    await call('GET', '/metrics', '/metrics', { auth: false }); // 401

    // upload: 202, then 202 pending / 200 done; bad uploads
    const pdf = await invoicePdf('Openapi Power');
    const sha = sha256(pdf);
    const pipeline = h.runtime.pipeline;
    const original = pipeline.processFile.bind(pipeline);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const spy = vi.spyOn(pipeline, 'processFile').mockImplementation(async (path, signal) => {
      await gate;
      return original(path, signal);
    });
    const form = multipart('openapi.pdf', pdf);
    await call('POST', '/v1/documents', '/v1/documents', { headers: form.headers, payload: form.payload });
    const pending = await call('GET', '/v1/documents/{id}', `/v1/documents/${sha}`);
    expect(pending.statusCode).toBe(202);
    release();
    await waitFor(async () => {
      const r = await h.app.inject({ method: 'GET', url: `/v1/documents/${sha}`, headers: AUTH });
      return r.statusCode === 200 ? true : undefined;
    });
    spy.mockRestore();
    await h.app.autod.work.idle();
    const done = await call('GET', '/v1/documents/{id}', `/v1/documents/${sha}`);
    expect(done.statusCode).toBe(200);
    const id = done.json().document.id as number;
    const notPdf = multipart('x.pdf', new TextEncoder().encode('hello, not a pdf'));
    expect(
      (await call('POST', '/v1/documents', '/v1/documents', { headers: notPdf.headers, payload: notPdf.payload }))
        .statusCode,
    ).toBeGreaterThanOrEqual(400);
    await call('POST', '/v1/documents', '/v1/documents', {
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    await call('GET', '/v1/documents/{id}', `/v1/documents/${'0'.repeat(64)}`); // 404
    await call('GET', '/v1/documents/{id}', '/v1/documents/not-an-id'); // 400

    await call('GET', '/v1/documents', '/v1/documents?status=completed&needsReview=false&limit=5');
    await call('GET', '/v1/documents', '/v1/documents?limit=0'); // 400
    await call('GET', '/v1/documents/{id}/file', `/v1/documents/${id}/file`);
    await call('GET', '/v1/documents/{id}/file', '/v1/documents/999999/file'); // 404

    await call('GET', '/v1/review', '/v1/review?limit=10');
    const patched = await call('PATCH', '/v1/documents/{id}', `/v1/documents/${id}`, {
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ fields: { issuer: 'Openapi Power Ltd' }, accept: true, note: 'checked' }),
    });
    expect(patched.statusCode).toBe(200);
    await call('PATCH', '/v1/documents/{id}', `/v1/documents/${id}`, {
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ fields: { total_amount: 'lots' } }),
    }); // 400
    await call('PATCH', '/v1/documents/{id}', '/v1/documents/999999', {
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ accept: true }),
    }); // 404
    const again = await call('POST', '/v1/documents/{id}/reprocess', `/v1/documents/${id}/reprocess`);
    expect(again.json().outcome.kind).toBe('processed');
    await call('POST', '/v1/documents/{id}/reprocess', '/v1/documents/999999/reprocess'); // 404
    const attempts = await call('GET', '/v1/documents/{id}/attempts', `/v1/documents/${id}/attempts`);
    expect(attempts.json().items.length).toBeGreaterThanOrEqual(2);
    await call('GET', '/v1/documents/{id}/attempts', '/v1/documents/999999/attempts'); // 404

    for (const mode of ['hybrid', 'fulltext', 'vector'])
      await call('GET', '/v1/search', `/v1/search?q=openapi&mode=${mode}&needsReview=false&subcategory=Utilities`);
    const hit = await call('GET', '/v1/search', '/v1/search?q=openapi');
    expect(hit.json().hits[0]?.document?.id).toBe(id);
    await call('GET', '/v1/search', '/v1/search?q=openapi&limit=1000'); // 400: over SEARCH_MAX_TOP_K

    await call('GET', '/v1/costs', '/v1/costs?groupBy=model');
    await call('GET', '/v1/costs', '/v1/costs?from=2020-13-01'); // 400

    // batches: dry run 200, a real run 202, list, one, resume (409 once done), events, 404
    const folder = join(h.runtime.pipeline.dirs.inbox, 'backfill');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder, { recursive: true }));
    await writeFile(join(folder, 'b1.pdf'), await invoicePdf('Batch One'));
    const json = { 'content-type': 'application/json' };
    await call('POST', '/v1/batches', '/v1/batches', {
      headers: json,
      payload: JSON.stringify({ dir: 'backfill', dryRun: true }),
    });
    const started = await call('POST', '/v1/batches', '/v1/batches', {
      headers: json,
      payload: JSON.stringify({ dir: 'backfill' }),
    });
    expect(started.statusCode).toBe(202);
    const batchId = started.json().id as string;
    await waitFor(async () => {
      const r = await h.app.inject({ method: 'GET', url: `/v1/batches/${batchId}`, headers: AUTH });
      return r.json().active === false ? true : undefined;
    });
    await call('GET', '/v1/batches', '/v1/batches?limit=5');
    await call('GET', '/v1/batches/{id}', `/v1/batches/${batchId}`);
    await call('GET', '/v1/batches/{id}', '/v1/batches/nope'); // 404
    await call('POST', '/v1/batches', '/v1/batches', { headers: json, payload: JSON.stringify({}) }); // 400
    await call('POST', '/v1/batches/{id}/resume', `/v1/batches/${batchId}/resume`, { headers: json, payload: '{}' }); // 409
    // cut off (as by a restart): an item back to pending, the batch interrupted; then it resumes (202)
    await h.runtime.db.knex('batch_items').where('batch_id', batchId).update({ status: 'pending' });
    await h.runtime.db.knex('batches').where('id', batchId).update({ status: 'interrupted' });
    const resumed = await call('POST', '/v1/batches/{id}/resume', `/v1/batches/${batchId}/resume`, {
      headers: json,
      payload: '{}',
    });
    expect(resumed.statusCode).toBe(202);
    await waitFor(async () => {
      const r = await h.app.inject({ method: 'GET', url: `/v1/batches/${batchId}`, headers: AUTH });
      return r.json().active === false ? true : undefined;
    });
    const events = await call('GET', '/v1/batches/{id}/events', `/v1/batches/${batchId}/events`);
    expect(events.body).toContain('event: snapshot');
  });

  it('the web app routes: session, events, budget, system, corrections, thumbnails, originals, batch cancel', async () => {
    const json = { 'content-type': 'application/json' };
    const signIn = await call('POST', '/v1/session', '/v1/session', {
      auth: false,
      headers: json,
      payload: JSON.stringify({ token: TOKEN }),
    });
    expect(signIn.statusCode).toBe(200);
    const cookie = String(signIn.headers['set-cookie'] ?? '').split(';')[0]!;
    await call('POST', '/v1/session', '/v1/session', {
      auth: false,
      headers: json,
      payload: JSON.stringify({ token: 'not-the-token-at-all' }),
    }); // 401
    await call('GET', '/v1/session', '/v1/session', { auth: false, headers: { cookie } });
    await call('GET', '/v1/session', '/v1/session');
    await call('GET', '/v1/session', '/v1/session', { auth: false }); // 401
    await call('DELETE', '/v1/session', '/v1/session');

    await call('GET', '/v1/events/recent', '/v1/events/recent?after=0');
    await call('GET', '/v1/budget', '/v1/budget');
    await call('GET', '/v1/system', '/v1/system');
    await call('GET', '/v1/system', '/v1/system', { auth: false }); // 401

    // the live stream: read its head, then hang up
    const stream = await h.app.inject({ method: 'GET', url: '/v1/events', headers: AUTH, payloadAsStream: true });
    check('GET', '/v1/events', stream);
    stream.stream().destroy();

    const list = await h.app.inject({ method: 'GET', url: '/v1/documents?limit=1', headers: AUTH });
    const id = list.json().items[0].id as number;
    await call('GET', '/v1/documents/{id}/corrections', `/v1/documents/${id}/corrections`);
    await call('GET', '/v1/documents/{id}/corrections', '/v1/documents/999999/corrections'); // 404
    const thumb = await call('GET', '/v1/documents/{id}/pages/{n}/thumbnail', `/v1/documents/${id}/pages/1/thumbnail`);
    expect(thumb.statusCode).toBe(200);
    await call('GET', '/v1/documents/{id}/pages/{n}/thumbnail', `/v1/documents/${id}/pages/99/thumbnail`); // 404
    const original = await call('GET', '/v1/documents/{id}/original', `/v1/documents/${id}/original`);
    expect(original.statusCode).toBe(200);

    // cancel: a batch held in flight is cancelled (200), a finished one is a conflict (409)
    const folder = join(h.runtime.pipeline.dirs.inbox, 'to-cancel');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'c1.pdf'), await invoicePdf('Cancel One'));
    const pipeline = h.runtime.pipeline;
    const processFile = pipeline.processFile.bind(pipeline);
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    // held in flight until the batch is cancelled (its signal aborts)
    const spy = vi.spyOn(pipeline, 'processFile').mockImplementation(async (path, signal, hooks) => {
      entered();
      await new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      return processFile(path, signal, hooks);
    });
    const started = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { ...AUTH, ...json },
      payload: JSON.stringify({ dir: 'to-cancel' }),
    });
    expect(started.statusCode, started.body).toBe(202);
    const batchId = started.json().id as string;
    await inFlight;
    const cancelled = await call('POST', '/v1/batches/{id}/cancel', `/v1/batches/${batchId}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    spy.mockRestore();
    await waitFor(async () => {
      const r = await h.app.inject({ method: 'GET', url: `/v1/batches/${batchId}`, headers: AUTH });
      return r.json().active === false ? true : undefined;
    });
    await call('POST', '/v1/batches/{id}/cancel', `/v1/batches/${batchId}/cancel`); // 409: not running
  });

  it('every documented route was called, with a success answer', () => {
    for (const [p, ops] of Object.entries(spec.paths)) {
      for (const m of Object.keys(ops)) {
        const statuses = [...(seen.get(`${m.toUpperCase()} ${p}`) ?? [])];
        expect(
          statuses.some((s) => s >= 200 && s < 300),
          `${m.toUpperCase()} ${p} was never answered with a 2xx`,
        ).toBe(true);
      }
    }
  });
});
