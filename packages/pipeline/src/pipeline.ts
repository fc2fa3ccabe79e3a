import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { indexedFields, reviewReasons, type DocumentMetadata } from '@autod/core';
import type { Database, DocumentRow } from '@autod/db';
import { errorFor, toAutodError, type AutodError } from '@autod/errors';
import { readPdf, type OcrEngine } from '@autod/extract';
import { noopLogger, type Logger } from '@autod/ops';
import type { Extractor } from './extractor.js';
import { readDocumentFile } from './read-document-file.js';
import { DocumentReview } from './review.js';
import { moveBack, moveFileSafely, renderFilingPath, safeJoin, writeErrorReport } from './filing.js';
import type { PipelineEvent, PipelineStage, ProcessOutcome } from './outcome.js';
import { waitForStableFile, type StableFileOptions } from './stable-file.js';

export interface PipelineDirs {
  inbox: string;
  processed: string;
  failed: string;
  duplicates: string;
}

/** Called after a document is persisted (search index, vector store). Failures are logged, never fatal. */
export interface DocumentIndexer {
  index(document: {
    id: number;
    sha256: string;
    metadata: DocumentMetadata;
    text: string;
    path: string;
  }): Promise<void>;
}

export interface PipelineOptions {
  dirs: PipelineDirs;
  /** Files larger than this fail with INPUT_TOO_LARGE without being read. */
  maxFileBytes: number;
  /** Claim lease; renewed while a file is being processed. */
  leaseMs: number;
  /** Template for `processed/` paths (see renderFilingPath). */
  filingTemplate: string;
  /** A key field with a confidence under this marks the document needs_review (default 0.8). */
  reviewThreshold?: number;
  /** Who claims documents; defaults to `<host>:<pid>:<random>` so a restarted process is a new owner. */
  owner?: string;
  /** Wait for the file to stop changing before reading it (off by default; the inbox watcher does it). */
  stableFile?: StableFileOptions | false;
  ocr?: OcrEngine | false;
  indexer?: DocumentIndexer;
  onEvent?: (event: PipelineEvent) => void;
}

/** Callbacks into one `processFile` run. */
export interface ProcessFileHooks {
  /**
   * Called with the file's SHA-256 once it is read and before the document is claimed, so a caller can checkpoint
   * which document a path became (the batch runner does) before anything is committed for it.
   */
  onHashed?: (sha256: string) => Promise<void>;
}

export interface PipelineDeps {
  db: Database;
  extractor: Extractor;
  logger?: Logger;
  now?: () => Date;
}

/** Error categories that mean "this document is bad": fail it. Anything else is retried later. */
const PERMANENT = new Set(['input', 'validation']);

/**
 * The document pipeline: intake → hash → claim → read → extract → persist → index → file.
 *
 * Invariants: a file's SHA-256 is claimed by a unique insert (exactly once); an inbox file is moved only after its
 * transaction commits (nothing lost); transient upstream failures release the claim and leave the file in the inbox.
 */
