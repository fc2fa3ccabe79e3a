import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Knex } from 'knex';
import { buildVectorStoreAttributes, type DocumentMetadata } from '@autod/core';
import { delay, isAutodError } from '@autod/errors';
import { openAIHitFilter, toOpenAIFilters, type SearchFilter } from './filter.js';
import { TABLES } from './migrations.js';

/** The part of `@autod/api-client`'s ApiClient used for OpenAI vector-store sync. */
export interface VectorStoreClient {
  uploadFile(
    bytes: Uint8Array,
    fileName: string,
    purpose?: 'user_data' | 'assistants' | 'batch',
    signal?: AbortSignal,
  ): Promise<{ id: string }>;
  deleteFile(id: string, signal?: AbortSignal): Promise<void>;
  readonly vectorStores: {
    ensure(name: string, signal?: AbortSignal): Promise<{ id: string; created: boolean }>;
    attachFile(
      storeId: string,
      fileId: string,
      attributes: Record<string, string | number | boolean>,
      opts?: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal },
    ): Promise<void>;
    search(
      storeId: string,
      query: string,
      opts?: { filters?: unknown; maxResults?: number; signal?: AbortSignal },
    ): Promise<
      { fileId: string; filename: string; score: number; attributes: Record<string, unknown>; text: string }[]
    >;
    removeFile(storeId: string, fileId: string, signal?: AbortSignal): Promise<void>;
  };
}

export interface OpenAISyncOptions {
  client: VectorStoreClient;
  /** Store found (or created) by this name (default `paper_autopilot_docs`). */
  storeName?: string;
  /** Use this store id instead of looking it up by name (`VECTOR_STORE_ID`; the cache file is then not used). */
  storeId?: string;
  /**
   * File caching the store id (`VECTOR_STORE_CACHE_FILE`): read first, written when the store is found or created.
   * `<file>.lock` is held meanwhile, so processes that start together on one machine find or create one store.
   * Unset: the id is only kept in memory (one process still creates one store).
   */
  cacheFile?: string;
  /** A lock file older than this is taken over (its holder died; default 120,000 ms). */
  lockStaleMs?: number;
  /** Uploads (upload + attach + indexing wait) running at the same time (`VECTOR_STORE_MAX_CONCURRENT_UPLOADS`, default 5). */
  maxConcurrentUploads?: number;
  /**
   * Most documents kept in the store (`VECTOR_STORE_MAX_FILES`, default 10,000): after a sync that goes over it, the
   * least recently synced documents are removed from the store (their local vectors stay).
   */
  maxFiles?: number;
  /** Wait this long for a file to be indexed (default 300 s). */
  uploadTimeoutMs?: number;
  /** Poll interval while a file is indexed (default 1000 ms). */
  pollMs?: number;
  /** Route `vector`/`hybrid` searches' semantic side through the OpenAI store (default false: local vectors). */
  search?: boolean;
}

export interface OpenAISearchHit {
  docId: number;
  score: number;
  text: string;
}

/**
 * Mirrors indexed documents into an OpenAI vector store: the document text is uploaded as a
 * `.txt` file (purpose `assistants`) and attached with `buildVectorStoreAttributes` (≤16:
 * document_id, sha256_hex, category, doc_type, issuer, primary_date, total_amount, ...). The store
 * is reused by name; `remove` detaches and deletes the file. Which file belongs to which
 * document is kept in `autod_vec_openai_files`.
 */
export class OpenAIVectorSync {
  /** The store id, once known; one lookup at a time (documents finishing together wait for the same one). */
  #storeId: Promise<string> | undefined;
  /** Where the id came from: a cached id that turns out to be gone is looked up again once. */
  #fromCache = false;
  readonly #opts: OpenAISyncOptions;
  readonly #uploads: Semaphore;

  constructor(
    private readonly knex: Knex,
    options: OpenAISyncOptions,
  ) {
    this.#opts = options;
    if (options.storeId) this.#storeId = Promise.resolve(options.storeId);
    this.#uploads = new Semaphore(Math.max(1, Math.floor(options.maxConcurrentUploads ?? 5)));
  }

