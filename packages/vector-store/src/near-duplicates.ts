import type { Knex } from 'knex';
import { bufferToVector } from './hash.js';
import type { VectorBackend } from './local-index.js';
import { TABLES } from './migrations.js';
import type { SqlRunner } from './sql-runner.js';

// Run for every indexed document: fixed SQL texts, prepared once (not built with knex each time).
const SIGNATURE_TWIN = `SELECT doc_id FROM ${TABLES.docs} WHERE content_sig = ? AND doc_id <> ? AND sha256 <> ? ORDER BY doc_id LIMIT 1`;
const SHA256_OF = `SELECT sha256 FROM ${TABLES.docs} WHERE doc_id = ? LIMIT 1`;

/** A document another one nearly duplicates, and how alike they are (1 = the same content signature). */
export interface NearDuplicate {
  id: number;
  similarity: number;
}

/** The content signature and bytes of a document being indexed. */
interface Fingerprint {
  id: number;
  sha256: string;
  contentSig: string | null;
}

/**
 * Finds near-duplicates: documents with the same content (signature of the normalised text) but other bytes, and —
 * for one document at a time — documents whose first chunk's vector is at least `threshold` similar.
 */
export class NearDuplicateFinder {
  constructor(
    private readonly knex: Knex,
    private readonly sql: SqlRunner,
    private readonly local: VectorBackend,
    /** Least cosine similarity of first chunks that counts as a near-duplicate. */
    readonly threshold: number,
    /** Compare vectors too (not only content signatures). */
    private readonly compareVectors: boolean,
  ) {}

  /** The near-duplicate of one document about to be stored: the same signature first, else the nearest first chunk. */
  async find(doc: Fingerprint, firstVector: Float32Array | undefined): Promise<NearDuplicate | null> {
    const twin = await this.#signatureTwin(doc);
    if (twin !== null) return { id: twin, similarity: 1 };
    if (!this.compareVectors || !firstVector) return null;
    const [best] = await this.local.search(firstVector, {
      k: 1,
      excludeDocId: doc.id,
      firstChunkOnly: true,
      minSimilarity: this.threshold,
    });
    if (!best) return null;
    const [row] = await this.sql.all<{ sha256: string }>(SHA256_OF, [best.docId]);
    return row && row.sha256 !== doc.sha256 ? { id: best.docId, similarity: best.similarity } : null;
  }

  /**
   * For stored documents, the lowest-id earlier document (a lower id, other bytes) with the same content signature;
   * vectors are not compared. One entry per document, in order.
   */
  async signatureTwins(docs: readonly Fingerprint[]): Promise<(number | null)[]> {
    const sigs = [...new Set(docs.map((d) => d.contentSig).filter((x): x is string => x !== null))];
    const bySig = new Map<string, { id: number; sha256: string }[]>();
    for (let i = 0; i < sigs.length; i += 500) {
      const rows = await this.sql.select<{ doc_id: number | string; sha256: string; content_sig: string }>(
        this.knex(TABLES.docs)
          .select('doc_id', 'sha256', 'content_sig')
          .whereIn('content_sig', sigs.slice(i, i + 500))
          .orderBy('doc_id'),
      );
      for (const row of rows) {
        const list = bySig.get(row.content_sig) ?? [];
        list.push({ id: Number(row.doc_id), sha256: row.sha256 });
        bySig.set(row.content_sig, list);
      }
    }
    return docs.map((doc) => {
      const twin = doc.contentSig
        ? bySig.get(doc.contentSig)?.find((t) => t.id < doc.id && t.sha256 !== doc.sha256)
        : undefined;
      return twin ? twin.id : null;
    });
  }

  /** Documents whose first chunk is at least `minSimilarity` (default: the threshold) similar to `id`'s. */
  async similarTo(id: number, limit: number, minSimilarity = this.threshold): Promise<NearDuplicate[]> {
    const [row] = await this.sql.select<{ embedding: Uint8Array }>(
      this.knex(TABLES.chunks).select('embedding').where({ doc_id: id, chunk_no: 0 }).limit(1),
    );
    if (!row) return [];
    const matches = await this.local.search(bufferToVector(row.embedding), {
      k: limit,
      excludeDocId: id,
      firstChunkOnly: true,
      minSimilarity,
    });
    return matches.map((m) => ({ id: m.docId, similarity: m.similarity }));
  }

  /** The lowest-id other document (other bytes) with the same content signature. */
  async #signatureTwin(doc: Fingerprint): Promise<number | null> {
    if (!doc.contentSig) return null;
    const [row] = await this.sql.all<{ doc_id: number | string }>(SIGNATURE_TWIN, [doc.contentSig, doc.id, doc.sha256]);
    return row ? Number(row.doc_id) : null;
  }
}
