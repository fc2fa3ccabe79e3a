import {
  DOCUMENT_FILTER,
  highlightTerms,
  type DocumentFilterDefinition,
  upgradeMetadata,
  type DocumentMetadata,
  type DocumentStatus,
  type ProviderName,
} from '@autod/core';
import { errorFor } from '@autod/errors';
import type { Knex } from 'knex';
import { affected, dateOrNull, num, numOrNull, parseJson, strOrNull, toJson, type RepoContext } from './context.js';
import { applyDocumentFilter } from './filter.js';
import { hotStatement } from './statements.js';
import type {
  ClaimInput,
  ClaimResult,
  CompleteInput,
  DeferInput,
  DocumentFilter,
  DocumentOrderBy,
  DocumentRow,
  ListOptions,
  ReviewedInput,
  SearchHit,
  SearchOptions,
  StrikeInput,
} from './types.js';

type Raw = Record<string, unknown>;

/** Every `documents` column a DocumentRow needs (not `text_content`, not `search_vector`). */
const COLUMNS = [
  'id',
  'sha256',
  'file_name',
  'source_path',
  'size_bytes',
  'page_count',
  'status',
  'claim_owner',
  'lease_expires_at',
  'storage_path',
  'filed_at',
  'original_path',
  'media_type',
  'provider',
  'model',
  'metadata',
  'category',
  'subcategory',
  'doc_type',
  'issuer',
  'primary_date',
  'total_amount',
  'currency',
  'title',
  'summary',
  'confidence',
  'error_code',
  'error_message',
  'attempt_count',
  'strikes',
  'retry_at',
  'near_duplicate_of',
  'customer',
  'invoice_number',
  'due_date',
  'needs_review',
  'review_reasons',
  'created_at',
  'updated_at',
] as const;

/** The columns of a DocumentRow as SQL (hot statements). */
const COLUMN_SQL = COLUMNS.map((c) => `"${c}"`).join(', ');

/** The statements every document runs (claim, complete, file, reads by key): prepared once per connection. */
const HOT = {
  claimInsert: hotStatement(
    'documents_claim',
    `INSERT INTO "documents" ("sha256", "file_name", "source_path", "size_bytes", "status", "claim_owner", "lease_expires_at", "attempt_count", "created_at", "updated_at")
     VALUES (?, ?, ?, ?, 'processing', ?, ?, 1, ?, ?) ON CONFLICT ("sha256") DO NOTHING RETURNING ${COLUMN_SQL}`,
  ),
  byId: hotStatement('documents_by_id', `SELECT ${COLUMN_SQL} FROM "documents" WHERE "id" = ?`),
  bySha: hotStatement('documents_by_sha', `SELECT ${COLUMN_SQL} FROM "documents" WHERE "sha256" = ?`),
  // Still filed only if it already sits at the planned destination (reprocess): the CASE reads the old storage_path.
  complete: hotStatement(
    'documents_complete',
    `UPDATE "documents" SET "status" = 'completed', "lease_expires_at" = NULL, "page_count" = ?, "text_content" = ?,
       "provider" = ?, "model" = ?, "metadata" = ?, "category" = ?, "subcategory" = ?, "doc_type" = ?, "issuer" = ?,
       "primary_date" = ?, "total_amount" = ?, "currency" = ?, "title" = ?, "summary" = ?, "confidence" = ?,
       "customer" = ?, "invoice_number" = ?, "due_date" = ?, "needs_review" = ?, "review_reasons" = ?,
       "error_code" = NULL, "error_message" = NULL, "storage_path" = ?,
       "original_path" = CASE WHEN ? THEN ? ELSE "original_path" END,
       "media_type" = CASE WHEN ? THEN ? ELSE "media_type" END,
       "filed_at" = CASE WHEN "storage_path" = ? THEN "filed_at" ELSE NULL END, "updated_at" = ?
     WHERE "id" = ? AND "claim_owner" = ? AND "status" = 'processing' RETURNING ${COLUMN_SQL}`,
  ),
  markFiled: hotStatement(
    'documents_mark_filed',
    `UPDATE "documents" SET "storage_path" = ?, "original_path" = COALESCE(?, "original_path"), "filed_at" = ?, "updated_at" = ?
     WHERE "id" = ? RETURNING "id"`,
  ),
  // Every rescan found by the index (each copy of a document scanned twice).
  setNearDuplicate: hotStatement(
    'documents_set_near_duplicate',
    `UPDATE "documents" SET "near_duplicate_of" = ?, "updated_at" = ? WHERE "id" = ? RETURNING "id"`,
  ),
};

