import { createHash } from 'node:crypto';
import { inspectPdf, type PdfInfo } from '../pdf-inspect.js';
import { LruCache } from '@autod/core';
import { knownValues } from './prompt-values.js';
import { hashString, randomHex } from './rng.js';
import { checkGenerationParams } from './model-rules.js';
import { ApiError, nowSeconds } from './http-util.js';
import { sampleFromSchema, sampleWithKnown, violateSchema } from './schema-sample.js';
import { PromptCache, pdfTokens, textTokens } from './tokens.js';
import type { EmulatorFile, Responder, ResponderRequest } from './types.js';

type Json = Record<string, unknown>;
type Attributes = Record<string, string | number | boolean>;

export type OutputFault = 'non_json_output' | 'schema_violation' | undefined;

export interface HandlerResult {
  status: number;
  json?: unknown;
  raw?: Buffer;
  contentType?: string;
}

interface VectorStoreRecord {
  id: string;
  name: string;
  createdAt: number;
  lastActiveAt: number;
  metadata: Record<string, string> | null;
  expiresAfter?: unknown;
  files: Map<string, { createdAt: number; attributes: Attributes | null }>;
}

interface BatchRecord {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: {
    object: 'list';
    data: { code: string; message: string; line: number | null; param: string | null }[];
  } | null;
  input_file_id: string;
  completion_window: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  model?: string;
}

const STOPWORDS = new Set(['the', 'and', 'for', 'of', 'to', 'a', 'an', 'in', 'on', 'is', 'with', 'by', 'or', 'at']);

