import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, parseMultipart, readBody } from './http-util.js';
import { drawLatency } from './latency.js';
import { createRng, randomHex } from './rng.js';
import { EmulatorState, type OutputFault } from './state.js';
import type {
  BilledUsage,
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  FaultConfig,
  FaultKind,
  LatencySpec,
  RecordedRequest,
  Responder,
} from './types.js';

type Json = Record<string, unknown>;

interface Ctx {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  raw: Buffer;
  contentType: string;
  outputFault: OutputFault;
}

interface Route {
  method: string;
  template: string;
  re: RegExp;
  handle: (ctx: Ctx) => Promise<{ status?: number; json?: unknown; raw?: Buffer; contentType?: string }>;
}

const DEFAULT_RATE_KINDS: FaultKind[] = ['rate_limit', 'server_error', 'unavailable'];

function bodyObject(ctx: Ctx): Json {
  if (typeof ctx.body === 'object' && ctx.body !== null && !Array.isArray(ctx.body)) return ctx.body as Json;
  throw new ApiError(400, 'The request body must be a JSON object.');
}

function buildRoutes(state: EmulatorState): Route[] {
  const routes: Route[] = [];
  const add = (method: string, template: string, handle: Route['handle']): void => {
    const re = new RegExp(`^${template.replace(/:[a-z_]+/g, '([^/]+)')}$`);
    routes.push({ method, template, re, handle });
  };
  const p = (ctx: Ctx, i: number): string => decodeURIComponent(ctx.params[i] ?? '');

  // files
  add('POST', '/v1/files', async (ctx) => {
    if (!ctx.contentType.toLowerCase().startsWith('multipart/form-data')) {
      throw new ApiError(400, 'Uploads must be multipart/form-data.');
    }
    const parts = parseMultipart(ctx.raw, ctx.contentType);
    const purpose = parts.find((x) => x.name === 'purpose')?.data.toString('utf8');
    const file = parts.find((x) => x.name === 'file');
    if (!purpose)
      throw new ApiError(400, "Missing required parameter: 'purpose'.", 'invalid_request_error', null, 'purpose');
    if (!file) throw new ApiError(400, "Missing required parameter: 'file'.", 'invalid_request_error', null, 'file');
    return { json: state.fileObject(state.addFile(file.filename ?? 'upload', purpose, file.data)) };
  });
  add('GET', '/v1/files', async (ctx) => ({ json: state.listFiles(ctx.query) }));
  add('GET', '/v1/files/:id', async (ctx) => ({ json: state.fileObject(state.getFile(p(ctx, 0))) }));
  add('DELETE', '/v1/files/:id', async (ctx) => ({ json: state.deleteFile(p(ctx, 0)) }));
  add('GET', '/v1/files/:id/content', async (ctx) => {
    const f = state.getFile(p(ctx, 0));
    return {
      raw: f.bytes,
      contentType: f.filename.endsWith('.jsonl') ? 'application/jsonl' : 'application/octet-stream',
    };
  });
  // responses
  add('POST', '/v1/responses', async (ctx) => ({ json: await state.createResponse(bodyObject(ctx), ctx.outputFault) }));
  add('GET', '/v1/responses/:id', async (ctx) => ({ json: state.getResponse(p(ctx, 0)) }));
  // embeddings
  add('POST', '/v1/embeddings', async (ctx) => ({ json: state.createEmbeddings(bodyObject(ctx)) }));
  // vector stores
  add('POST', '/v1/vector_stores', async (ctx) => ({ json: state.createVectorStore(bodyObject(ctx)) }));
  add('GET', '/v1/vector_stores', async (ctx) => ({ json: state.listVectorStores(ctx.query) }));
  add('GET', '/v1/vector_stores/:id', async (ctx) => ({ json: state.getVectorStore(p(ctx, 0)) }));
  add('POST', '/v1/vector_stores/:id', async (ctx) => ({ json: state.updateVectorStore(p(ctx, 0), bodyObject(ctx)) }));
  add('DELETE', '/v1/vector_stores/:id', async (ctx) => ({ json: state.deleteVectorStore(p(ctx, 0)) }));
  add('POST', '/v1/vector_stores/:id/files', async (ctx) => ({ json: state.attachFile(p(ctx, 0), bodyObject(ctx)) }));
  add('GET', '/v1/vector_stores/:id/files', async (ctx) => ({ json: state.listVsFiles(p(ctx, 0), ctx.query) }));
  add('GET', '/v1/vector_stores/:id/files/:file', async (ctx) => ({ json: state.getVsFile(p(ctx, 0), p(ctx, 1)) }));
  add('POST', '/v1/vector_stores/:id/files/:file', async (ctx) => ({
    json: state.updateVsFile(p(ctx, 0), p(ctx, 1), bodyObject(ctx)),
  }));
  add('DELETE', '/v1/vector_stores/:id/files/:file', async (ctx) => ({
    json: state.deleteVsFile(p(ctx, 0), p(ctx, 1)),
  }));
  add('POST', '/v1/vector_stores/:id/search', async (ctx) => ({
    json: state.searchVectorStore(p(ctx, 0), bodyObject(ctx)),
  }));
  // batches
  add('POST', '/v1/batches', async (ctx) => ({ json: state.createBatch(bodyObject(ctx)) }));
  add('GET', '/v1/batches', async (ctx) => ({ json: state.listBatches(ctx.query) }));
  add('GET', '/v1/batches/:id', async (ctx) => ({ json: state.getBatch(p(ctx, 0)) }));
  add('POST', '/v1/batches/:id/cancel', async (ctx) => ({ json: state.cancelBatch(p(ctx, 0)) }));
  return routes;
}