const ORDER_COLUMNS: Record<DocumentOrderBy, string> = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  primaryDate: 'primary_date',
  totalAmount: 'total_amount',
  issuer: 'issuer',
  title: 'title',
  id: 'id',
};

/** bm25 weights, in FTS column order: title, issuer, doc_type, category, summary, text_content. */
const BM25_WEIGHTS = '10.0, 8.0, 4.0, 3.0, 5.0, 1.0';
const MAX_QUERY_TOKENS = 16;
const SHA256_RE = /^[0-9a-f]{64}$/;

export function toDocumentRow(r: Raw): DocumentRow {
  // The metadata JSON (several KB) is parsed when first read: a list of 1,000 documents shows only columns.
  let metadata: DocumentMetadata | null | undefined;
  return {
    id: num(r['id']),
    sha256: String(r['sha256']),
    fileName: String(r['file_name']),
    sourcePath: String(r['source_path']),
    sizeBytes: num(r['size_bytes']),
    pageCount: numOrNull(r['page_count']),
    status: r['status'] as DocumentStatus,
    claimOwner: strOrNull(r['claim_owner']),
    leaseExpiresAt: numOrNull(r['lease_expires_at']),
    storagePath: strOrNull(r['storage_path']),
    filedAt: dateOrNull(r['filed_at']),
    originalPath: strOrNull(r['original_path']),
    mediaType: strOrNull(r['media_type']),
    provider: strOrNull(r['provider']) as ProviderName | null,
    model: strOrNull(r['model']),
    get metadata(): DocumentMetadata | null {
      if (metadata === undefined) metadata = upgradeMetadata(parseJson<DocumentMetadata>(r['metadata']));
      return metadata;
    },
    set metadata(value: DocumentMetadata | null) {
      metadata = value;
    },
    category: strOrNull(r['category']),
    subcategory: strOrNull(r['subcategory']),
    docType: strOrNull(r['doc_type']),
    issuer: strOrNull(r['issuer']),
    primaryDate: strOrNull(r['primary_date']),
    totalAmount: numOrNull(r['total_amount']),
    currency: strOrNull(r['currency']),
    title: strOrNull(r['title']),
    summary: strOrNull(r['summary']),
    confidence: numOrNull(r['confidence']),
    errorCode: strOrNull(r['error_code']),
    errorMessage: strOrNull(r['error_message']),
    attemptCount: num(r['attempt_count']),
    strikes: num(r['strikes']),
    retryAt: dateOrNull(r['retry_at']),
    nearDuplicateOf: numOrNull(r['near_duplicate_of']),
    customer: strOrNull(r['customer']),
    invoiceNumber: strOrNull(r['invoice_number']),
    dueDate: strOrNull(r['due_date']),
    needsReview: Boolean(r['needs_review']),
    reviewReasons: parseJson<string[]>(r['review_reasons']) ?? [],
    createdAt: new Date(num(r['created_at'])),
    updatedAt: new Date(num(r['updated_at'])),
  };
}

function normaliseSha(sha256: string): string {
  const sha = sha256.trim().toLowerCase();
  if (!SHA256_RE.test(sha)) {
    throw errorFor('VALIDATION_FAILED', 'sha256 must be 64 hexadecimal characters.', { details: { sha256 } });
  }
  return sha;
}

