import type { ChunkOptions } from './chunk.js';
import type { CachedEmbedder } from './embedding-cache.js';
import type { VectorBackend } from './local-index.js';
import type { NearDuplicateFinder } from './near-duplicates.js';
import type { OpenAIVectorSync } from './openai-sync.js';
import { prepareDocument, storedChunks, type PreparedDocument } from './prepare.js';
import type { IndexDocument, IndexResult, VectorIndexOptions } from './vector-index-types.js';

/** A batch of documents chunked and embedded, its new embedding-cache rows not written yet. */
export interface EmbeddedBatch {
  docs: IndexDocument[];
  prepared: PreparedDocument[];
  vectors: Float32Array[];
  /** Texts embedded now (cache misses). */
  embedded: number;
  pending: Map<string, Float32Array>;
}

export interface IngestDeps {
  embedder: CachedEmbedder;
  local: VectorBackend;
  nearDuplicates: NearDuplicateFinder;
  sync: OpenAIVectorSync | undefined;
  chunking: ChunkOptions | undefined;
  onNearDuplicate: VectorIndexOptions['onNearDuplicate'];
}

/**
 * Writes documents into the index: chunk, embed (cached), store the vectors and attribute row, flag
 * near-duplicates, sync to OpenAI when on. One document at a time ({@link indexOne}: near-duplicates by signature
 * and by vector) or in embedded batches ({@link embed} then {@link write}: by signature only).
 */
export class DocumentWriter {
  constructor(private readonly deps: IngestDeps) {}

  /** Index one document; `train`: refresh the IVF lists when due (not while a reindex runs: it trains at the end). */
  async indexOne(doc: IndexDocument, train: boolean): Promise<IndexResult> {
    const { embedder, local, nearDuplicates } = this.deps;
    const prepared = prepareDocument(doc, this.deps.chunking);
    const before = embedder.stats().misses;
    const { vectors, pending } = await embedder.embedDeferred(prepared.inputs);
    const embedded = embedder.stats().misses - before;
    const twin = await nearDuplicates.find(
      { id: doc.id, sha256: doc.sha256, contentSig: prepared.attrs.contentSig },
      vectors[0],
    );
    // The new embedding-cache rows are written in the transaction of the document's vectors.
    await local.upsertMany(
      [{ attrs: prepared.attrs, chunks: storedChunks(prepared, vectors) }],
      embedder.cacheWrites([pending]),
    );
    if (train) await local.maybeTrain();
    return this.#finish(doc, { chunks: prepared.chunks.length, embedded }, twin);
  }

  /** Chunk and embed a batch; nothing is written yet. */
  async embed(docs: IndexDocument[]): Promise<EmbeddedBatch> {
    const { embedder } = this.deps;
    const prepared = docs.map((d) => prepareDocument(d, this.deps.chunking));
    const before = embedder.stats().misses;
    const { vectors, pending } = await embedder.embedDeferred(prepared.flatMap((p) => p.inputs));
    return { docs, prepared, vectors, embedded: embedder.stats().misses - before, pending };
  }

  /**
   * Write embedded batches: the embedding-cache rows in one transaction, the vectors and attribute
   * rows in another, then content-signature twins and the OpenAI sync. Results per document; each
   * batch's first result carries the batch's count of texts embedded.
   */
  async write(batches: EmbeddedBatch[]): Promise<IndexResult[]> {
    const { embedder, local, nearDuplicates } = this.deps;
    await embedder.persist(batches.map((b) => b.pending));
    const docs = batches.flatMap((b) => b.docs);
    const prepared = batches.flatMap((b) => b.prepared);
    const vectors = batches.flatMap((b) => b.vectors);
    const embeddedAt = new Map<number, number>();
    let first = 0;
    for (const b of batches) {
      if (b.docs.length > 0) embeddedAt.set(first, b.embedded);
      first += b.docs.length;
    }
    let offset = 0;
    await local.upsertMany(
      prepared.map((p) => {
        const vs = vectors.slice(offset, offset + p.chunks.length);
        offset += p.chunks.length;
        return { attrs: p.attrs, chunks: storedChunks(p, vs) };
      }),
    );
    const twins = await nearDuplicates.signatureTwins(
      docs.map((d, i) => ({ id: d.id, sha256: d.sha256, contentSig: prepared[i]?.attrs.contentSig ?? null })),
    );
    const results: IndexResult[] = [];
    for (const [i, doc] of docs.entries()) {
      const twin = twins[i] ?? null;
      const counts = { chunks: (prepared[i] as PreparedDocument).chunks.length, embedded: embeddedAt.get(i) ?? 0 };
      results.push(await this.#finish(doc, counts, twin === null ? null : { id: twin, similarity: 1 }));
    }
    return results;
  }

  /** Report the near-duplicate, sync to OpenAI, and say what was done. */
  async #finish(
    doc: IndexDocument,
    counts: { chunks: number; embedded: number },
    twin: { id: number; similarity: number } | null,
  ): Promise<IndexResult> {
    if (twin) await this.deps.onNearDuplicate?.(doc.id, twin.id, twin.similarity);
    const result: IndexResult = {
      id: doc.id,
      ...counts,
      nearDuplicateOf: twin?.id ?? null,
      nearDuplicateSimilarity: twin?.similarity ?? null,
    };
    if (this.deps.sync) result.openaiFileId = await this.deps.sync.upsert(doc);
    return result;
  }
}