/** The usage a `/v1/responses` or `/v1/embeddings` answer bills. */
function billedUsage(route: string, json: unknown): BilledUsage | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const body = json as { model?: unknown; usage?: Record<string, unknown> };
  const u = body.usage;
  if (!u || typeof body.model !== 'string') return undefined;
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  if (route === '/v1/embeddings') {
    return {
      model: body.model,
      inputTokens: n(u['prompt_tokens']),
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    };
  }
  if (route !== '/v1/responses') return undefined;
  const inDetails = (u['input_tokens_details'] ?? {}) as Record<string, unknown>;
  const outDetails = (u['output_tokens_details'] ?? {}) as Record<string, unknown>;
  return {
    model: body.model,
    inputTokens: n(u['input_tokens']),
    cachedInputTokens: n(inDetails['cached_tokens']),
    outputTokens: n(u['output_tokens']),
    reasoningTokens: n(outDetails['reasoning_tokens']),
  };
}

function normaliseRoute(r: string): string {
  return r.startsWith('/v1') ? r : `/v1${r.startsWith('/') ? '' : '/'}${r}`;
}

/** Starts the emulator on 127.0.0.1 with an ephemeral port. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const rng = createRng(options.seed ?? 42);
  const state = new EmulatorState(options.embeddingDimensions ?? 1536, options.batchStepMs ?? 10);
  const routes = buildRoutes(state);
  let faults: FaultConfig = options.faults ?? {};
  let script: FaultKind[] = [...(faults.script ?? [])];
  let latency: LatencySpec | undefined = options.latencyMs;
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const pickFault = (path: string): FaultKind => {
    const routesFilter = faults.routes?.map(normaliseRoute);
    if (routesFilter && !routesFilter.some((r) => path.startsWith(r))) return 'none';
    const scripted = script.shift();
    if (scripted !== undefined) return scripted;
    const rate = faults.rate ?? 0;
    if (rate > 0 && rng() < rate) {
      const kinds = faults.kinds && faults.kinds.length > 0 ? faults.kinds : DEFAULT_RATE_KINDS;
      return kinds[Math.floor(rng() * kinds.length)] ?? 'none';
    }
    return 'none';
  };

  const send = (
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: Buffer,
    headers: Record<string, string>,
  ): void => {
    record.status = status;
    res.writeHead(status, { 'content-length': String(body.length), ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const socket = req.socket;
    const finish = (): void => {
      if (!done) {
        done = true;
        inFlight--;
        socket.off('close', finish); // keep-alive sockets serve many requests: do not pile up listeners
      }
    };
    res.on('close', finish);
    socket.on('close', finish);

    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      headers[k] = k === 'authorization' || k === 'api-key' ? '[redacted]' : Array.isArray(v) ? v.join(', ') : v;
    }
    let match: { route: Route; params: string[] } | undefined;
    for (const route of routes) {
      const m = route.re.exec(path);
      if (m && route.method === method) {
        match = { route, params: m.slice(1) };
        break;
      }
    }
    const record: RecordedRequest = {
      method,
      path,
      route: match?.route.template ?? path,
      at: Date.now(),
      status: 0,
      headers,
    };
    requests.push(record);
    const requestId = `req_${randomHex(16)}`;
    const baseHeaders = { 'x-request-id': requestId, 'openai-version': '2020-10-01', 'openai-processing-ms': '1' };
    const sendJson = (status: number, json: unknown, extra: Record<string, string> = {}): void =>
      send(res, record, status, Buffer.from(JSON.stringify(json)), {
        'content-type': 'application/json',
        ...baseHeaders,
        ...extra,
      });

    try {
      const raw = await readBody(req);
      const contentType = req.headers['content-type'] ?? '';
      let body: unknown;
      if (contentType.includes('multipart/form-data')) {
        try {
          const parts = parseMultipart(raw, contentType);
          const file = parts.find((x) => x.name === 'file');
          body = {
            purpose: parts.find((x) => x.name === 'purpose')?.data.toString('utf8'),
            filename: file?.filename,
            bytes: file?.data.length,
          };
        } catch {
          body = undefined;
        }
      } else if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          record.body = raw.toString('utf8').slice(0, 1000);
          throw new ApiError(400, 'We could not parse the JSON body of your request.');
        }
      }
      record.body = body;

      if (options.requireApiKey !== undefined) {
        const auth = req.headers.authorization ?? '';
        if (auth !== `Bearer ${options.requireApiKey}`) {
          throw new ApiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
        }
      }
      if (!match) {
        const known = routes.some((r) => r.re.test(path));
        throw known
          ? new ApiError(405, `Method ${method} not allowed for ${path}.`)
          : new ApiError(404, `Invalid URL (${method} ${path})`);
      }

      const fault = pickFault(path);
      if (fault !== 'none') record.fault = fault;
      const delay = drawLatency(latency, rng);
      record.latencyMs = delay;
      if (delay > 0) await sleep(delay);

      switch (fault) {
        case 'timeout':
          return; // never answer; the client gives up, close() destroys the socket
        case 'reset':
          req.socket.destroy();
          return;
        case 'rate_limit': {
          const ms = faults.retryAfterMs ?? 1000;
          sendJson(
            429,
            new ApiError(
              429,
              'Rate limit reached for requests. Please try again shortly.',
              'requests',
              'rate_limit_exceeded',
            ).toBody(),
            {
              'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
              'retry-after-ms': String(ms),
              'x-ratelimit-limit-requests': '60',
              'x-ratelimit-remaining-requests': '0',
              'x-ratelimit-reset-requests': `${Math.max(1, Math.ceil(ms / 1000))}s`,
            },
          );
          return;
        }
        case 'server_error':
          sendJson(
            500,
            new ApiError(
              500,
              'The server had an error while processing your request. Sorry about that!',
              'server_error',
            ).toBody(),
          );
          return;
        case 'unavailable':
          sendJson(
            503,
            new ApiError(503, 'The engine is currently overloaded, please try again later.', 'server_error').toBody(),
          );
          return;
        default:
          break;
      }
      const outputFault: OutputFault = fault === 'non_json_output' || fault === 'schema_violation' ? fault : undefined;
      const result = await match.route.handle({
        params: match.params,
        query: url.searchParams,
        body,
        raw,
        contentType,
        outputFault,
      });
      const billed = billedUsage(record.route, result.json);
      if (billed) record.billed = billed;
      if (fault === 'truncated') {
        const full = result.raw ?? Buffer.from(JSON.stringify(result.json ?? null));
        record.status = result.status ?? 200;
        res.writeHead(record.status, {
          'content-type': result.raw ? (result.contentType ?? 'application/octet-stream') : 'application/json',
          ...baseHeaders,
        });
        res.end(full.subarray(0, Math.floor(full.length / 2)));
        return;
      }
      if (result.raw) {
        send(res, record, result.status ?? 200, result.raw, {
          'content-type': result.contentType ?? 'application/octet-stream',
          ...baseHeaders,
        });
      } else {
        sendJson(result.status ?? 200, result.json ?? null);
      }
    } catch (e) {
      if (res.headersSent || res.destroyed) return;
      const err =
        e instanceof ApiError ? e : new ApiError(500, e instanceof Error ? e.message : String(e), 'server_error');
      sendJson(err.status, err.toBody());
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  // undici (fetch) drops a connection after one request when the server's keep-alive hint is ≤ its 2 s threshold,
  // so a 1 s timeout meant a new TCP connection per call; close() ends idle connections anyway.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    files: state.files,
    get requests(): ReadonlyArray<RecordedRequest> {
      return requests;
    },
    async close(): Promise<void> {
      state.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setFaults(f: FaultConfig): void {
      faults = f;
      script = [...(f.script ?? [])];
    },
    setLatency(l: LatencySpec | undefined): void {
      latency = l;
    },
    setResponder(fn: Responder | undefined): void {
      state.responder = fn;
    },
    stats(): EmulatorStats {
      const byPath: Record<string, number> = {};
      const byStatus: Record<number, number> = {};
      for (const r of requests) {
        byPath[r.route] = (byPath[r.route] ?? 0) + 1;
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      }
      return { total: requests.length, byPath, byStatus, maxInFlight };
    },
    resetStats(): void {
      requests.length = 0;
      maxInFlight = inFlight;
    },
  };
}
