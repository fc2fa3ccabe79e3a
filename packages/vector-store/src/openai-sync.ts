import type { Knex } from 'knex';
import { buildVectorStoreAttributes, type DocumentMetadata } from '@autod/core';
import type { SearchFilter } from './filter.js';
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
  /** Use this store id instead of looking it up by name. */
  storeId?: string;
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
  #storeId: string | undefined;
  readonly #opts: OpenAISyncOptions;

  constructor(
    private readonly knex: Knex,
    options: OpenAISyncOptions,
  ) {
    this.#opts = options;
    this.#storeId = options.storeId;
  }

  get searchEnabled(): boolean {
    return this.#opts.search ?? false;
  }

  async storeId(signal?: AbortSignal): Promise<string> {
    if (!this.#storeId) {
      const { id } = await this.#opts.client.vectorStores.ensure(
        this.#opts.storeName ?? 'paper_autopilot_docs',
        signal,
      );
      this.#storeId = id;
    }
    return this.#storeId;
  }

  /** Upload (or replace) the document's file; returns the file id. */
  async upsert(
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
    return fileId;
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

  /** Semantic search in the store with attribute filters (issuer "contains" is applied to the hits). */
  async search(
    query: string,
    filter: SearchFilter | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<OpenAISearchHit[]> {
    const storeId = await this.storeId(signal);
    const filters = toOpenAIFilters(filter);
    const hits = await this.#opts.client.vectorStores.search(storeId, query, {
      maxResults: Math.min(50, Math.max(1, filter?.issuer ? limit * 3 : limit)),
      ...(filters ? { filters } : {}),
      ...(signal ? { signal } : {}),
    });
    const best = new Map<number, OpenAISearchHit>();
    for (const h of hits) {
      const id = Number(h.attributes['document_id']);
      if (!Number.isFinite(id)) continue;
      if (
        filter?.issuer &&
        !(typeof h.attributes['issuer'] === 'string' ? h.attributes['issuer'] : '')
          .toLowerCase()
          .includes(filter.issuer.toLowerCase())
      )
        continue;
      const cur = best.get(id);
      if (!cur || h.score > cur.score) best.set(id, { docId: id, score: h.score, text: h.text });
    }
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
  }
}

/** SearchFilter → OpenAI comparison/compound filter (`undefined` when there is nothing to filter). */
export function toOpenAIFilters(f: SearchFilter | undefined): unknown {
  if (!f) return undefined;
  const parts: { type: string; key: string; value: string | number }[] = [];
  if (f.category) parts.push({ type: 'eq', key: 'category', value: f.category });
  if (f.docType) parts.push({ type: 'eq', key: 'doc_type', value: f.docType });
  if (f.from) parts.push({ type: 'gte', key: 'primary_date', value: f.from });
  if (f.to) parts.push({ type: 'lte', key: 'primary_date', value: f.to });
  if (f.minAmount !== undefined) parts.push({ type: 'gte', key: 'total_amount', value: f.minAmount });
  if (f.maxAmount !== undefined) parts.push({ type: 'lte', key: 'total_amount', value: f.maxAmount });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { type: 'and', filters: parts };
}
