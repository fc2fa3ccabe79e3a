import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CachedEmbedder } from './embedding-cache.js';
import type { DocumentWriter, EmbeddedBatch } from './ingest.js';
import type { IndexDocument, IndexResult, ReindexResult } from './vector-index-types.js';

/**
 * `reindex` writes embedded batches together, in transactions of up to this many documents (or
 * what was embedded in {@link WRITE_GROUP_MS}, so that slow embedders still write often): each
 * commit rewrites every page of the random-key indexes (embedding-cache keys, content signatures)
 * it touched, so 2,000–5,000 documents per commit write 1.5–2× less than 500.
 */
const WRITE_GROUP_DOCS = 5000;
const WRITE_GROUP_MS = 2000;

export interface ReindexOptions {
  batchSize?: number;
  onProgress?: (done: number) => void;
}

/**
 * One `reindex` run: documents are embedded `batchSize` at a time, embedded batches wait in a group that is written
 * in one go (see {@link WRITE_GROUP_DOCS}); a batch that fails to embed or a group that fails to write is indexed
 * again one document at a time, so that one bad document fails alone.
 */
export class ReindexRun {
  readonly #failed: { id: number; error: string }[] = [];
  #indexed = 0;
  #chunks = 0;
  #batch: IndexDocument[] = [];
  #group: EmbeddedBatch[] = [];
  #groupDocs = 0;
  #groupStarted = 0;

  constructor(
    private readonly writer: DocumentWriter,
    /** Index one document alone (the fallback). */
    private readonly indexOne: (doc: IndexDocument) => Promise<IndexResult>,
    private readonly options: ReindexOptions,
  ) {}

  /** Index every document of `docs`; the caller trains the IVF lists and reports the cache afterwards. */
  async run(
    docs: AsyncIterable<IndexDocument> | Iterable<IndexDocument>,
  ): Promise<Pick<ReindexResult, 'indexed' | 'failed' | 'chunks'>> {
    const batchSize = Math.max(1, this.options.batchSize ?? 50);
    for await (const d of docs) {
      this.#batch.push(d);
      if (this.#batch.length >= batchSize) await this.#embed();
    }
    await this.#embed();
    await this.#write();
    return { indexed: this.#indexed, failed: this.#failed, chunks: this.#chunks };
  }

  async #embed(): Promise<void> {
    if (this.#batch.length === 0) return;
    const docs = this.#batch;
    this.#batch = [];
    if (this.#group.length === 0) this.#groupStarted = performance.now();
    try {
      this.#group.push(await this.writer.embed(docs));
      this.#groupDocs += docs.length;
    } catch {
      await this.#write();
      await this.#oneByOne(docs);
    }
    if (this.#groupDocs >= WRITE_GROUP_DOCS || performance.now() - this.#groupStarted >= WRITE_GROUP_MS) {
      await this.#write();
    }
  }

  async #write(): Promise<void> {
    if (this.#group.length === 0) return;
    const pending = this.#group;
    this.#group = [];
    this.#groupDocs = 0;
    try {
      const rs = await this.writer.write(pending);
      this.#indexed += rs.length;
      this.#chunks += rs.reduce((sum, r) => sum + r.chunks, 0);
    } catch {
      await this.#oneByOne(pending.flatMap((g) => g.docs));
    }
    this.options.onProgress?.(this.#indexed + this.#failed.length);
    // One turn of the event loop per group: Node-API finalizers (native memory of statements,
    // buffers) only run there, and a loop of awaited synchronous SQLite calls never gets there.
    await nextTurn();
  }

  async #oneByOne(docs: IndexDocument[]): Promise<void> {
    for (const d of docs) {
      try {
        const r = await this.indexOne(d);
        this.#indexed++;
        this.#chunks += r.chunks;
      } catch (error) {
        this.#failed.push({ id: d.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

/** The embedding-cache counters between two snapshots (`before` taken when the run started). */
export function cacheDelta(
  embedder: CachedEmbedder,
  before: ReturnType<CachedEmbedder['stats']>,
): ReindexResult['cache'] {
  const after = embedder.stats();
  const requests = after.requests - before.requests;
  const memoryHits = after.memoryHits - before.memoryHits;
  const dbHits = after.dbHits - before.dbHits;
  return {
    requests,
    memoryHits,
    dbHits,
    misses: after.misses - before.misses,
    hitRate: requests === 0 ? 0 : (memoryHits + dbHits) / requests,
    memory: after.memory,
    embedCalls: after.embedCalls - before.embedCalls,
    costUsd: after.costUsd - before.costUsd,
  };
}