/** Words of a free-text query (letters and digits only: nothing reaches the FTS syntax unescaped). */
export function queryTokens(query: string): string[] {
  return (query.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_QUERY_TOKENS);
}

/**
 * The `documents` table: the claim/lease protocol (exactly-once processing), completion,
 * filtering and full-text search.
 */
export class DocumentRepository {
  constructor(
    private readonly ctx: RepoContext,
    /** The fields `list`, `search` and `matching` filter by. */
    private readonly filter: DocumentFilterDefinition = DOCUMENT_FILTER,
  ) {}

  private get knex(): Knex {
    return this.ctx.knex;
  }

  /**
   * Claim a file by its SHA-256. Exactly once: the row is inserted with a unique sha256; if it
   * exists, a completed row is a `duplicate`, a processing row with a live lease is `held` (also
   * when this owner holds it: a process's concurrent workers share one owner, and a copy of bytes
   * already in flight must wait, not be extracted again — unless `resume` says the claim is this
   * caller's own unfinished work), and a processing row whose lease expired (or was released), a
   * waiting or failed row is taken over with a conditional UPDATE — only one concurrent taker can
   * win, the affected row count decides. Taking over a lease that ran out without being released
   * (its owner died or stalled) adds a strike.
   */
  async claim(input: ClaimInput): Promise<ClaimResult> {
    const sha256 = normaliseSha(input.sha256);
    const now = input.now ?? this.ctx.now();
    const leaseExpiresAt = now + input.leaseMs;
    for (let round = 0; round < 5; round++) {
      const inserted = await this.ctx.sql.rows(HOT.claimInsert, [
        sha256,
        input.fileName,
        input.sourcePath,
        input.sizeBytes,
        input.owner,
        leaseExpiresAt,
        now,
        now,
      ]);
      const first = inserted[0];
      if (first) return { kind: 'claimed', document: toDocumentRow(first), takeover: false };

      const existing = await this.rawBySha(sha256);
      if (!existing) continue; // deleted in between: try the insert again
      const doc = toDocumentRow(existing);
      if (doc.status === 'completed') return { kind: 'duplicate', document: doc };
      const resumable = input.resume === true && doc.claimOwner === input.owner;
      if (doc.status === 'processing' && (doc.leaseExpiresAt ?? 0) >= now && !resumable) {
        return { kind: 'held', document: doc };
      }
      const updated: Raw[] = await this.knex('documents')
        .where('id', doc.id)
        .andWhere((q) => {
          q.whereIn('status', ['failed', 'waiting']).orWhere((p) => {
            p.where('status', 'processing').andWhere((l) => {
              l.where('lease_expires_at', '<', now).orWhereNull('lease_expires_at');
              if (resumable) l.orWhere('claim_owner', input.owner);
            });
          });
        })
        .update({
          status: 'processing',
          claim_owner: input.owner,
          lease_expires_at: leaseExpiresAt,
          file_name: input.fileName,
          source_path: input.sourcePath,
          size_bytes: input.sizeBytes,
          error_code: null,
          error_message: null,
          retry_at: null,
          attempt_count: this.knex.raw('attempt_count + 1'),
          // A lease that ran out without a release: the previous owner died (or hung) holding it.
          // A failed document dropped in again starts afresh (the user replaced or fixed something).
          strikes: this.knex.raw(
            `CASE WHEN status = 'failed' THEN 0 ELSE strikes + CASE WHEN status = 'processing' AND lease_expires_at > 0 AND lease_expires_at < ? AND (claim_owner IS NULL OR claim_owner <> ?) THEN 1 ELSE 0 END END`,
            [now, input.owner],
          ),
          // A failed document dropped in again is a new copy in the inbox: it is not filed (yet).
          storage_path: this.knex.raw(`CASE WHEN status = 'failed' THEN NULL ELSE storage_path END`),
          filed_at: this.knex.raw(`CASE WHEN status = 'failed' THEN NULL ELSE filed_at END`),
          updated_at: now,
        })
        .returning(COLUMNS as unknown as string[]);
      const won = updated[0];
      if (won) return { kind: 'claimed', document: toDocumentRow(won), takeover: true };
      // someone else changed the row between our read and our update: look again
    }
    const doc = await this.get(sha256);
    if (!doc) throw errorFor('CONFLICT', `Could not claim ${sha256}: the row kept changing; retry.`);
    return doc.status === 'completed' ? { kind: 'duplicate', document: doc } : { kind: 'held', document: doc };
  }