export class Pipeline {
  readonly owner: string;
  /** The review queue and a person's corrections (kept across reprocess). */
  readonly review: DocumentReview;
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions,
  ) {
    this.owner = options.owner ?? defaultOwner();
    this.review = new DocumentReview(deps.db, { reviewThreshold: options.reviewThreshold ?? 0.8 });
    this.logger = deps.logger ?? noopLogger;
    this.now = deps.now ?? (() => new Date());
  }

  get dirs(): PipelineDirs {
    return this.options.dirs;
  }

  get provider(): string {
    return this.deps.extractor.provider;
  }

  /**
   * Crash recovery, run at start: files whose transaction committed but which were not moved are filed now, and
   * claims held by dead processes on this host are released so they can be taken over at once (other hosts' claims
   * expire with their lease).
   */
  async recover(): Promise<{ filed: number; released: number }> {
    const { documents } = this.deps.db;
    let filed = 0;
    for (const doc of await documents.unfiled()) {
      try {
        if (await exists(doc.sourcePath)) {
          const dest = await moveFileSafely(doc.sourcePath, doc.storagePath ?? this.plannedPath(doc));
          await documents.markFiled(doc.id, dest);
          filed++;
        } else if (doc.storagePath && (await exists(doc.storagePath))) {
          await documents.markFiled(doc.id, doc.storagePath);
          filed++;
        } else {
          this.logger.warn(
            { documentId: doc.id, sourcePath: doc.sourcePath },
            'committed document has no file to file',
          );
        }
      } catch (error) {
        this.logger.error({ err: error, documentId: doc.id }, 'recovery could not file a document');
      }
    }
    let released = 0;
    const nowMs = this.now().getTime();
    // Every processing row (lease in the past or future): dead local owners are released at once.
    for (const doc of await documents.expiredLeases(Number.MAX_SAFE_INTEGER)) {
      const owner = doc.claimOwner ?? '';
      const expired = (doc.leaseExpiresAt ?? 0) < nowMs;
      if (owner !== this.owner && (expired || isDeadLocalOwner(owner))) {
        await documents.release(doc.id, owner);
        released++;
      }
    }
    this.options.onEvent?.({ type: 'recovery', filed, released });
    if (filed || released) this.logger.info({ filed, released }, 'recovered after an interrupted run');
    return { filed, released };
  }

  /**
   * Process one file from wherever it is (normally the inbox). Never throws for a bad document; an error thrown by a
   * hook (or the database) is thrown with the file left where it was.
   */
  async processFile(path: string, signal?: AbortSignal, hooks: ProcessFileHooks = {}): Promise<ProcessOutcome> {
    const started = performance.now();
    this.options.onEvent?.({ type: 'file.started', path });
    const outcome = await this.run(path, signal, hooks);
    this.options.onEvent?.({ type: 'file.finished', outcome, durationMs: performance.now() - started });
    const log = outcome.kind === 'failed' ? 'warn' : 'info';
    this.logger[log]({ outcome: describe(outcome) }, `file ${outcome.kind}`);
    return outcome;
  }

  /**
   * A new extraction attempt for a stored document with the current provider/model/prompt; old attempts are kept.
   * A person's corrections (see `DocumentReview`) are applied over the new result unless `force`.
   */
  async reprocess(idOrSha: number | string, options: { force?: boolean } = {}): Promise<ProcessOutcome> {
    const { documents } = this.deps.db;
    const doc = await documents.get(idOrSha);
    if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${idOrSha}.`);
    const file = doc.storagePath ?? doc.sourcePath;
    if (!(await exists(file))) throw errorFor('NOT_FOUND', `The file of document ${doc.id} is missing: ${file}`);
    const claim = await documents.reclaim(doc.id, { owner: this.owner, leaseMs: this.options.leaseMs });
    if (claim.kind !== 'claimed') {
      throw errorFor('CLAIM_HELD', `Document ${doc.id} is being processed right now; try again later.`);
    }
    return this.extractAndPersist(doc.id, doc.sha256, file, basename(doc.fileName), undefined, {
      refile: false,
      keepCorrections: options.force !== true,
    });
  }

  private async run(path: string, signal: AbortSignal | undefined, hooks: ProcessFileHooks): Promise<ProcessOutcome> {
    const fileName = basename(path);
    // intake
    let t = performance.now();
    if (this.options.stableFile) {
      const stable = await waitForStableFile(path, this.options.stableFile);
      if (!stable) return { kind: 'skipped', path, reason: 'vanished' };
    }
    // One read serves the checks, the hash and the extraction: the bytes hashed are the bytes extracted.
    const file = await readDocumentFile(path, this.options.maxFileBytes);
    if (file.kind === 'vanished') return { kind: 'skipped', path, reason: 'vanished' };
    if (file.kind === 'not_a_file') return { kind: 'skipped', path, reason: 'ignored' };
    if (file.kind === 'too_large') return this.failUnclaimed(path, null, this.tooLarge(fileName, file.sizeBytes));
    const { bytes } = file;
    const rejected = checkPdfBytes(fileName, bytes); // readDocumentFile already refused files over the limit
    if (rejected) return this.failUnclaimed(path, null, rejected);
    this.stage('intake', path, t);
    t = performance.now();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const sizeBytes = bytes.byteLength;
    this.stage('hash', path, t);
    await hooks.onHashed?.(sha256);

    t = performance.now();
    const claim = await this.deps.db.documents.claim({
      sha256,
      fileName,
      sourcePath: path,
      sizeBytes,
      owner: this.owner,
      leaseMs: this.options.leaseMs,
      now: this.now().getTime(),
    });
    this.stage('claim', path, t);
    if (claim.kind === 'held') return { kind: 'skipped', path, reason: 'held' };
    if (claim.kind === 'duplicate') {
      // The original's own file, committed by another worker that has not moved it yet: not a second copy.
      if (claim.document.sourcePath === path && claim.document.filedAt === null) {
        return { kind: 'skipped', path, reason: 'held' };
      }
      return this.fileDuplicate(path, sha256, claim.document);
    }
    if (signal?.aborted) {
      await this.deps.db.documents.release(claim.document.id, this.owner);
      return { kind: 'skipped', path, reason: 'aborted' };
    }
    return this.extractAndPersist(claim.document.id, sha256, path, fileName, signal, { refile: true }, bytes);
  }

  private async extractAndPersist(
    documentId: number,
    sha256: string,
    path: string,
    fileName: string,
    signal: AbortSignal | undefined,
    mode: { refile: boolean; keepCorrections?: boolean },
    read?: Uint8Array,
  ): Promise<ProcessOutcome> {
    const { db, extractor } = this.deps;
    const heartbeat = setInterval(
      () => {
        db.documents.renewLease(documentId, this.owner, this.options.leaseMs).catch((error: unknown) => {
          this.logger.warn({ err: error, documentId }, 'lease renewal failed');
        });
      },
      Math.max(1000, Math.floor(this.options.leaseMs / 3)),
    );
    heartbeat.unref();
    const processedAt = this.now().toISOString();
    let attemptStarted = performance.now();
    try {
      let t = performance.now();
      const bytes = read ?? new Uint8Array(await readFile(path));
      const content = await readPdf(bytes, {
        ocr: extractor.needsOcr ? (this.options.ocr ?? false) : false,
        ...(signal ? { signal } : {}),
      });
      this.stage('read', path, t);

      t = attemptStarted = performance.now();
      const out = await extractor.extract({
        bytes,
        content,
        fileName,
        sha256,
        processedAt,
        ...(signal ? { signal } : {}),
      });
      this.stage('extract', path, t);
      // A wrapper may hand the document to another provider (an e-invoice is read from its XML).
      const provider = out.provider ?? extractor.provider;

      t = performance.now();
      if (mode.keepCorrections) {
        const kept = await this.review.reapply(documentId, out.metadata);
        out.metadata = kept.metadata;
      }
      const fields = indexedFields(out.metadata);
      const existing = mode.refile ? undefined : await db.documents.get(documentId);
      const planned =
        existing?.storagePath ??
        safeJoin(
          this.options.dirs.processed,
          renderFilingPath(this.options.filingTemplate, {
            fields,
            sha256,
            originalName: fileName,
            fallbackDate: processedAt.slice(0, 10),
          }) + '.pdf',
        );
      const text = content.text.trim().length > 0 ? content.text : (out.metadata.ocr_text_excerpt ?? '');
      await db.transaction(async (trx) => {
        await trx.documents.complete(documentId, this.owner, {
          metadata: out.metadata,
          fields,
          pageCount: content.pageCount,
          textContent: text,
          provider,
          model: out.model,
          storagePath: planned,
          reviewReasons: reviewReasons(out.metadata, this.options.reviewThreshold ?? 0.8),
        });
        await trx.attempts.record({
          documentId,
          provider,
          model: out.model,
          status: 'succeeded',
          usage: out.usage,
          costUsd: out.costUsd,
          latencyMs: Math.round(out.latencyMs),
        });
        await trx.audit.write({
          actor: this.owner,
          action: mode.refile ? 'document.completed' : 'document.reprocessed',
          documentId,
          details: { provider, model: out.model, costUsd: out.costUsd },
        });
      });
      this.stage('persist', path, t);

      if (this.options.indexer) {
        t = performance.now();
        try {
          await this.options.indexer.index({ id: documentId, sha256, metadata: out.metadata, text, path: planned });
        } catch (error) {
          this.logger.warn({ err: error, documentId }, 'indexing failed; run `autod reindex` later');
        }
        this.stage('index', path, t);
      }

      let destination = planned;
      if (mode.refile) {
        t = performance.now();
        destination = await moveFileSafely(path, planned);
        try {
          await db.documents.markFiled(documentId, destination);
        } catch (error) {
          // Compensation: put the file back so recovery files it again from a consistent state.
          await moveBack(destination, path).catch(() => undefined);
          throw error;
        }
        this.stage('file', path, t);
      }
      return {
        kind: 'processed',
        path,
        sha256,
        documentId,
        destination,
        provider,
        model: out.model,
        costUsd: out.costUsd,
        title: fields.title,
      };
    } catch (thrown) {
      const error = toAutodError(thrown);
      await db.attempts
        .record({
          documentId,
          provider: extractor.provider,
          model: extractor.model,
          status: 'failed',
          usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 },
          costUsd: 0,
          latencyMs: Math.round(performance.now() - attemptStarted),
          error: { code: error.code, message: error.message },
        })
        .catch(() => undefined);
      if (PERMANENT.has(error.category) && !signal?.aborted) {
        await db.documents.fail(documentId, this.owner, { code: error.code, message: error.message });
        // A failed reprocess leaves the file where it was filed.
        if (!mode.refile) return this.failedOutcome(path, sha256, documentId, path, error);
        return this.failUnclaimed(path, { sha256, documentId }, error);
      }
      await db.documents.release(documentId, this.owner).catch(() => undefined);
      if (signal?.aborted) return { kind: 'skipped', path, reason: 'aborted' };
      return { kind: 'retry_later', path, sha256, documentId, error: error.toJSON() };
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Cheap checks before hashing: empty, too large, not a PDF. */
  private tooLarge(fileName: string, size: number): AutodError {
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    return errorFor(
      'INPUT_TOO_LARGE',
      `${fileName} is ${mb(size)} MB, over the ${mb(this.options.maxFileBytes)} MB limit; split it or raise AUTOD_MAX_FILE_MB.`,
      { details: { sizeBytes: size, maxBytes: this.options.maxFileBytes } },
    );
  }

  private async failUnclaimed(
    path: string,
    claimed: { sha256: string; documentId: number } | null,
    error: AutodError,
  ): Promise<ProcessOutcome> {
    let destination: string;
    try {
      destination = await moveFileSafely(path, join(this.options.dirs.failed, basename(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'skipped', path, reason: 'vanished' };
      throw error;
    }
    await writeErrorReport(destination, {
      file: basename(path),
      failedAt: this.now().toISOString(),
      sha256: claimed?.sha256 ?? null,
      documentId: claimed?.documentId ?? null,
      error: error.toJSON(),
      whatToDo: error.hint,
    });
    await this.deps.db.audit
      .write({
        actor: this.owner,
        action: 'document.failed',
        ...(claimed ? { documentId: claimed.documentId } : {}),
        details: { file: basename(path), code: error.code, destination },
      })
      .catch(() => undefined);
    if (claimed) await this.deps.db.documents.markFiled(claimed.documentId, destination).catch(() => undefined);
    return this.failedOutcome(path, claimed?.sha256 ?? null, claimed?.documentId ?? null, destination, error);
  }

  private failedOutcome(
    path: string,
    sha256: string | null,
    documentId: number | null,
    destination: string,
    error: AutodError,
  ): ProcessOutcome {
    return { kind: 'failed', path, sha256, documentId, destination, error: error.toJSON() };
  }

  private async fileDuplicate(path: string, sha256: string, original: DocumentRow): Promise<ProcessOutcome> {
    let destination: string;
    try {
      destination = await moveFileSafely(path, join(this.options.dirs.duplicates, basename(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'skipped', path, reason: 'vanished' };
      throw error;
    }
    await this.deps.db.duplicates.record({
      documentId: original.id,
      sha256,
      fileName: basename(path),
      sourcePath: path,
      storedPath: destination,
    });
    await this.deps.db.audit
      .write({ actor: this.owner, action: 'document.duplicate', documentId: original.id, details: { destination } })
      .catch(() => undefined);
    return { kind: 'duplicate', path, sha256, documentId: original.id, destination };
  }

  private plannedPath(doc: DocumentRow): string {
    return join(this.options.dirs.processed, `${doc.sha256.slice(0, 16)}.pdf`);
  }

  private stage(stage: PipelineStage, path: string, started: number): void {
    this.options.onEvent?.({ type: 'stage', stage, path, durationMs: performance.now() - started });
  }
}

/** Not empty, and `%PDF-` within the first 1 KB (some scanners write a few bytes of junk first). */
function checkPdfBytes(fileName: string, bytes: Uint8Array): AutodError | undefined {
  if (bytes.byteLength === 0) return errorFor('INPUT_EMPTY', `${fileName} is empty (0 bytes); rescan the document.`);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(1024, bytes.byteLength));
  if (head.includes('%PDF-')) return undefined;
  return errorFor('INPUT_NOT_PDF', `${fileName} is not a PDF (no %PDF- header); convert it to PDF.`);
}

function describe(o: ProcessOutcome): Record<string, unknown> {
  const base: Record<string, unknown> = { kind: o.kind, file: basename(o.path) };
  if (o.kind === 'failed' || o.kind === 'retry_later') base['code'] = o.error.code;
  if (o.kind === 'processed' || o.kind === 'duplicate' || o.kind === 'failed') base['destination'] = o.destination;
  if (o.kind === 'skipped') base['reason'] = o.reason;
  return base;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** A claim made by a process on this host that no longer runs (kill -9, crash). */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
