import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, TOKEN, harness, invoicePdf, multipart, waitFor, type Harness } from './__tests__/helpers.js';
import { SESSION_COOKIE, readCookie } from './session.js';
import { sniffType } from './routes/thumbnails.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function signIn(app: Harness['app'], token = TOKEN) {
  const res = await app.inject({ method: 'POST', url: '/v1/session', payload: { token } });
  const setCookie = String(res.headers['set-cookie'] ?? '');
  const id = readCookie(setCookie.split(';')[0], SESSION_COOKIE) ?? '';
  return { res, cookie: `${SESSION_COOKIE}=${id}`, setCookie, body: res.json() };
}

describe('web sessions', () => {
  it('exchanges the token for an httpOnly SameSite=Strict cookie stored only as a hash; the cookie reads the API', async () => {
    h = await harness();
    const { res, cookie, setCookie, body } = await signIn(h.app);
    expect(res.statusCode).toBe(200);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/); // plain HTTP here
    expect(body).toMatchObject({ via: 'session', csrfToken: expect.any(String) });
    const id = cookie.split('=')[1]!;
    const rows = await h.runtime.db.knex('web_sessions').select('id_hash');
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(id);

    const list = await h.app.inject({ method: 'GET', url: '/v1/documents', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    const who = await h.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });
    expect(who.json()).toMatchObject({ via: 'session', csrfToken: body.csrfToken });
    const bearer = await h.app.inject({ method: 'GET', url: '/v1/session', headers: AUTH });
    expect(bearer.json()).toEqual({ via: 'bearer', csrfToken: null, expiresAt: null });
  });

  it('sets Secure over TLS (behind a proxy that says so)', async () => {
    h = await harness({ trustProxy: true });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { token: TOKEN },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it('refuses a wrong token, an unknown or expired session, and signs out', async () => {
    h = await harness({ sessionTtlMs: 60_000 });
    const wrong = await signIn(h.app, 'not-the-token-at-all');
    expect(wrong.res.statusCode).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    expect(wrong.setCookie).toBe('');

    const bogus = await h.app.inject({
      method: 'GET',
      url: '/v1/documents',
      headers: { cookie: `${SESSION_COOKIE}=${'x'.repeat(43)}` },
    });
    expect(bogus.statusCode).toBe(401);
    expect(bogus.json().error.code).toBe('SESSION_EXPIRED');

    const { cookie, body } = await signIn(h.app);
    await h.runtime.db.knex('web_sessions').update({ expires_at: Date.now() - 1 });
    const expired = await h.app.inject({ method: 'GET', url: '/v1/documents', headers: { cookie } });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toMatchObject({ code: 'SESSION_EXPIRED', hint: expect.stringContaining('Sign in') });

    const second = await signIn(h.app);
    const out = await h.app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie: second.cookie, 'x-csrf-token': second.body.csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    const after = await h.app.inject({ method: 'GET', url: '/v1/documents', headers: { cookie: second.cookie } });
    expect(after.statusCode).toBe(401);
    expect(body.csrfToken).not.toBe(second.body.csrfToken);
  });

  it('needs the CSRF token and the same origin for changes made with the cookie; the bearer token needs neither', async () => {
    h = await harness();
    const { cookie, body } = await signIn(h.app);
    const patch = (headers: Record<string, string>) =>
      h!.app.inject({ method: 'PATCH', url: '/v1/documents/1', payload: { accept: true }, headers });

    const noToken = await patch({ cookie });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('CSRF_REJECTED');
    const wrongToken = await patch({ cookie, 'x-csrf-token': 'A'.repeat(body.csrfToken.length) });
    expect(wrongToken.statusCode).toBe(403);
    const crossSite = await patch({ cookie, 'x-csrf-token': body.csrfToken, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.statusCode).toBe(403);
    const otherOrigin = await patch({ cookie, 'x-csrf-token': body.csrfToken, origin: 'http://evil.example' });
    expect(otherOrigin.statusCode).toBe(403);
    const sameOrigin = await patch({
      cookie,
      'x-csrf-token': body.csrfToken,
      origin: 'http://localhost:80',
      host: 'localhost:80',
      'sec-fetch-site': 'same-origin',
    });
    expect(sameOrigin.statusCode).toBe(404); // passed auth; there is no document 1
    expect(sameOrigin.json().error.code).toBe('DOCUMENT_NOT_FOUND');
    const bearer = await patch({ ...AUTH });
    expect(bearer.statusCode).toBe(404);

    // Sign-in from another site is refused too (login CSRF).
    const foreign = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { token: TOKEN },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(foreign.statusCode).toBe(403);
  });
});

describe('the web app', () => {
  it('serves hashed assets immutable, index.html no-cache with a CSP, client routes fall back, the API stays JSON', async () => {
    const dir = join(await import('node:os').then((os) => os.tmpdir()), `autod-web-${process.pid}-${Date.now()}`);
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>autod</title><div id="root"></div>');
    await writeFile(join(dir, 'assets', 'app-abc123.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
    h = await harness({ webDir: dir });

    const page = await h.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const route = await h.app.inject({ method: 'GET', url: '/documents/12?q=water' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('id="root"');

    const asset = await h.app.inject({
      method: 'GET',
      url: '/assets/app-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(asset.rawPayload).toString()).toContain('console.log');

    expect((await h.app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/assets/..%2f..%2fetc%2fpasswd' })).statusCode).toBe(404);
    const api = await h.app.inject({ method: 'GET', url: '/v1/nope' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('NOT_FOUND');
    const docs = await h.app.inject({ method: 'GET', url: '/v1/documents' });
    expect(docs.statusCode).toBe(401);
  });
});

describe('live document states', () => {
  it('tells queued → processing → processed for an upload, in /v1/events/recent and on the SSE stream', async () => {
    h = await harness();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.app.server.address() as { port: number }).port;
    const received: string[] = [];
    const stream = new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/v1/events', headers: { ...AUTH, accept: 'text/event-stream' } },
        (res) => {
          expect(res.headers['content-type']).toContain('text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            for (const m of chunk.matchAll(/event: document\ndata: (.*)\n/g)) {
              const e = JSON.parse(m[1]!);
              received.push(e.state);
              if (e.state === 'processed') {
                req.destroy();
                resolve();
              }
            }
          });
        },
      );
      req.on('error', (e) => (received.includes('processed') ? resolve() : reject(e)));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    const body = multipart('bill.pdf', await invoicePdf('Stream'));
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: body.payload,
      headers: { ...AUTH, ...body.headers },
    });
    expect(up.statusCode).toBe(202);
    await stream;
    expect(received[0]).toBe('queued');
    expect(received).toContain('processing');
    expect(received.at(-1)).toBe('processed');
    const recent = await h.app.inject({ method: 'GET', url: '/v1/events/recent', headers: AUTH });
    const items = recent.json().items as { state: string; sha256: string; documentId: number | null }[];
    expect(items.at(-1)).toMatchObject({
      state: 'processed',
      sha256: up.json().sha256,
      documentId: expect.any(Number),
    });
    const after = await h.app.inject({
      method: 'GET',
      url: `/v1/events/recent?after=${String(items.length - 1)}`,
      headers: AUTH,
    });
    expect(after.json().items).toHaveLength(1);
  });

  it('tells a failed file with the catalogue message', async () => {
    h = await harness();
    const body = multipart('broken.pdf', Buffer.from('%PDF-1.4\nthis is not really a pdf'));
    await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: body.payload,
      headers: { ...AUTH, ...body.headers },
    });
    const failed = await waitFor(async () => {
      const res = await h!.app.inject({ method: 'GET', url: '/v1/events/recent', headers: AUTH });
      return (res.json().items as { state: string; error: { code: string; message: string; hint: string } }[]).find(
        (e) => e.state === 'failed',
      );
    });
    expect(failed.error.code).toMatch(/^INPUT_/);
    expect(failed.error.hint.length).toBeGreaterThan(5);
  });
});

describe('thumbnails and originals', () => {
  it('renders a page once, caches it on disk, and serves the original', async () => {
    h = await harness();
    const pdf = await invoicePdf('Thumb');
    const body = multipart('thumb.pdf', pdf);
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: body.payload,
      headers: { ...AUTH, ...body.headers },
    });
    const sha = up.json().sha256 as string;
    await waitFor(async () => {
      const res = await h!.app.inject({ method: 'GET', url: `/v1/documents/${sha}`, headers: AUTH });
      return res.statusCode === 200 && res.json().status === 'completed' ? true : undefined;
    });
    const thumb = await h.app.inject({ method: 'GET', url: `/v1/documents/${sha}/pages/1/thumbnail`, headers: AUTH });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/png');
    expect(sniffType(thumb.rawPayload)).toBe('image/png');
    const cached = await readdir(join(h.dir, 'thumbnails', sha));
    expect(cached).toEqual(['1.png']);
    const again = await h.app.inject({ method: 'GET', url: `/v1/documents/${sha}/pages/1/thumbnail`, headers: AUTH });
    expect(again.rawPayload.equals(thumb.rawPayload)).toBe(true);
    const missing = await h.app.inject({ method: 'GET', url: `/v1/documents/${sha}/pages/9/thumbnail`, headers: AUTH });
    expect(missing.statusCode).toBe(404);

    const original = await h.app.inject({ method: 'GET', url: `/v1/documents/${sha}/original`, headers: AUTH });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('application/pdf');
    expect(Buffer.compare(original.rawPayload, Buffer.from(pdf))).toBe(0);
  });
});

describe('budget and system', () => {
  it('shows caps with what is left, "no cap" as null, and where the data lives', async () => {
    h = await harness({}, { AUTOD_BUDGET_DAILY_USD: '2.5' });
    const budget = await h.app.inject({ method: 'GET', url: '/v1/budget', headers: AUTH });
    expect(budget.statusCode).toBe(200);
    expect(budget.json()).toMatchObject({
      day: { capUsd: 2.5, spentUsd: 0, leftUsd: 2.5 },
      month: { capUsd: null, leftUsd: null },
      maxCostPerRunUsd: null,
    });
    const system = await h.app.inject({ method: 'GET', url: '/v1/system', headers: AUTH });
    expect(system.json()).toMatchObject({
      provider: 'local',
      breaker: 'none',
      queue: { active: 0, activeBatches: 0 },
      database: { client: 'sqlite' },
      dataDir: h.dir,
    });
    expect(system.json().folders.inbox).toContain(h.dir);
  });
});

describe('batch cancel and corrections trail', () => {
  it('cancels a running batch (interrupted, resumable) and refuses to cancel one that is not running', async () => {
    const { LocalExtractor } = await import('@autod/pipeline');
    const inner = new LocalExtractor();
    let calls = 0;
    const extractor = {
      provider: inner.provider,
      model: inner.model,
      needsOcr: inner.needsOcr,
      async extract(input: Parameters<typeof inner.extract>[0]) {
        // The second and later items wait until the batch is cancelled (their signal aborts).
        if (calls++ >= 1) {
          await new Promise<void>((_resolve, reject) => {
            if (input.signal?.aborted) reject(new Error('aborted'));
            input.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          });
        }
        return inner.extract(input);
      },
    };
    h = await harness({}, {}, { extractor });
    const sub = join(h.dir, 'inbox', 'scans');
    await mkdir(sub, { recursive: true });
    for (const name of ['a', 'b', 'c']) await writeFile(join(sub, `${name}.pdf`), await invoicePdf(`${name} AG`));
    const started = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { dir: 'scans', concurrency: 1 },
    });
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    await waitFor(async () => (calls >= 2 ? true : undefined));
    const cancelled = await h.app.inject({ method: 'POST', url: `/v1/batches/${id}/cancel`, headers: AUTH });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id, status: 'interrupted', resumable: true });
    expect(cancelled.json().pending).toBeGreaterThan(0);
    const again = await h.app.inject({ method: 'POST', url: `/v1/batches/${id}/cancel`, headers: AUTH });
    expect(again.statusCode).toBe(409);
  });

  it('lists the corrections of a document', async () => {
    h = await harness();
    const body = multipart('fix.pdf', await invoicePdf('Trail'));
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: body.payload,
      headers: { ...AUTH, ...body.headers },
    });
    const sha = up.json().sha256 as string;
    const doc = await waitFor(async () => {
      const res = await h!.app.inject({ method: 'GET', url: `/v1/documents/${sha}`, headers: AUTH });
      return res.statusCode === 200 && res.json().status === 'completed' ? res.json().document : undefined;
    });
    await h.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${doc.id}`,
      headers: AUTH,
      payload: { fields: { issuer: 'Trail Corrected GmbH' }, note: 'typo' },
    });
    const trail = await h.app.inject({ method: 'GET', url: `/v1/documents/${doc.id}/corrections`, headers: AUTH });
    expect(trail.statusCode).toBe(200);
    expect(trail.json().items).toEqual([
      expect.objectContaining({
        kind: 'correct',
        field: 'issuer',
        value: 'Trail Corrected GmbH',
        note: 'typo',
        actor: 'http',
      }),
    ]);
    const none = await h.app.inject({ method: 'GET', url: '/v1/documents/99999/corrections', headers: AUTH });
    expect(none.statusCode).toBe(404);
  });
});

describe('sign-in rate limit', () => {
  it('allows 10 sign-in attempts a minute per client, then 429', async () => {
    h = await harness();
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/session',
        payload: { token: `guess-${i}-xxxxxxxxxxxx` },
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    expect(codes[10]).toBe(429);
  });
});