  /**
   * Take an existing document (completed, failed, or with an expired lease) back into
   * processing, e.g. for `autod reprocess`. Returns `held` while a lease is live (this owner's too:
   * the document is being worked on in this process).
   */
  async reclaim(
    id: number,
    input: { owner: string; leaseMs: number; now?: number },
  ): Promise<{ kind: 'claimed'; document: DocumentRow; takeover: true } | { kind: 'held'; document: DocumentRow }> {
    const now = input.now ?? this.ctx.now();
    const updated: Raw[] = await this.knex('documents')
      .where('id', id)
      .andWhere((q) => {
        q.whereIn('status', ['completed', 'failed']).orWhere((l) => {
          l.where('lease_expires_at', '<', now).orWhereNull('lease_expires_at');
        });
      })
      .update({
        status: 'processing',
        claim_owner: input.owner,
        lease_expires_at: now + input.leaseMs,
        error_code: null,
        error_message: null,
        retry_at: null,
        attempt_count: this.knex.raw('attempt_count + 1'),
        updated_at: now,
      })
      .returning(COLUMNS as unknown as string[]);
    const won = updated[0];
    if (won) return { kind: 'claimed', document: toDocumentRow(won), takeover: true };
    const doc = await this.get(id);
    if (!doc) throw notFound(id);
    return { kind: 'held', document: doc };
  }

  /** Extend the lease; false when the claim is no longer this owner's. */
  async renewLease(id: number, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.ctx.now();
    const n = await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing' })
      .update({ lease_expires_at: now + leaseMs, updated_at: now });
    return affected(n) === 1;
  }

  /** Give the claim up without failing it (lease_expires_at = 0: anyone may claim it now). */
  async release(id: number, owner: string): Promise<void> {
    await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing' })
      .update({ lease_expires_at: 0, updated_at: this.ctx.now() });
  }

  /**
   * Put a claimed document back as `waiting` (anyone may claim it; `retryAt` says when it is tried next, `code` and
   * `message` why). Only while `owner` holds the claim; false otherwise.
   */
  async defer(id: number, owner: string, input: DeferInput): Promise<boolean> {
    const n = await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing' })
      .update({
        status: 'waiting',
        claim_owner: null,
        lease_expires_at: null,
        error_code: input.code.slice(0, 64),
        error_message: input.message,
        retry_at: Math.round(input.retryAt),
        updated_at: this.ctx.now(),
      });
    return affected(n) === 1;
  }

  /**
   * An attempt of `owner` (this process, or a dead one found by recovery) ended without a result: one strike more.
   * Below `maxStrikes` the document is `waiting` (like `defer`), at `maxStrikes` it is `failed` (not filed yet: the
   * caller moves the file). Returns the updated row, or undefined when `owner` no longer holds the claim.
   */
  async strike(id: number, owner: string, input: StrikeInput): Promise<DocumentRow | undefined> {
    const out = input.failed ?? { code: input.code, message: input.message };
    const last = this.knex.raw('strikes + 1 >= ?', [input.maxStrikes]);
    const rows: Raw[] = await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing' })
      .update({
        strikes: this.knex.raw('strikes + 1'),
        status: this.knex.raw(`CASE WHEN ? THEN 'failed' ELSE 'waiting' END`, [last]),
        error_code: this.knex.raw('CASE WHEN ? THEN ? ELSE ? END', [
          last,
          out.code.slice(0, 64),
          input.code.slice(0, 64),
        ]),
        error_message: this.knex.raw('CASE WHEN ? THEN ? ELSE ? END', [last, out.message, input.message]),
        retry_at: this.knex.raw('CASE WHEN ? THEN NULL ELSE CAST(? AS bigint) END', [last, Math.round(input.retryAt)]),
        claim_owner: null,
        lease_expires_at: null,
        filed_at: null,
        updated_at: this.ctx.now(),
      })
      .returning(COLUMNS as unknown as string[]);
    const row = rows[0];
    return row ? toDocumentRow(row) : undefined;
  }