  get searchEnabled(): boolean {
    return this.#opts.search ?? false;
  }

  /** The store's id: `storeId`, else the cache file, else found or created by name (and written to the cache file). */
  async storeId(signal?: AbortSignal): Promise<string> {
    this.#storeId ??= this.#resolveStoreId(signal).catch((error: unknown) => {
      this.#storeId = undefined; // a failed lookup is tried again by the next caller
      throw error;
    });
    return this.#storeId;
  }

  async #resolveStoreId(signal?: AbortSignal): Promise<string> {
    const file = this.#opts.cacheFile;
    if (!file) return (await this.#ensure(signal)).id;
    const cached = await readCachedId(file);
    if (cached) {
      this.#fromCache = true;
      return cached;
    }
    const release = await acquireLock(`${file}.lock`, this.#opts.lockStaleMs ?? 120_000, signal);
    try {
      // Another process may have written it while we waited for the lock.
      const now = await readCachedId(file);
      if (now) {
        this.#fromCache = true;
        return now;
      }
      const { id } = await this.#ensure(signal);
      await writeCachedId(file, id);
      this.#fromCache = false;
      return id;
    } finally {
      await release();
    }
  }

  #ensure(signal?: AbortSignal): Promise<{ id: string; created: boolean }> {
    return this.#opts.client.vectorStores.ensure(this.#opts.storeName ?? 'paper_autopilot_docs', signal);
  }

  /** Forget a cached id whose store is gone (deleted in the dashboard): the next lookup finds or creates one. */
  async #forgetCachedId(stale: string): Promise<boolean> {
    if (!this.#fromCache || !this.#opts.cacheFile) return false;
    const current = await readCachedId(this.#opts.cacheFile);
    if (current === stale) await rm(this.#opts.cacheFile, { force: true });
    this.#storeId = undefined;
    this.#fromCache = false;
    return true;
  }

  /** Upload (or replace) the document's file; returns the file id. At most `maxConcurrentUploads` at a time. */
  async upsert(
    doc: { id: number; sha256: string; metadata: DocumentMetadata; text: string },
    signal?: AbortSignal,
  ): Promise<string> {
    return this.#uploads.run(async () => {
      try {
        return await this.#upsert(doc, signal);
      } catch (error) {
        // The cached store no longer exists: look it up (or create it) again, once.
        const storeId = this.#storeId ? await this.#storeId.catch(() => undefined) : undefined;
        if (isNotFound(error) && storeId && (await this.#forgetCachedId(storeId))) return this.#upsert(doc, signal);
        throw error;
      }
    });
  }

  async #upsert(
    doc: { id: number; sha256: string; metadata: DocumentMetadata; text: string },
    signal?: AbortSignal,
  ): Promise<string> {
    const storeId = await this.storeId(signal);
    await this.remove(doc.id, signal);
    const m = doc.metadata;
    const header = [m.title, m.doc_type, m.issuer, m.primary_date, m.summary]
      .filter((s): s is string => Boolean(s))
      .join('\n');
    const body = new TextEncoder().encode(`${header}\n\n${doc.text}`.trim());
    const name = `${doc.sha256.slice(0, 16)}-${m.suggested_file_name}.txt`;
    const { id: fileId } = await this.#opts.client.uploadFile(body, name, 'assistants', signal);
    try {
      const attributes = buildVectorStoreAttributes(m, { documentId: doc.id, sha256Hex: doc.sha256 });
      await this.#opts.client.vectorStores.attachFile(storeId, fileId, attributes, {
        timeoutMs: this.#opts.uploadTimeoutMs ?? 300_000,
        pollMs: this.#opts.pollMs ?? 1000,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      // Compensate: do not leave an orphaned upload behind.
      await this.#opts.client.deleteFile(fileId).catch(() => undefined);
      throw error;
    }
    await this.knex(TABLES.openaiFiles)
      .insert({ doc_id: doc.id, store_id: storeId, file_id: fileId, synced_at: Date.now() })
      .onConflict('doc_id')
      .merge();
    await this.#trim(storeId, doc.id, signal);
    return fileId;
  }

  /** Keep at most `maxFiles` documents in the store: remove the least recently synced ones beyond it. */
  async #trim(storeId: string, justSynced: number, signal?: AbortSignal): Promise<void> {
    const max = Math.max(1, Math.floor(this.#opts.maxFiles ?? 10_000));
    const row = (await this.knex(TABLES.openaiFiles).where('store_id', storeId).count({ n: '*' }).first()) as
      { n: number | string } | undefined;
    const over = Number(row?.n ?? 0) - max;
    if (over <= 0) return;
    const oldest = (await this.knex(TABLES.openaiFiles)
      .select('doc_id')
      .where('store_id', storeId)
      .whereNot('doc_id', justSynced)
      .orderBy('synced_at', 'asc')
      .orderBy('doc_id', 'asc')
      .limit(over)) as { doc_id: number | string }[];
    for (const r of oldest) await this.remove(Number(r.doc_id), signal);
  }

  /** Detach and delete the document's file (no-op when it was never synced). */
  async remove(docId: number, signal?: AbortSignal): Promise<boolean> {
    const row = (await this.knex(TABLES.openaiFiles).where('doc_id', docId).first()) as
      { store_id: string; file_id: string } | undefined;
    if (!row) return false;
    await this.#opts.client.vectorStores.removeFile(row.store_id, row.file_id, signal);
    await this.#opts.client.deleteFile(row.file_id, signal);
    await this.knex(TABLES.openaiFiles).where('doc_id', docId).delete();
    return true;
  }

  /**
   * Semantic search in the store with attribute filters (`toOpenAIFilters`); "contains" keys (issuer) are checked on
   * the hits' attributes, so more hits are asked for.
   */
  async search(
    query: string,
    filter: SearchFilter | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<OpenAISearchHit[]> {
    const storeId = await this.storeId(signal);
    const filters = toOpenAIFilters(filter);
    const keep = openAIHitFilter(filter);
    const postFiltered = filter !== undefined && !keep({});
    const hits = await this.#opts.client.vectorStores.search(storeId, query, {
      maxResults: Math.min(50, Math.max(1, postFiltered ? limit * 3 : limit)),
      ...(filters ? { filters } : {}),
      ...(signal ? { signal } : {}),
    });
    const best = new Map<number, OpenAISearchHit>();
    for (const h of hits) {
      const id = Number(h.attributes['document_id']);
      if (!Number.isFinite(id) || !keep(h.attributes)) continue;
      const cur = best.get(id);
      if (!cur || h.score > cur.score) best.set(id, { docId: id, score: h.score, text: h.text });
    }
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
  }
}

function isNotFound(error: unknown): boolean {
  return isAutodError(error) && error.code === 'NOT_FOUND';
}

/** A counting semaphore: at most `size` tasks run at once, the others wait in order. */
class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }
}

const STORE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The id in the cache file, or undefined when there is none (missing, empty or not an id). */
async function readCachedId(file: string): Promise<string | undefined> {
  try {
    const id = (await readFile(file, 'utf8')).trim();
    return STORE_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Write the id atomically (a reader never sees half a file). */
async function writeCachedId(file: string, id: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${id}\n`);
  await rename(tmp, file);
}

/**
 * An exclusive lock file (`open(…, 'wx')`): waits while another process holds it, takes over one older than `staleMs`
 * (its holder died). Returns the release function.
 */
async function acquireLock(path: string, staleMs: number, signal?: AbortSignal): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const token = `${process.pid}:${randomUUID()}`;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    signal?.throwIfAborted();
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(token);
      await fh.close();
      return async () => {
        // Only remove our own lock (a taken-over stale lock belongs to someone else now).
        const holder = await readFile(path, 'utf8').catch(() => '');
        if (holder === token) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > staleMs) {
      await rm(path, { force: true });
      continue;
    }
    await delay(wait);
  }
}