export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Deterministic unit vector from the text's words (feature hashing), so similar texts are close. */
export function embedText(text: string, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  const seed = hashString(text);
  for (let i = 0; i < dimensions; i++) {
    // small text-specific noise so that no vector is all zero
    v[i] = (((hashString(String(i), seed) % 2001) - 1000) / 1000) * 0.05;
  }
  for (const w of words(text)) {
    const h = hashString(w);
    const idx = h % dimensions;
    v[idx] = (v[idx] ?? 0) + (hashString(w, 0x9e3779b9) & 1 ? 1 : -1);
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

export class EmulatorState {
  readonly files = new Map<string, EmulatorFile>();
  /** PDF inspections by file id or `sha:<content hash>` (inline PDFs repeat across requests). */
  private readonly pdfInfo = new LruCache<PdfInfo>({ maxEntries: 512 });
  private readonly responses = new Map<string, Json>();
  private readonly vectorStores = new Map<string, VectorStoreRecord>();
  private readonly batches = new Map<string, BatchRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly cache = new PromptCache();
  responder: Responder | undefined;
  closed = false;

  constructor(
    private readonly embeddingDimensions: number,
    private readonly batchStepMs: number,
  ) {}

  newId(prefix: string): string {
    return `${prefix}${randomHex(12)}`;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void | Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) void fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  // ---------------------------------------------------------------- files

  addFile(filename: string, purpose: string, bytes: Buffer): EmulatorFile {
    const file: EmulatorFile = { id: this.newId('file-'), filename, purpose, bytes, createdAt: nowSeconds() };
    this.files.set(file.id, file);
    return file;
  }

  fileObject(f: EmulatorFile): Json {
    return {
      id: f.id,
      object: 'file',
      bytes: f.bytes.length,
      created_at: f.createdAt,
      filename: f.filename,
      purpose: f.purpose,
      status: 'processed',
      expires_at: null,
      status_details: null,
    };
  }

  getFile(id: string): EmulatorFile {
    const f = this.files.get(id);
    if (!f) throw new ApiError(404, `No such File object: ${id}`, 'invalid_request_error', null, 'id');
    return f;
  }

  /** Text of a stored file: PDF text layer, or the bytes as UTF-8 for text files. */
  fileText(f: EmulatorFile): string {
    const info = this.inspect(f.id, f.bytes);
    if (info.isPdf) return info.text;
    return f.bytes.toString('utf8');
  }

  private inspect(key: string, bytes: Buffer): PdfInfo {
    let info = this.pdfInfo.get(key);
    if (!info) {
      info = inspectPdf(bytes);
      this.pdfInfo.set(key, info);
    }
    return info;
  }

  listFiles(query: URLSearchParams): Json {
    let all = [...this.files.values()];
    const purpose = query.get('purpose');
    if (purpose) all = all.filter((f) => f.purpose === purpose);
    return this.page(
      all.map((f) => this.fileObject(f)),
      query,
    );
  }

  deleteFile(id: string): Json {
    this.getFile(id);
    this.files.delete(id);
    this.pdfInfo.delete(id);
    return { id, object: 'file', deleted: true };
  }

  /** Cursor pagination (`after`, `limit`, `order`; newest first by default). */
  private page(items: Json[], query: URLSearchParams): Json {
    const order = query.get('order') === 'asc' ? 1 : -1;
    // creation order within the same second is the insertion order
    const sorted = items
      .map((it, i) => ({ it, i }))
      .sort((a, b) => order * (a.i - b.i))
      .map((x) => x.it);
    let start = 0;
    const after = query.get('after');
    if (after) start = sorted.findIndex((x) => x.id === after) + 1;
    const limit = Math.max(1, Number(query.get('limit') ?? 10000) || 10000);
    const data = sorted.slice(start, start + limit);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: start + limit < sorted.length,
    };
  }

  // ---------------------------------------------------------------- responses

  async createResponse(body: Json, outputFault: OutputFault = undefined): Promise<Json> {
    const model = str(body.model);
    if (!model)
      throw new ApiError(
        400,
        "Missing required parameter: 'model'.",
        'invalid_request_error',
        'missing_required_parameter',
        'model',
      );
    if (body.stream === true)
      throw new ApiError(400, 'The emulator does not support streaming.', 'invalid_request_error', null, 'stream');
    if (body.input === undefined)
      throw new ApiError(
        400,
        "Missing required parameter: 'input'.",
        'invalid_request_error',
        'missing_required_parameter',
        'input',
      );
    const generation = checkGenerationParams(model, body);

    const instructions = str(body.instructions);
    const promptParts: string[] = [];
    const cacheKeyParts: string[] = [];
    if (instructions) {
      promptParts.push(instructions);
      cacheKeyParts.push(`instructions\n${instructions}`);
    }
    let pdf: Buffer | undefined;
    let fileName: string | undefined;
    let fileTokens = 0;
    let pdfText = '';
    let pageCount = 0;

    const messages: Json[] =
      typeof body.input === 'string'
        ? [{ role: 'user', content: body.input }]
        : Array.isArray(body.input)
          ? body.input.filter(isRecord)
          : [];
    for (const msg of messages) {
      const role = str(msg.role) ?? 'user';
      cacheKeyParts.push(`\n<${role}>\n`);
      const content: unknown[] =
        typeof msg.content === 'string'
          ? [{ type: 'input_text', text: msg.content }]
          : Array.isArray(msg.content)
            ? msg.content
            : [];
      for (const part of content) {
        if (!isRecord(part)) continue;
        if (part.type === 'input_text' || part.type === 'output_text') {
          const text = str(part.text) ?? '';
          promptParts.push(text);
          cacheKeyParts.push(text);
        } else if (part.type === 'input_file') {
          let bytes: Buffer;
          const fileId = str(part.file_id);
          const fileData = str(part.file_data);
          if (fileId) {
            const f = this.getFile(fileId);
            bytes = f.bytes;
            fileName = str(part.filename) ?? f.filename;
          } else if (fileData) {
            const b64 = fileData.startsWith('data:') ? fileData.slice(fileData.indexOf(',') + 1) : fileData;
            bytes = Buffer.from(b64, 'base64');
            fileName = str(part.filename);
          } else {
            throw new ApiError(
              400,
              'input_file needs one of file_id or file_data.',
              'invalid_request_error',
              null,
              'input',
            );
          }
          const key = createHash('sha256').update(bytes).digest('hex');
          const info = this.inspect(`sha:${key}`, bytes);
          if (!info.isPdf || (info.pageCount === 0 && info.text === '')) {
            throw new ApiError(
              400,
              `The file ${fileName ?? fileId ?? ''} could not be parsed as a PDF.`,
              'invalid_request_error',
              'invalid_file',
              'input',
            );
          }
          if (info.encrypted) {
            throw new ApiError(
              400,
              `The file ${fileName ?? fileId ?? ''} is password-protected.`,
              'invalid_request_error',
              'invalid_file',
              'input',
            );
          }
          pdf = bytes;
          pdfText = pdfText ? `${pdfText}\n${info.text}` : info.text;
          fileTokens += pdfTokens(info.pageCount, info.text);
          pageCount += info.pageCount;
          cacheKeyParts.push(`[file:${key}]`);
        } else if (part.type === 'input_image') {
          fileTokens += 765;
          cacheKeyParts.push(`[image:${str(part.image_url) ?? str(part.file_id) ?? ''}]`);
        }
      }
    }

    const textCfg = isRecord(body.text) ? body.text : undefined;
    const format = textCfg && isRecord(textCfg.format) ? textCfg.format : { type: 'text' };
    const schema = format.type === 'json_schema' && isRecord(format.schema) ? format.schema : undefined;
    if (format.type === 'json_schema' && !schema) {
      throw new ApiError(
        400,
        "Missing required parameter: 'text.format.schema'.",
        'invalid_request_error',
        'missing_required_parameter',
        'text.format.schema',
      );
    }

    const prompt = promptParts.join('\n');
    const req: ResponderRequest = {
      text: pdfText,
      model,
      prompt,
      body,
      ...(pdf ? { pdf } : {}),
      ...(fileName !== undefined ? { fileName } : {}),
      ...(schema ? { schema } : {}),
    };
    const decided = this.responder ? await this.responder(req) : undefined;
    let value: unknown;
    let outputText: string;
    if (typeof decided === 'string') {
      outputText = decided;
      value = undefined;
    } else if (decided !== undefined) {
      value = decided;
      outputText = JSON.stringify(value);
    } else if (schema) {
      value = sampleWithKnown(schema, knownValues(prompt, pageCount));
      outputText = JSON.stringify(value);
    } else if (format.type === 'json_object') {
      value = { text: pdfText.slice(0, 200) };
      outputText = JSON.stringify(value);
    } else {
      outputText = pdfText ? `Emulated answer. The document starts with: ${pdfText.slice(0, 200)}` : 'Emulated answer.';
    }
    if (outputFault === 'schema_violation') {
      outputText = JSON.stringify(violateSchema(value ?? (schema ? sampleFromSchema(schema) : {})));
    } else if (outputFault === 'non_json_output') {
      const json = JSON.stringify(value ?? (schema ? sampleFromSchema(schema) : { text: outputText }), null, 2);
      outputText = `Sure! Here is the metadata you asked for:\n\n\`\`\`json\n${json.slice(0, Math.max(1, Math.floor(json.length / 2)))}`;
    }

    const cacheKey = cacheKeyParts.join('');
    const inputTokens = textTokens(cacheKey) + fileTokens;
    const cached = this.cache.cachedTokens(model, cacheKey, inputTokens);
    const reasoning = /^(o\d|gpt-5)/.test(model) ? 64 : 0;
    const outputTokens = textTokens(outputText) + reasoning;
    const id = this.newId('resp_');
    const response: Json = {
      id,
      object: 'response',
      created_at: nowSeconds(),
      status: 'completed',
      background: false,
      error: null,
      incomplete_details: null,
      instructions: instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      metadata: isRecord(body.metadata) ? body.metadata : {},
      model,
      output: [
        {
          id: this.newId('msg_'),
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: outputText, annotations: [], logprobs: [] }],
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: body.previous_response_id ?? null,
      prompt_cache_key: body.prompt_cache_key ?? null,
      reasoning: { effort: generation.effort, summary: null },
      service_tier: 'default',
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: { format, verbosity: generation.verbosity },
      tool_choice: body.tool_choice ?? 'auto',
      tools: Array.isArray(body.tools) ? body.tools : [],
      top_p: body.top_p ?? 1,
      truncation: 'disabled',
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: cached },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: reasoning },
        total_tokens: inputTokens + outputTokens,
      },
      user: null,
    };
    this.responses.set(id, response);
    return response;
  }

  getResponse(id: string): Json {
    const r = this.responses.get(id);
    if (!r)
      throw new ApiError(404, `Response with id '${id}' not found.`, 'invalid_request_error', null, 'response_id');
    return r;
  }

  // ---------------------------------------------------------------- embeddings

  createEmbeddings(body: Json): Json {
    const model = str(body.model);
    if (!model) throw new ApiError(400, "Missing required parameter: 'model'.", 'invalid_request_error', null, 'model');
    const raw = body.input;
    let inputs: string[];
    if (typeof raw === 'string') inputs = [raw];
    else if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) inputs = raw;
    else if (Array.isArray(raw) && raw.every((x) => typeof x === 'number')) inputs = [raw.join(' ')];
    else if (Array.isArray(raw) && raw.every((x) => Array.isArray(x)))
      inputs = raw.map((x) => (x as number[]).join(' '));
    else
      throw new ApiError(
        400,
        "'input' must be a string or an array of strings.",
        'invalid_request_error',
        null,
        'input',
      );
    if (inputs.length === 0 || inputs.some((s) => s === '')) {
      throw new ApiError(400, "'input' cannot be empty.", 'invalid_request_error', null, 'input');
    }
    const dims = typeof body.dimensions === 'number' ? body.dimensions : this.embeddingDimensions;
    if (!Number.isInteger(dims) || dims < 1)
      throw new ApiError(400, "'dimensions' must be a positive integer.", 'invalid_request_error', null, 'dimensions');
    const base64 = body.encoding_format === 'base64';
    let tokens = 0;
    const data = inputs.map((text, index) => {
      tokens += textTokens(text);
      const v = embedText(text, dims);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      };
    });
    return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  // ---------------------------------------------------------------- vector stores

  private getStore(id: string): VectorStoreRecord {
    const vs = this.vectorStores.get(id);
    if (!vs)
      throw new ApiError(
        404,
        `No vector store found with id '${id}'.`,
        'invalid_request_error',
        null,
        'vector_store_id',
      );
    return vs;
  }

  private storeObject(vs: VectorStoreRecord): Json {
    let usage = 0;
    for (const id of vs.files.keys()) usage += this.files.get(id)?.bytes.length ?? 0;
    const n = vs.files.size;
    return {
      id: vs.id,
      object: 'vector_store',
      created_at: vs.createdAt,
      name: vs.name,
      usage_bytes: usage,
      file_counts: { in_progress: 0, completed: n, failed: 0, cancelled: 0, total: n },
      status: 'completed',
      expires_after: vs.expiresAfter ?? null,
      expires_at: null,
      last_active_at: vs.lastActiveAt,
      metadata: vs.metadata,
    };
  }

  createVectorStore(body: Json): Json {
    const vs: VectorStoreRecord = {
      id: this.newId('vs_'),
      name: str(body.name) ?? '',
      createdAt: nowSeconds(),
      lastActiveAt: nowSeconds(),
      metadata: isRecord(body.metadata) ? (body.metadata as Record<string, string>) : null,
      expiresAfter: body.expires_after,
      files: new Map(),
    };
    if (Array.isArray(body.file_ids)) {
      for (const fid of body.file_ids) {
        if (typeof fid !== 'string') continue;
        this.getFile(fid);
        vs.files.set(fid, { createdAt: nowSeconds(), attributes: null });
      }
    }
    this.vectorStores.set(vs.id, vs);
    return this.storeObject(vs);
  }

  getVectorStore(id: string): Json {
    return this.storeObject(this.getStore(id));
  }

  updateVectorStore(id: string, body: Json): Json {
    const vs = this.getStore(id);
    if (typeof body.name === 'string') vs.name = body.name;
    if (isRecord(body.metadata)) vs.metadata = body.metadata as Record<string, string>;
    return this.storeObject(vs);
  }

  listVectorStores(query: URLSearchParams): Json {
    return this.page(
      [...this.vectorStores.values()].map((vs) => this.storeObject(vs)),
      query,
    );
  }

  deleteVectorStore(id: string): Json {
    this.getStore(id);
    this.vectorStores.delete(id);
    return { id, object: 'vector_store.deleted', deleted: true };
  }

  private vsFileObject(vs: VectorStoreRecord, fileId: string): Json {
    const entry = vs.files.get(fileId);
    if (!entry)
      throw new ApiError(
        404,
        `No file found with id '${fileId}' in vector store '${vs.id}'.`,
        'invalid_request_error',
        null,
        'file_id',
      );
    return {
      id: fileId,
      object: 'vector_store.file',
      created_at: entry.createdAt,
      usage_bytes: this.files.get(fileId)?.bytes.length ?? 0,
      vector_store_id: vs.id,
      status: 'completed',
      last_error: null,
      attributes: entry.attributes,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
    };
  }

  attachFile(vsId: string, body: Json): Json {
    const vs = this.getStore(vsId);
    const fileId = str(body.file_id);
    if (!fileId)
      throw new ApiError(400, "Missing required parameter: 'file_id'.", 'invalid_request_error', null, 'file_id');
    this.getFile(fileId);
    const attributes = isRecord(body.attributes) ? (body.attributes as Attributes) : null;
    vs.files.set(fileId, { createdAt: nowSeconds(), attributes });
    vs.lastActiveAt = nowSeconds();
    return this.vsFileObject(vs, fileId);
  }

  getVsFile(vsId: string, fileId: string): Json {
    return this.vsFileObject(this.getStore(vsId), fileId);
  }

  updateVsFile(vsId: string, fileId: string, body: Json): Json {
    const vs = this.getStore(vsId);
    const entry = vs.files.get(fileId);
    if (!entry) return this.vsFileObject(vs, fileId);
    entry.attributes = isRecord(body.attributes) ? (body.attributes as Attributes) : null;
    return this.vsFileObject(vs, fileId);
  }

  listVsFiles(vsId: string, query: URLSearchParams): Json {
    const vs = this.getStore(vsId);
    return this.page(
      [...vs.files.keys()].map((id) => this.vsFileObject(vs, id)),
      query,
    );
  }

  deleteVsFile(vsId: string, fileId: string): Json {
    const vs = this.getStore(vsId);
    this.vsFileObject(vs, fileId);
    vs.files.delete(fileId);
    return { id: fileId, object: 'vector_store.file.deleted', deleted: true };
  }

  searchVectorStore(vsId: string, body: Json): Json {
    const vs = this.getStore(vsId);
    const queries =
      typeof body.query === 'string'
        ? [body.query]
        : Array.isArray(body.query)
          ? body.query.filter((q): q is string => typeof q === 'string')
          : [];
    if (queries.length === 0)
      throw new ApiError(400, "Missing required parameter: 'query'.", 'invalid_request_error', null, 'query');
    const max = Math.min(50, Math.max(1, typeof body.max_num_results === 'number' ? body.max_num_results : 10));
    const ranking = isRecord(body.ranking_options) ? body.ranking_options : {};
    const threshold = typeof ranking.score_threshold === 'number' ? ranking.score_threshold : 0;
    const terms = [...new Set(queries.flatMap((q) => words(q)))];
    const hits: {
      file_id: string;
      filename: string;
      score: number;
      attributes: Attributes | null;
      content: { type: 'text'; text: string }[];
    }[] = [];
    for (const [fileId, entry] of vs.files) {
      if (body.filters !== undefined && !matchesFilter(body.filters, entry.attributes ?? {})) continue;
      const file = this.files.get(fileId);
      if (!file) continue;
      const nameWords = new Set(words(file.filename));
      for (const chunk of chunkText(this.fileText(file))) {
        const counts = new Map<string, number>();
        for (const w of words(chunk)) counts.set(w, (counts.get(w) ?? 0) + 1);
        let matched = 0;
        let tf = 0;
        for (const t of terms) {
          const c = counts.get(t) ?? 0;
          if (c > 0 || nameWords.has(t)) matched++;
          tf += Math.log1p(c);
        }
        if (matched === 0 || terms.length === 0) continue;
        const score = Math.min(1, 0.8 * (matched / terms.length) + 0.2 * Math.min(1, tf / (terms.length * 2)));
        if (score < threshold) continue;
        hits.push({
          file_id: fileId,
          filename: file.filename,
          score: Number(score.toFixed(4)),
          attributes: entry.attributes,
          content: [{ type: 'text', text: chunk }],
        });
      }
    }
    hits.sort((a, b) => b.score - a.score);
    vs.lastActiveAt = nowSeconds();
    return {
      object: 'vector_store.search_results.page',
      search_query: queries,
      data: hits.slice(0, max),
      has_more: false,
      next_page: null,
    };
  }

  // ---------------------------------------------------------------- batches

  createBatch(body: Json): Json {
    const inputFileId = str(body.input_file_id);
    if (!inputFileId)
      throw new ApiError(
        400,
        "Missing required parameter: 'input_file_id'.",
        'invalid_request_error',
        null,
        'input_file_id',
      );
    const endpoint = str(body.endpoint);
    if (
      !endpoint ||
      !['/v1/responses', '/v1/embeddings', '/v1/chat/completions', '/v1/completions'].includes(endpoint)
    ) {
      throw new ApiError(
        400,
        `Invalid 'endpoint': ${endpoint ?? '(missing)'}.`,
        'invalid_request_error',
        null,
        'endpoint',
      );
    }
    const window = str(body.completion_window) ?? '24h';
    if (window !== '24h')
      throw new ApiError(400, "'completion_window' must be '24h'.", 'invalid_request_error', null, 'completion_window');
    const input = this.getFile(inputFileId);
    const now = nowSeconds();
    const batch: BatchRecord = {
      id: this.newId('batch_'),
      object: 'batch',
      endpoint,
      errors: null,
      input_file_id: inputFileId,
      completion_window: window,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: now,
      in_progress_at: null,
      expires_at: now + 24 * 3600,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: isRecord(body.metadata) ? (body.metadata as Record<string, string>) : null,
    };
    this.batches.set(batch.id, batch);
    this.later(this.batchStepMs, () => this.runBatch(batch, input));
    return { ...batch };
  }

  private async runBatch(batch: BatchRecord, input: EmulatorFile): Promise<void> {
    if (batch.status !== 'validating') return;
    const lines = input.bytes
      .toString('utf8')
      .split('\n')
      .map((l, i) => ({ l: l.trim(), n: i + 1 }))
      .filter((x) => x.l !== '');
    const parsed: { n: number; line: Json }[] = [];
    const errors: { code: string; message: string; line: number | null; param: string | null }[] = [];
    for (const { l, n } of lines) {
      try {
        const j: unknown = JSON.parse(l);
        if (!isRecord(j) || typeof j.custom_id !== 'string' || !isRecord(j.body)) throw new Error('bad line');
        if (str(j.url) !== batch.endpoint) {
          errors.push({
            code: 'mismatched_endpoint',
            message: `The url of line ${n} does not match the batch endpoint.`,
            line: n,
            param: 'url',
          });
        }
        parsed.push({ n, line: j });
      } catch {
        errors.push({
          code: 'invalid_json_line',
          message: `Line ${n} is not a valid request object.`,
          line: n,
          param: null,
        });
      }
    }
    const ids = parsed.map((p) => p.line.custom_id);
    if (new Set(ids).size !== ids.length)
      errors.push({
        code: 'duplicate_custom_id',
        message: 'custom_id values must be unique.',
        line: null,
        param: 'custom_id',
      });
    if (lines.length === 0)
      errors.push({ code: 'empty_file', message: 'The input file has no requests.', line: null, param: null });
    if (errors.length > 0) {
      batch.status = 'failed';
      batch.failed_at = nowSeconds();
      batch.errors = { object: 'list', data: errors };
      return;
    }
    batch.status = 'in_progress';
    batch.in_progress_at = nowSeconds();
    batch.request_counts.total = parsed.length;
    const out: string[] = [];
    const err: string[] = [];
    for (const { line } of parsed) {
      if (this.closed) return;
      if ((batch.status as BatchRecord['status']) === 'cancelling') break;
      const requestId = this.newId('req_');
      const lineId = this.newId('batch_req_');
      const body = line.body as Json;
      try {
        let result: Json;
        if (batch.endpoint === '/v1/responses') result = await this.createResponse(body);
        else if (batch.endpoint === '/v1/embeddings') result = this.createEmbeddings(body);
        else throw new ApiError(400, `The emulator does not support ${batch.endpoint} in batches.`);
        if (typeof body.model === 'string') batch.model = body.model;
        out.push(
          JSON.stringify({
            id: lineId,
            custom_id: line.custom_id,
            response: { status_code: 200, request_id: requestId, body: result },
            error: null,
          }),
        );
        batch.request_counts.completed++;
      } catch (e) {
        const apiErr =
          e instanceof ApiError ? e : new ApiError(500, e instanceof Error ? e.message : String(e), 'server_error');
        err.push(
          JSON.stringify({
            id: lineId,
            custom_id: line.custom_id,
            response: { status_code: apiErr.status, request_id: requestId, body: apiErr.toBody() },
            error: null,
          }),
        );
        batch.request_counts.failed++;
      }
      await new Promise((r) => setImmediate(r));
    }
    this.later(this.batchStepMs, () => {
      if (batch.status === 'cancelling') {
        batch.status = 'cancelled';
        batch.cancelled_at = nowSeconds();
      } else {
        batch.status = 'completed';
        batch.finalizing_at = nowSeconds();
        batch.completed_at = nowSeconds();
      }
      if (out.length > 0)
        batch.output_file_id = this.addFile(
          `${batch.id}_output.jsonl`,
          'batch_output',
          Buffer.from(`${out.join('\n')}\n`),
        ).id;
      if (err.length > 0)
        batch.error_file_id = this.addFile(
          `${batch.id}_error.jsonl`,
          'batch_output',
          Buffer.from(`${err.join('\n')}\n`),
        ).id;
    });
    batch.status = 'finalizing';
    batch.finalizing_at = nowSeconds();
  }

  getBatch(id: string): Json {
    const b = this.batches.get(id);
    if (!b) throw new ApiError(404, `No batch found with id '${id}'.`, 'invalid_request_error', null, 'batch_id');
    return { ...b, request_counts: { ...b.request_counts } };
  }

  listBatches(query: URLSearchParams): Json {
    return this.page(
      [...this.batches.keys()].map((id) => this.getBatch(id)),
      query,
    );
  }

  cancelBatch(id: string): Json {
    const b = this.batches.get(id);
    if (!b) return this.getBatch(id);
    if (b.status === 'validating') {
      b.status = 'cancelled';
      b.cancelling_at = nowSeconds();
      b.cancelled_at = nowSeconds();
    } else if (b.status === 'in_progress' || b.status === 'finalizing') {
      b.status = 'cancelling';
      b.cancelling_at = nowSeconds();
    }
    return this.getBatch(id);
  }
}