  /**
   * End a reprocessing claim without a new result: the document goes back to what it was (`completed` when it has
   * metadata, else `failed`), still filed where it was. Only while `owner` holds the claim; false otherwise.
   */
  async restore(id: number, owner: string): Promise<boolean> {
    const n = await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing' })
      .update({
        status: this.knex.raw(`CASE WHEN metadata IS NULL THEN 'failed' ELSE 'completed' END`),
        lease_expires_at: null,
        updated_at: this.ctx.now(),
      });
    return affected(n) === 1;
  }

  /**
   * Delete a row this owner created by its claim and nothing else happened to (first attempt, no result): used when
   * the bytes claimed turn out to be a half-written file, so no row stays behind for the partial content's hash.
   * Returns false (and deletes nothing) for any other row.
   */
  async abandon(id: number, owner: string): Promise<boolean> {
    const n = await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing', attempt_count: 1 })
      .whereNull('metadata')
      .delete();
    return affected(n) === 1;
  }

  /**
   * Store the extraction result and mark the document completed — only while `owner` still
   * holds the claim (else ConflictError CLAIM_HELD). One statement: the full-text index
   * (trigger / generated column) changes in the same transaction.
   */
  async complete(id: number, owner: string, input: CompleteInput): Promise<DocumentRow> {
    const now = this.ctx.now();
    const f = input.fields;
    const reasons = input.reviewReasons ?? [];
    const rows = await this.ctx.sql.rows(HOT.complete, [
      input.pageCount,
      input.textContent,
      input.provider,
      input.model,
      toJson(input.metadata),
      f.category,
      f.subcategory,
      f.docType,
      f.issuer,
      f.primaryDate,
      f.totalAmount,
      f.currency,
      f.title,
      input.metadata.summary ?? null,
      f.confidence,
      f.customer,
      f.invoiceNumber,
      f.dueDate,
      reasons.length > 0,
      toJson(reasons),
      input.storagePath,
      input.originalPath !== undefined,
      input.originalPath ?? null,
      input.mediaType !== undefined,
      input.mediaType?.slice(0, 100) ?? null,
      input.storagePath,
      now,
      id,
      owner,
    ]);
    const row = rows[0];
    if (!row) throw await this.claimLost(id, owner);
    return toDocumentRow(row);
  }

  /**
   * Store metadata a person reviewed (corrections applied, or accepted): the JSON, the indexed columns and the review
   * flag change together. Only for completed documents (VALIDATION_FAILED otherwise: there is nothing to review).
   */
  async updateReviewed(id: number, input: ReviewedInput): Promise<DocumentRow> {
    const f = input.fields;
    const rows: Raw[] = await this.knex('documents')
      .where({ id, status: 'completed' })
      .update({
        metadata: toJson(input.metadata),
        category: f.category,
        subcategory: f.subcategory,
        doc_type: f.docType,
        issuer: f.issuer,
        primary_date: f.primaryDate,
        total_amount: f.totalAmount,
        currency: f.currency,
        title: f.title,
        confidence: f.confidence,
        customer: f.customer,
        invoice_number: f.invoiceNumber,
        due_date: f.dueDate,
        needs_review: input.reviewReasons.length > 0,
        review_reasons: toJson(input.reviewReasons),
        updated_at: this.ctx.now(),
      })
      .returning(COLUMNS as unknown as string[]);
    const row = rows[0];
    if (row) return toDocumentRow(row);
    const doc = await this.get(id);
    if (!doc) throw notFound(id);
    throw errorFor('VALIDATION_FAILED', `Document ${id} is ${doc.status}; only completed documents can be reviewed.`, {
      details: { id, status: doc.status },
    });
  }

  /** Record that the file now sits at `storagePath` (and, for an image document, its original at `originalPath`). */
  async markFiled(id: number, storagePath: string, options: { originalPath?: string } = {}): Promise<void> {
    const now = this.ctx.now();
    const changed = await this.ctx.sql.rows(HOT.markFiled, [storagePath, options.originalPath ?? null, now, now, id]);
    if (changed.length === 0) throw notFound(id);
  }

  /** Mark the document failed (only while `owner` holds the claim, else CLAIM_HELD). */
  async fail(id: number, owner: string, error: { code: string; message: string }): Promise<void> {
    const n = await this.knex('documents')
      .where({ id, claim_owner: owner, status: 'processing' })
      .update({
        status: 'failed',
        lease_expires_at: null,
        error_code: error.code.slice(0, 64),
        error_message: error.message,
        updated_at: this.ctx.now(),
      });
    if (affected(n) === 0) throw await this.claimLost(id, owner);
  }

  /** By numeric id (or a string of digits) or by sha256. */
  async get(idOrSha: number | string): Promise<DocumentRow | undefined> {
    let row: Raw | undefined;
    if (typeof idOrSha === 'number' || /^\d{1,15}$/.test(idOrSha)) {
      row = (await this.ctx.sql.rows(HOT.byId, [Number(idOrSha)]))[0];
    } else {
      const sha = idOrSha.trim().toLowerCase();
      if (!SHA256_RE.test(sha)) return undefined;
      row = await this.rawBySha(sha);
    }
    return row ? toDocumentRow(row) : undefined;
  }

  /** The extracted text (kept out of DocumentRow because it can be large). */
  async getText(id: number): Promise<string | null> {
    const row: Raw | undefined = await this.knex('documents').select('text_content').where('id', id).first();
    return row ? strOrNull(row['text_content']) : null;
  }