/** Splits text into ~1600-character chunks on line boundaries. */
export function chunkText(text: string, size = 1600): string[] {
  const lines = text.split('\n');
  const chunks: string[] = [];
  let cur = '';
  for (const line of lines) {
    if (cur.length + line.length + 1 > size && cur) {
      chunks.push(cur);
      cur = '';
    }
    cur = cur ? `${cur}\n${line}` : line;
  }
  if (cur.trim()) chunks.push(cur);
  return chunks;
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Evaluates an OpenAI vector-store filter (comparison or compound) against attributes. */
export function matchesFilter(filter: unknown, attrs: Attributes): boolean {
  if (!isRecord(filter)) return true;
  const type = str(filter.type);
  if ((type === 'and' || type === 'or') && Array.isArray(filter.filters)) {
    const results = filter.filters.map((f) => matchesFilter(f, attrs));
    return type === 'and' ? results.every(Boolean) : results.some(Boolean);
  }
  const key = str(filter.key) ?? '';
  const actual = attrs[key];
  const expected = filter.value;
  switch (type) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'gt': {
      const c = compare(actual, expected);
      return c !== undefined && c > 0;
    }
    case 'gte': {
      const c = compare(actual, expected);
      return c !== undefined && c >= 0;
    }
    case 'lt': {
      const c = compare(actual, expected);
      return c !== undefined && c < 0;
    }
    case 'lte': {
      const c = compare(actual, expected);
      return c !== undefined && c <= 0;
    }
    case 'in':
      return Array.isArray(expected) && actual !== undefined && expected.includes(actual);
    case 'nin':
      return Array.isArray(expected) && (actual === undefined || !expected.includes(actual));
    default:
      throw new ApiError(400, `Unknown filter type '${type ?? ''}'.`, 'invalid_request_error', null, 'filters');
  }
}