  async list(options: ListOptions = {}): Promise<{ items: DocumentRow[]; total: number }> {
    const limit = clampInt(options.limit, 50, 1, 1000);
    const offset = clampInt(options.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const base = this.knex('documents');
    this.applyFilter(base, options, 'documents');
    const countRow: Raw | undefined = await base.clone().count({ n: '*' }).first();
    const column = ORDER_COLUMNS[options.orderBy ?? 'createdAt'];
    const direction = options.order ?? 'desc';
    const rows: Raw[] = await base
      .clone()
      .select(COLUMNS)
      // knex renders orderBy(col, dir, 'last') without the column on SQLite; SQLite ≥ 3.30 knows NULLS LAST
      .orderByRaw(`?? ${direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST, ?? ${direction === 'asc' ? 'ASC' : 'DESC'}`, [
        column,
        'id',
      ])
      .limit(limit)
      .offset(offset);
    return { items: rows.map(toDocumentRow), total: num(countRow?.['n']) };
  }

  /** Full-text search (bm25 on SQLite FTS5, ts_rank on PostgreSQL); best first. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const tokens = queryTokens(query);
    if (tokens.length === 0) return [];
    const limit = clampInt(options.limit, 20, 1, 200);
    const filter = options.filter ?? { status: 'completed' };
    if (this.ctx.dialect === 'postgres') {
      const tsquery = tokens.map((t) => `${t}:*`).join(' & ');
      const q = this.knex({ d: 'documents' })
        .joinRaw(`CROSS JOIN to_tsquery('simple', ?) AS q`, [tsquery])
        .whereRaw('d.search_vector @@ q')
        .select(
          'd.id',
          this.knex.raw('ts_rank(d.search_vector, q) AS score'),
          this.knex.raw(
            `ts_headline('simple', concat_ws(' … ', d.title, d.summary, left(d.text_content, 20000)), q, 'StartSel=[, StopSel=], MaxWords=24, MinWords=8') AS snippet`,
          ),
        );
      this.applyFilter(q, filter, 'd');
      const rows: Raw[] = await q.orderBy('score', 'desc').orderBy('d.id', 'asc').limit(limit);
      return rows.map((r) => ({ id: num(r['id']), score: num(r['score']), snippet: strOrNull(r['snippet']) ?? '' }));
    }
    return this.searchSqlite(tokens, limit, filter);
  }

  /**
   * SQLite. Without a filter beyond `status` (the default search, and hybrid search's text side), rank inside FTS5
   * alone over `4 × limit` candidates, then apply the status and build the snippets from those few rows (joining every
   * match to `documents` costs 4× the ranking at 20k matches, and FTS5's snippet() runs for every match). With other
   * filters, or when the status leaves fewer than `limit` of the candidates and there are more matches, the ranked
   * join over every match answers.
   */
  private async searchSqlite(tokens: string[], limit: number, filter: DocumentFilter): Promise<SearchHit[]> {
    const match = tokens.map((t) => `"${t}"*`).join(' ');
    const score = this.knex.raw(`-bm25(documents_fts, ${BM25_WEIGHTS}) AS score`);
    const rankedJoin = async (): Promise<SearchHit[]> => {
      const q = this.knex('documents_fts')
        .join({ d: 'documents' }, 'd.id', 'documents_fts.rowid')
        .whereRaw('documents_fts MATCH ?', [match])
        .select('d.id', score, this.knex.raw(`snippet(documents_fts, -1, '[', ']', '…', 16) AS snippet`));
      this.applyFilter(q, filter, 'd');
      const rows: Raw[] = await q.orderBy('score', 'desc').orderBy('d.id', 'asc').limit(limit);
      return rows.map((r) => ({ id: num(r['id']), score: num(r['score']), snippet: strOrNull(r['snippet']) ?? '' }));
    };
    const statusOnly = Object.entries(filter).every(([key, value]) => key === 'status' || value === undefined);
    if (!statusOnly) return rankedJoin();

    const depth = Math.max(limit * 4, 50);
    const ranked: Raw[] = await this.knex('documents_fts')
      .select('rowid as id', score)
      .whereRaw('documents_fts MATCH ?', [match])
      .orderBy('score', 'desc')
      .orderBy('rowid', 'asc')
      .limit(depth);
    if (ranked.length === 0) return [];
    const q = this.knex({ d: 'documents' })
      .select('d.id', 'd.title', 'd.summary', this.knex.raw('substr(d.text_content, 1, 20000) AS text_content'))
      .whereIn(
        'd.id',
        ranked.map((r) => num(r['id'])),
      );
    this.applyFilter(q, filter, 'd');
    const kept = new Map((await (q as Promise<Raw[]>)).map((r) => [num(r['id']), r]));
    if (kept.size < limit && ranked.length === depth) return rankedJoin();
    const hits: SearchHit[] = [];
    for (const r of ranked) {
      const row = kept.get(num(r['id']));
      if (!row) continue;
      const text = [row['title'], row['summary'], row['text_content']].filter((v) => typeof v === 'string').join(' … ');
      hits.push({ id: num(r['id']), score: num(r['score']), snippet: highlightTerms(text, tokens, 120) });
      if (hits.length === limit) break;
    }
    return hits;
  }

  /** Processing documents whose lease ran out (crashed or stuck workers). */
  async expiredLeases(now?: number): Promise<DocumentRow[]> {
    const rows: Raw[] = await this.knex('documents')
      .select(COLUMNS)
      .where('status', 'processing')
      .andWhere('lease_expires_at', '<', now ?? this.ctx.now())
      .orderBy('id');
    return rows.map(toDocumentRow);
  }

  /** Completed or failed (committed) documents whose file has not been moved to its folder yet. */
  async unfiled(): Promise<DocumentRow[]> {
    const rows: Raw[] = await this.knex('documents')
      .select(COLUMNS)
      .whereIn('status', ['completed', 'failed'])
      .whereNull('filed_at')
      .orderBy('id');
    return rows.map(toDocumentRow);
  }

  /** How many documents have each status (every status is present, 0 when none). */
  async countByStatus(): Promise<Record<DocumentStatus, number>> {
    const rows: Raw[] = await this.knex('documents').select('status').count({ n: '*' }).groupBy('status');
    const counts: Record<DocumentStatus, number> = { processing: 0, waiting: 0, completed: 0, failed: 0 };
    for (const r of rows) counts[r['status'] as DocumentStatus] = num(r['n']);
    return counts;
  }

  /**
   * Completed documents without a row in `table` (whose `column` holds document ids), e.g. the vector index's
   * documents table: ids (oldest first, at most `limit`) and how many there are in all.
   */
  async missingFrom(table: string, column: string, limit = 100): Promise<{ ids: number[]; total: number }> {
    const base = this.knex({ d: 'documents' })
      .where('d.status', 'completed')
      .whereNotExists((q) => {
        q.select(this.knex.raw('1')).from(table).whereRaw('??.?? = d.id', [table, column]);
      });
    const [rows, countRow] = await Promise.all([
      base.clone().select('d.id').orderBy('d.id').limit(Math.max(1, limit)) as Promise<Raw[]>,
      base.clone().count({ n: '*' }).first() as Promise<Raw | undefined>,
    ]);
    return { ids: rows.map((r) => num(r['id'])), total: num(countRow?.['n']) };
  }

  async setNearDuplicate(id: number, ofId: number | null): Promise<void> {
    const changed = await this.ctx.sql.rows(HOT.setNearDuplicate, [ofId, this.ctx.now(), id]);
    if (changed.length === 0) throw notFound(id);
  }

  /** Delete a document (its attempts and duplicates go with it; audit entries stay). */
  async delete(id: number): Promise<boolean> {
    const n = await this.knex('documents').where({ id }).delete();
    return affected(n) > 0;
  }

  /**
   * Which of `ids` match `filter` (every field of it, as in {@link list}): the search surfaces apply the filters the
   * search index does not hold this way. At most 1,000 ids per call.
   */
  async matching(ids: readonly number[], filter: DocumentFilter): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    if (ids.length > 1000)
      throw errorFor('VALIDATION_FAILED', `matching() takes at most 1000 ids (got ${ids.length}).`);
    const q = this.knex('documents')
      .select('id')
      .whereIn('id', [...ids]);
    this.applyFilter(q, filter, 'documents');
    const rows: Raw[] = await q;
    return new Set(rows.map((r) => num(r['id'])));
  }

  private async rawBySha(sha256: string): Promise<Raw | undefined> {
    return (await this.ctx.sql.rows(HOT.bySha, [sha256]))[0];
  }

  private async claimLost(id: number, owner: string): Promise<Error> {
    const doc = await this.get(id);
    if (!doc) return notFound(id);
    return errorFor(
      'CLAIM_HELD',
      `Document ${id} is no longer claimed by ${owner} (status ${doc.status}, owner ${doc.claimOwner ?? 'none'}).`,
      {
        details: { id, status: doc.status, owner: doc.claimOwner },
        retryable: false,
      },
    );
  }

  private applyFilter(q: Knex.QueryBuilder, f: DocumentFilter, table: string): void {
    applyDocumentFilter(q, this.filter, f, table);
  }
}

function notFound(id: number | string): Error {
  return errorFor('DOCUMENT_NOT_FOUND', `Document ${id} does not exist.`, { details: { id } });
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
