import { createReadStream } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, extname, join, relative } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { indexedFields, reviewReasons, type DocumentMetadata, type TokenUsage } from '@autod/core';
import type { Database, DocumentRow } from '@autod/db';
import { ERROR_CODES, errorFor, isDiskFull, toAutodError, type AutodError, type ErrorCode } from '@autod/errors';
import { readDocument, sniffDocument, type DocumentContent, type OcrEngine } from '@autod/extract';
import { noopLogger, type Logger } from '@autod/ops';
import type { Extractor, ExtractionOutput } from './extractor.js';
import { readDocumentFile } from './read-document-file.js';
import { documentBytesError, tooLargeError } from './intake-checks.js';
import { looksComplete } from './completeness.js';
import { DocumentReview } from './review.js';
import {
  isFiledAs,
  moveBack,
  moveFileSafely,
  nearDuplicatePath,
  renderFilingPath,
  safeJoin,
  writeErrorReport,
} from './filing.js';
import type { PipelineEvent, PipelineStage, ProcessOutcome } from './outcome.js';
import { waitForStableFile, type StableFileOptions } from './stable-file.js';
import {
  fileImageDocument,
  originalExtension,
  besidePdf,
  removeStaged,
  stageArchive,
  stagingPath,
} from './originals.js';

export interface PipelineDirs {
  inbox: string;
  processed: string;
  failed: string;
  duplicates: string;
}

/** What indexing found out about a document (an indexer may tell nothing). */
export interface IndexedDocument {
  /** The earlier document this one is a rescan of (near-duplicate content), or null. */
  nearDuplicateOf?: number | null;
}

/** Called after a document is persisted (search index, vector store). Failures are logged, never fatal. */
export interface DocumentIndexer {
  index(document: {
    id: number;
    sha256: string;
    metadata: DocumentMetadata;
    text: string;
    path: string;
  }): Promise<IndexedDocument | void>;
  /**
   * Completed documents that are not in the index (a crash between commit and indexing, or indexing failed): ids,
   * oldest first, at most `limit`, and how many there are. Recovery and `indexMissing()` index them.
   */
  missing?(limit: number): Promise<{ ids: number[]; total: number }>;
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
  /** OCR at most this many pages per document (default: the reader's, 20); the rest keep their text layer. */
  ocrMaxPages?: number;
  indexer?: DocumentIndexer;
  onEvent?: (event: PipelineEvent) => void;
  /**
   * Deadline for one document, from its claim to its result (reading, OCR, extraction), in ms; default 300 000,
   * 0 = none. It aborts the work (the PDF worker is terminated, the API request cancelled) and is not waited for when
   * an extractor ignores the signal. A deadline hit is a strike (`PROCESSING_TIMEOUT`): the document waits and is
   * tried again, and is failed at `maxStrikes`.
   */
  timeoutPerDocMs?: number;
  /**
   * Attempts that may end without a result — the deadline passed, or the process died while holding the claim
   * (crash, kill -9, out of memory; found by `recover()` or by a takeover of a lease that ran out) — before the
   * document is failed into `failed/` (`PROCESSING_TIMEOUT` / `PROCESSING_CRASHED`). Default 3.
   */
  maxStrikes?: number;
  /**
   * A file modified less than this long ago that looks cut off (see `looksComplete`: an empty file, a PDF without
   * `%%EOF`, a JPEG without its end marker...) or that changed while it was read is left for its writer: the outcome
   * is `skipped` (`incomplete`) and no row is kept for the partial bytes. Older files are processed as they are.
   * Default 60 000 ms.
   */
  incompleteGraceMs?: number;
  /** When a deferred document is tried next if the error does not say (e.g. a breaker's cool-down); default 60 000 ms. */
  retryDelayMs?: number;
  /**
   * What happens to a near-duplicate (a rescan of an earlier document, as the indexer reports it): `flag` (default)
   * files it like any document, flagged by `near_duplicate_of`; `file` files it under `<duplicates>/near/`.
   */
  nearDuplicatePolicy?: 'flag' | 'file';
}

const DEFAULT_TIMEOUT_PER_DOC_MS = 300_000;
const DEFAULT_MAX_STRIKES = 3;
const DEFAULT_INCOMPLETE_GRACE_MS = 60_000;
const DEFAULT_RETRY_DELAY_MS = 60_000;
/** Completed-but-unindexed documents indexed by one `recover()` (the periodic sweep does the rest). */
const RECOVERY_INDEX_LIMIT = 100;

/** A file read and hashed by `Pipeline.intake`: the bytes checked, hashed and extracted are the same. */
export interface IntakeFile {
  path: string;
  fileName: string;
  bytes: Uint8Array;
  sha256: string;
  sizeBytes: number;
  /** Size and modification time when it was read (a file that changed since was taken half-written). */
  read: { size: number; mtimeMs: number };
}

/** `read`: go on with `claim`; `done`: the file ends here (failed, or skipped), with its outcome. */
export type IntakeResult = { kind: 'read'; file: IntakeFile } | { kind: 'done'; outcome: ProcessOutcome };

/** A document claimed for one file, and who holds the claim (every later step acts as that owner). */
export interface ClaimedDocument {
  documentId: number;
  sha256: string;
  owner: string;
  path: string;
  fileName: string;
}

/** `claimed`: this caller may extract it now; `done`: held elsewhere (skipped), a duplicate (filed), or failed. */
export type ClaimStepResult =
  { kind: 'claimed'; claim: ClaimedDocument; document: DocumentRow } | { kind: 'done'; outcome: ProcessOutcome };

export interface ClaimOptions {
  /** Who claims (default the pipeline's owner). */
  owner?: string;
  /** Lease (default the pipeline's `leaseMs`). */
  leaseMs?: number;
  /** Take over a live claim of the same owner (see `ClaimInput.resume` in @autod/db). */
  resume?: boolean;
}

interface PersistMode {
  /** A new document from the inbox (moved into `processed/`); false for a reprocess (it stays where it is filed). */
  refile: boolean;
  keepCorrections?: boolean;
}

/** One extraction of a claimed document and its persist step (see `Pipeline.extractAndPersist`). */
interface ExtractAndPersist {
  claimed: ClaimedDocument;
  /** The caller's stop signal (shutdown); the per-document deadline is added to it. */
  signal?: AbortSignal;
  /** `read`: size and mtime when the bytes were read (a file that changed since was half-written). */
  mode: PersistMode & { read?: { size: number; mtimeMs: number } };
  /** The bytes already read (and hashed); read from `claimed.path` when absent (a reprocess). */
  bytes?: Uint8Array;
}

/** Callbacks into one `processFile` run. */
export interface ProcessFileHooks {
  /**
   * Called with the file's SHA-256 once it is read and before the document is claimed, so a caller can checkpoint
   * which document a path became (the batch runner does) before anything is committed for it.
   */
  onHashed?: (sha256: string) => Promise<void>;
  /**
   * The caller knows the file is whole (an HTTP upload, received in full before it was put in the inbox): the
   * half-written check (a young file that looks cut off) is skipped, and a bad file fails at once.
   */
  complete?: boolean;
  /**
   * The caller already hashed the file and knows which file on disk it hashed (an HTTP upload, hashed as it was
   * received and then linked into the inbox): while the path is still that file — the same inode, size and
   * modification time — it is not read and hashed again before the claim. A copy of a document already stored is
   * filed as a duplicate without being read; a new document is read once, for its extraction. A file that changed
   * (or any `stat` mismatch) goes through the normal intake: read, checked and hashed.
   */
  hashed?: HashedFile;
}

/** A file hashed by the caller, and what identified it on disk then (see `ProcessFileHooks.hashed`). */
export interface HashedFile {
  sha256: string;
  sizeBytes: number;
  /** `stat().ino` and `stat().mtimeMs` of the file when it was hashed. */
  ino: number;
  mtimeMs: number;
}

/** What a claim needs of a file (an `IntakeFile`, or a file the caller hashed). */
export type ClaimFile = Pick<IntakeFile, 'path' | 'fileName' | 'sha256' | 'sizeBytes'>;

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
 * transaction commits (nothing lost); transient upstream failures leave the file in the inbox and the row `waiting`;
 * every failure has a row (status `failed`, code, message, its path in `failed/`); a document that hits the deadline
 * or dies with the process `maxStrikes` times is failed instead of blocking the inbox.
 */
export class Pipeline {
  readonly owner: string;
  /** The review queue and a person's corrections (kept across reprocess). */
  readonly review: DocumentReview;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly maxStrikes: number;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions,
  ) {
    this.owner = options.owner ?? defaultOwner();
    this.review = new DocumentReview(deps.db, { reviewThreshold: options.reviewThreshold ?? 0.8 });
    this.logger = deps.logger ?? noopLogger;
    this.now = deps.now ?? (() => new Date());
    this.maxStrikes = Math.max(1, Math.floor(options.maxStrikes ?? DEFAULT_MAX_STRIKES));
  }

  get dirs(): PipelineDirs {
    return this.options.dirs;
  }

  get provider(): string {
    return this.deps.extractor.provider;
  }

  /** The OCR engine documents are read with (`false` = none), for other intakes that read documents themselves. */
  get ocr(): OcrEngine | false {
    return this.options.ocr ?? false;
  }

  /**
   * Crash recovery, run at start:
   * - documents whose transaction committed (completed or failed) but whose file was not moved are filed now — a
   *   file already at its destination (a kill between the link and the unlink of a move) is recognised, not filed twice;
   * - claims held by dead processes on this host, and claims of other hosts whose lease ran out, count a strike
   *   (`PROCESSING_CRASHED`): the document waits and is tried again, or is failed into `failed/` at `maxStrikes`;
   * - completed documents missing from the index are indexed (up to 100; `indexMissing()` does the rest).
   */
  async recover(): Promise<{ filed: number; released: number; failed: number; indexed: number }> {
    const { documents } = this.deps.db;
    let filed = 0;
    for (const doc of await documents.unfiled()) {
      try {
        if (doc.status === 'completed' && doc.originalPath && doc.mediaType && doc.mediaType !== 'application/pdf') {
          // An image document: its PDF waits in staging, its original in the inbox (or both are in place).
          const filedImage = await fileImageDocument({
            staging: stagingPath(this.options.dirs.processed, doc.sha256),
            planned: doc.storagePath ?? this.plannedPath(doc),
            source: doc.sourcePath,
            ext: doc.originalPath.slice(doc.originalPath.lastIndexOf('.')),
          });
          await documents.markFiled(doc.id, filedImage.destination, {
            ...(filedImage.originalPath ? { originalPath: filedImage.originalPath } : {}),
          });
          filed++;
        } else if (await this.fileCommitted(doc)) filed++;
      } catch (error) {
        if (isDiskFull(error)) throw toAutodError(error);
        this.logger.error({ err: error, documentId: doc.id }, 'recovery could not file a document');
      }
    }
    let released = 0;
    let failed = 0;
    const nowMs = this.now().getTime();
    // Every processing row (lease in the past or future): dead local owners and expired leases end here.
    for (const doc of await documents.expiredLeases(Number.MAX_SAFE_INTEGER)) {
      const owner = doc.claimOwner ?? '';
      const lease = doc.leaseExpiresAt ?? 0;
      if (owner === this.owner || !(lease < nowMs || isDeadLocalOwner(owner))) continue;
      if (doc.filedAt !== null) {
        // A reprocess that died: the document keeps its previous result where it is filed.
        if (await documents.restore(doc.id, owner)) released++;
        continue;
      }
      if (lease === 0) {
        // Released earlier without a reason (an older version, a batch): waiting, no strike.
        const ok = await documents.defer(doc.id, owner, {
          code: 'SHUTTING_DOWN',
          message: 'A worker gave this document up before it was done; it is tried again.',
          retryAt: nowMs,
        });
        if (ok) released++;
        continue;
      }
      const struck = await documents.strike(doc.id, owner, {
        code: 'PROCESSING_CRASHED',
        message: 'autod stopped (crash, kill -9, out of memory) while processing this document; it is tried again.',
        retryAt: nowMs,
        maxStrikes: this.maxStrikes,
        failed: {
          code: 'PROCESSING_CRASHED',
          message: `autod stopped (crash, kill -9, out of memory) while processing this file ${this.maxStrikes} times, so it was set aside.`,
        },
      });
      if (!struck) continue; // someone else got there first
      released++;
      this.logger.warn(
        { documentId: doc.id, file: doc.fileName, strikes: struck.strikes, status: struck.status },
        'a claim of a process that died was found',
      );
      if (struck.status === 'failed') {
        failed++;
        await this.fileCommitted(struck).catch((error: unknown) => {
          this.logger.error({ err: error, documentId: doc.id }, 'recovery could not file a failed document');
        });
      }
    }
    const indexed = (await this.indexMissing(RECOVERY_INDEX_LIMIT)).indexed;
    this.options.onEvent?.({ type: 'recovery', filed, released, failed, indexed });
    if (filed || released || indexed)
      this.logger.info({ filed, released, failed, indexed }, 'recovered after an interrupted run');
    return { filed, released, failed, indexed };
  }

  /**
   * Index completed documents the index lacks (a crash between commit and indexing, or an open breaker while
   * indexing), at most `limit`. Watch and serve run it periodically. Failures are logged and left for the next sweep.
   */
  async indexMissing(limit = RECOVERY_INDEX_LIMIT): Promise<{ indexed: number; failed: number; remaining: number }> {
    const indexer = this.options.indexer;
    if (!indexer?.missing) return { indexed: 0, failed: 0, remaining: 0 };
    const { ids, total } = await indexer.missing(limit);
    let indexed = 0;
    let failed = 0;
    for (const id of ids) {
      const doc = await this.deps.db.documents.get(id);
      if (!doc?.metadata || doc.status !== 'completed') continue;
      try {
        const text = (await this.deps.db.documents.getText(id)) ?? '';
        const found = await indexer.index({
          id,
          sha256: doc.sha256,
          metadata: doc.metadata,
          text,
          path: doc.storagePath ?? doc.sourcePath,
        });
        indexed++;
        // A document filed before it was indexed (Batch API results, a crash in between) and found to be a rescan.
        if (
          typeof found?.nearDuplicateOf === 'number' &&
          this.options.nearDuplicatePolicy === 'file' &&
          doc.storagePath
        ) {
          const target = nearDuplicatePath(this.options.dirs.duplicates, doc.storagePath);
          if (doc.filedAt !== null && !isFiledAs(doc.storagePath, target)) {
            await this.refile(id, doc.storagePath, target, doc.originalPath);
          }
        }
      } catch (error) {
        failed++;
        this.logger.warn({ err: error, documentId: id }, 'indexing a missing document failed; the next sweep retries');
      }
    }
    return { indexed, failed, remaining: Math.max(0, total - indexed) };
  }

  /**
   * Process one file from wherever it is (normally the inbox). Never throws for a bad document; an error thrown by a
   * hook, the database or the disk (`DISK_FULL`) is thrown with the file left where it was.
   */
  async processFile(path: string, signal?: AbortSignal, hooks: ProcessFileHooks = {}): Promise<ProcessOutcome> {
    const started = performance.now();
    this.options.onEvent?.({ type: 'file.started', path });
    const outcome = await this.run(path, signal, hooks);
    return this.finish(outcome, performance.now() - started);
  }

  /**
   * Report how one file ended (the `file.finished` event: metrics, cost alerts, live displays; and the log line).
   * `processFile` does it; an intake that drives the steps itself (the OpenAI Batch API) calls it per file.
   */
  finish(outcome: ProcessOutcome, durationMs: number): ProcessOutcome {
    this.options.onEvent?.({ type: 'file.finished', outcome, durationMs });
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
    const claimed: ClaimedDocument = {
      documentId: doc.id,
      sha256: doc.sha256,
      owner: this.owner,
      path: file,
      fileName: basename(doc.fileName),
    };
    return this.extractAndPersist({ claimed, mode: { refile: false, keepCorrections: options.force !== true } });
  }

  private async run(path: string, signal: AbortSignal | undefined, hooks: ProcessFileHooks): Promise<ProcessOutcome> {
    let file: ClaimFile & { bytes?: Uint8Array; read: { size: number; mtimeMs: number } };
    const known = hooks.hashed ? await this.unchanged(path, hooks.hashed) : undefined;
    if (known) {
      file = known;
      await hooks.onHashed?.(known.sha256);
    } else {
      const intake = await this.intake(path, hooks);
      if (intake.kind === 'done') return intake.outcome;
      file = intake.file;
    }
    // The same content twice at once (here or in another process): the database claim lets one win, the other is held.
    const claim = await this.claim(file);
    if (claim.kind === 'done') return claim.outcome;
    if (signal?.aborted) {
      await this.deferShutdown(claim.claim);
      return { kind: 'skipped', path, reason: 'aborted' };
    }
    let bytes = file.bytes;
    if (!bytes) {
      // A new document the caller hashed: read once for its extraction, and checked to be the bytes it hashed.
      const read = await readDocumentFile(path, this.options.maxFileBytes);
      if (read.kind !== 'read' || createHash('sha256').update(read.bytes).digest('hex') !== file.sha256)
        return this.abandonPartial(path, claim.claim.documentId);
      bytes = read.bytes;
    }
    return this.extractAndPersist({
      claimed: claim.claim,
      ...(signal ? { signal } : {}),
      mode: { refile: true, read: file.read },
      bytes,
    });
  }

  /**
   * The file a caller hashed (`ProcessFileHooks.hashed`), when `path` is still that file (same inode, size and mtime)
   * and within the size limit; undefined otherwise (the normal intake reads and hashes it).
   */
  private async unchanged(
    path: string,
    hashed: HashedFile,
  ): Promise<(ClaimFile & { read: { size: number; mtimeMs: number } }) | undefined> {
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile() || st.ino !== hashed.ino || st.size !== hashed.sizeBytes || st.mtimeMs !== hashed.mtimeMs)
      return undefined;
    if (st.size === 0 || st.size > this.options.maxFileBytes) return undefined;
    return {
      path,
      fileName: basename(path),
      sha256: hashed.sha256,
      sizeBytes: st.size,
      read: { size: st.size, mtimeMs: st.mtimeMs },
    };
  }

  /**
   * Step 1, intake: wait for a stable file (when configured), read it once, check it (too large, empty, not a PDF or
   * supported image: failed into `failed/` with a row) and hash the bytes read. `done` carries the outcome of a file
   * that goes no further (failed, skipped: vanished, not a file, still being written).
   */
  async intake(path: string, hooks: ProcessFileHooks = {}): Promise<IntakeResult> {
    const fileName = basename(path);
    const done = (outcome: ProcessOutcome): IntakeResult => ({ kind: 'done', outcome });
    let t = performance.now();
    if (this.options.stableFile) {
      const stable = await waitForStableFile(path, this.options.stableFile);
      if (!stable) return done({ kind: 'skipped', path, reason: 'vanished' });
    }
    // One read serves the checks, the hash and the extraction: the bytes hashed are the bytes extracted.
    const file = await readDocumentFile(path, this.options.maxFileBytes);
    if (file.kind === 'vanished') return done({ kind: 'skipped', path, reason: 'vanished' });
    if (file.kind === 'not_a_file') return done({ kind: 'skipped', path, reason: 'ignored' });
    if (file.kind === 'too_large') return done(await this.fail(path, null, this.tooLarge(fileName, file.sizeBytes)));
    // A young file that looks cut off is still being written (a copy that paused): leave it for its writer.
    if (hooks.complete !== true && this.isYoung(file.mtimeMs) && !looksComplete(file.bytes))
      return done({ kind: 'skipped', path, reason: 'incomplete' });
    const read = { size: file.bytes.byteLength, mtimeMs: file.mtimeMs };

    const { bytes } = file;
    const rejected = documentBytesError(fileName, bytes); // readDocumentFile already refused files over the limit
    if (rejected) return done(await this.fail(path, null, rejected));
    this.stage('intake', path, t);
    t = performance.now();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    this.stage('hash', path, t);
    await hooks.onHashed?.(sha256);
    return { kind: 'read', file: { path, fileName, bytes, sha256, sizeBytes: bytes.byteLength, read } };
  }

  /**
   * Step 2, claim: the one claim before any paid call. The document's row is claimed by its SHA-256 (exactly once,
   * see `documents.claim`): a live claim — also one of this owner, a copy of the same bytes in flight in this process —
   * is `held` (skipped, tried again later), a completed document makes this file a duplicate (filed into
   * `duplicates/`), a document whose previous owners died holding it `maxStrikes` times is failed. `owner` and
   * `leaseMs` default to the pipeline's; `resume` takes over a live claim of the same owner (a Batch API run resuming
   * its own submitted documents, which the caller knows are not in flight elsewhere).
   */
  async claim(file: ClaimFile, options: ClaimOptions = {}): Promise<ClaimStepResult> {
    const { path, fileName, sha256 } = file;
    const owner = options.owner ?? this.owner;
    const done = (outcome: ProcessOutcome): ClaimStepResult => ({ kind: 'done', outcome });
    const t = performance.now();
    const claim = await this.deps.db.documents.claim({
      sha256,
      fileName,
      sourcePath: path,
      sizeBytes: file.sizeBytes,
      owner,
      leaseMs: options.leaseMs ?? this.options.leaseMs,
      now: this.now().getTime(),
      ...(options.resume ? { resume: true } : {}),
    });
    this.stage('claim', path, t);
    if (claim.kind === 'held') return done({ kind: 'skipped', path, reason: 'held' });
    if (claim.kind === 'duplicate') {
      // The original's own file, committed by another worker that has not moved it yet: not a second copy.
      if (claim.document.sourcePath === path && claim.document.filedAt === null) {
        return done({ kind: 'skipped', path, reason: 'held' });
      }
      return done(await this.fileDuplicate(path, sha256, claim.document, owner));
    }
    const claimed: ClaimedDocument = { documentId: claim.document.id, sha256, owner, path, fileName };
    if (claim.document.strikes >= this.maxStrikes) {
      // Its previous owners died holding it (leases that ran out): do not let it take this process down too.
      const error = errorFor(
        'PROCESSING_CRASHED',
        `autod stopped while processing ${fileName} ${claim.document.strikes} times, so it was set aside.`,
        { details: { strikes: claim.document.strikes } },
      );
      return done(await this.fail(path, claimed, error));
    }
    return { kind: 'claimed', claim: claimed, document: claim.document };
  }

  private async extractAndPersist(job: ExtractAndPersist): Promise<ProcessOutcome> {
    const { claimed, signal, mode, bytes: read } = job;
    const { db, extractor } = this.deps;
    const { documentId, sha256, path, fileName } = claimed;
    const heartbeat = this.heartbeat(claimed);
    const timeoutMs = this.options.timeoutPerDocMs ?? DEFAULT_TIMEOUT_PER_DOC_MS;
    // The deadline aborts the work where it can really be stopped (worker thread, HTTP request) and is not waited for.
    const deadline = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const work = deadline && signal ? AbortSignal.any([signal, deadline]) : (deadline ?? signal);
    const processedAt = this.now().toISOString();
    let attemptStarted = performance.now();
    const state = { committed: false };
    try {
      let t = performance.now();
      const bytes = read ?? new Uint8Array(await readFile(path));
      // Images are always OCR'd when an engine is configured: the PDF filed for them gets the text layer.
      const isImage = sniffDocument(bytes).kind === 'image';
      const content = await untilAborted(
        readDocument(bytes, {
          ocr: extractor.needsOcr || isImage ? (this.options.ocr ?? false) : false,
          ...(this.options.ocrMaxPages !== undefined ? { ocrMaxPages: this.options.ocrMaxPages } : {}),
          // Line boxes: the evidence of each key field points at its place on the page.
          geometry: true,
          fileName,
          ...(work ? { signal: work } : {}),
        }),
        work,
      );
      await this.staged(claimed, content, mode);
      this.stage('read', path, t);

      t = attemptStarted = performance.now();
      const out = await untilAborted(
        extractor.extract({
          // The model reads a PDF: for an image, the one made from it.
          bytes: content.archivePdf ?? bytes,
          content,
          fileName,
          sha256,
          processedAt,
          ...(work ? { signal: work } : {}),
        }),
        work,
      );
      this.stage('extract', path, t);
      return await this.commitResult(claimed, { bytes, content, extraction: out, processedAt }, mode, state);
    } catch (thrown) {
      // A staged PDF of a document that did not commit is of no use (the next attempt stages its own).
      if (mode.refile && !state.committed)
        await removeStaged(this.options.dirs.processed, sha256).catch(() => undefined);
      if (state.committed) throw thrown; // DISK_FULL after the commit: the run stops, recovery files the document
      const timedOut = deadline?.aborted === true && signal?.aborted !== true;
      const error = timedOut
        ? errorFor(
            'PROCESSING_TIMEOUT',
            `${fileName} took longer than ${Math.round(timeoutMs / 1000)} s (PROCESSING_TIMEOUT_PER_DOC); it is tried again later.`,
            { cause: thrown, details: { timeoutMs } },
          )
        : toAutodError(thrown);
      // What the failed attempt was billed (an answer that failed validation twice, a repair cut off by the budget).
      const billed = billedOf(error);
      await db.attempts
        .record({
          documentId,
          provider: extractor.provider,
          model: extractor.model,
          status: 'failed',
          usage: billed.usage,
          costUsd: billed.costUsd,
          latencyMs: Math.round(performance.now() - attemptStarted),
          error: { code: error.code, message: error.message },
          ...(extractor.promptVersion !== undefined ? { promptVersion: extractor.promptVersion } : {}),
        })
        .catch(() => undefined);
      if (!mode.refile) {
        // Reprocessing: a permanent error fails the document where it is filed; anything else keeps its old result.
        if (PERMANENT.has(error.category) && !signal?.aborted) {
          await db.documents.fail(documentId, this.owner, { code: error.code, message: error.message });
          return this.failedOutcome(path, sha256, documentId, path, error);
        }
        await db.documents.restore(documentId, this.owner).catch(() => undefined);
        if (signal?.aborted) return { kind: 'skipped', path, reason: 'aborted' };
        return this.retryLater(path, sha256, documentId, error, this.retryAt(error));
      }
      if (signal?.aborted) {
        await this.deferShutdown(claimed);
        return { kind: 'skipped', path, reason: 'aborted' };
      }
      if (timedOut) return this.strikeTimeout(path, sha256, documentId, fileName, error);
      if (PERMANENT.has(error.category)) {
        // A file that changed since it was read was taken half-written: no failure, no row for the partial bytes.
        if (mode.read && (await changedSince(path, mode.read))) return this.abandonPartial(path, documentId);
        return this.fail(path, claimed, error);
      }
      // A full disk stops the run (the caller's catch): the file stays in the inbox, the claim is released.
      const deferred = await this.defer(claimed, error);
      if (error.code === 'DISK_FULL') throw error;
      return deferred;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Step 3, persist → index → file, for an extraction of a claimed document: one transaction stores the metadata,
   * the text layer, the attempt (usage, cost) and an audit entry; then the document is indexed (search, vector store;
   * a failure is left for the sweep) and its file moved to its place under `processed/` (an image: the PDF made from
   * it, with the original beside it). `processFile` runs it after its own extraction; an extraction made elsewhere
   * (the OpenAI Batch API) is persisted with it. `content` is the document as read (read from `bytes` or the file
   * when missing). Throws when the commit fails (the claim stays; the caller defers or fails it); a move that fails
   * after the commit is left to recovery (outcome `skipped`), a full disk is thrown.
   */
  async persist(
    claimed: ClaimedDocument,
    input: { extraction: ExtractionOutput; content?: DocumentContent; bytes?: Uint8Array; via?: string },
  ): Promise<ProcessOutcome> {
    const heartbeat = this.heartbeat(claimed);
    const state = { committed: false };
    try {
      const bytes = input.bytes ?? new Uint8Array(await readFile(claimed.path));
      const content =
        input.content ??
        (await readDocument(bytes, {
          ocr: this.options.ocr ?? false,
          ...(this.options.ocrMaxPages !== undefined ? { ocrMaxPages: this.options.ocrMaxPages } : {}),
          geometry: true,
          fileName: claimed.fileName,
        }));
      await this.staged(claimed, content, { refile: true });
      return await this.commitResult(
        claimed,
        { bytes, content, extraction: input.extraction, processedAt: this.now().toISOString(), via: input.via },
        { refile: true },
        state,
      );
    } catch (error) {
      if (!state.committed) await removeStaged(this.options.dirs.processed, claimed.sha256).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Renew the claim's lease while it is worked on. */
  private heartbeat(claimed: ClaimedDocument): NodeJS.Timeout {
    const leaseMs = this.options.leaseMs;
    const timer = setInterval(
      () => {
        this.deps.db.documents.renewLease(claimed.documentId, claimed.owner, leaseMs).catch((error: unknown) => {
          this.logger.warn({ err: error, documentId: claimed.documentId }, 'lease renewal failed');
        });
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return timer;
  }

  /**
   * The PDF made from an image (or rendered from a bare e-invoice XML) is staged before the commit, so recovery can
   * file it after a crash; also notes the OCR limits in the log.
   */
  private async staged(claimed: ClaimedDocument, content: DocumentContent, mode: PersistMode): Promise<void> {
    const archive = mode.refile ? content.archivePdf : undefined;
    if (archive) await stageArchive(this.options.dirs.processed, claimed.sha256, archive);
    const { documentId } = claimed;
    if (content.ocrSkippedPages > 0) {
      this.logger.info(
        { documentId, ocrPages: content.ocrPages, ocrSkippedPages: content.ocrSkippedPages },
        'OCR page limit reached; the other pages keep their text layer (AUTOD_OCR_MAX_PAGES)',
      );
    }
    if (content.ocrFailedPages.length > 0) {
      this.logger.warn({ documentId, pages: content.ocrFailedPages }, 'OCR failed on some pages; they have no text');
    }
  }

  /** Commit, index and file one extraction (see `persist`); `state.committed` tells the caller what happened. */
  private async commitResult(
    claimed: ClaimedDocument,
    input: {
      bytes: Uint8Array;
      content: DocumentContent;
      extraction: ExtractionOutput;
      processedAt: string;
      via?: string | undefined;
    },
    mode: PersistMode,
    state: { committed: boolean },
  ): Promise<ProcessOutcome> {
    const { db, extractor } = this.deps;
    const { documentId, sha256, path, fileName, owner } = claimed;
    const { bytes, content, extraction: out } = input;
    let t = performance.now();
    // A wrapper may hand the document to another provider (an e-invoice is read from its XML).
    const provider = out.provider ?? extractor.provider;
    const archive = mode.refile ? content.archivePdf : undefined;
    out.metadata = noteReadLimits(out.metadata, content);
    // The attempt keeps the result as extracted (before a person's corrections are applied over it).
    const extracted = out.metadata;
    const promptVersion = out.promptVersion ?? extractor.promptVersion;
    if (mode.keepCorrections) {
      const kept = await this.review.reapply(documentId, out.metadata);
      out.metadata = kept.metadata;
    }
    const fields = indexedFields(out.metadata);
    const existing = mode.refile ? undefined : await db.documents.get(documentId);
    const rendered = safeJoin(
      this.options.dirs.processed,
      renderFilingPath(this.options.filingTemplate, {
        fields,
        sha256,
        originalName: fileName,
        fallbackDate: input.processedAt.slice(0, 10),
      }) + '.pdf',
    );
    // A reprocessed document stays where it is filed until the new result is committed (then it is re-filed).
    const planned = existing?.storagePath ?? rendered;
    const originalExt = archive
      ? originalExtension(fileName, content.mediaType, sniffDocument(bytes).extension ?? '')
      : undefined;
    const text = content.text.trim().length > 0 ? content.text : (out.metadata.ocr_text_excerpt ?? '');
    await db.transaction(async (trx) => {
      await trx.documents.complete(documentId, owner, {
        metadata: out.metadata,
        fields,
        pageCount: content.pageCount,
        textContent: text,
        provider,
        model: out.model,
        storagePath: planned,
        ...(mode.refile
          ? { mediaType: content.mediaType, originalPath: originalExt ? besidePdf(planned, originalExt) : null }
          : {}),
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
        metadata: extracted,
        ...(promptVersion !== undefined ? { promptVersion } : {}),
      });
      await trx.audit.write({
        actor: owner,
        action: mode.refile ? 'document.completed' : 'document.reprocessed',
        documentId,
        details: { provider, model: out.model, costUsd: out.costUsd, ...(input.via ? { via: input.via } : {}) },
      });
    });
    state.committed = true;
    this.stage('persist', path, t);

    try {
      let nearDuplicateOf = existing?.nearDuplicateOf ?? null;
      if (this.options.indexer) {
        t = performance.now();
        try {
          const indexed = await this.options.indexer.index({
            id: documentId,
            sha256,
            metadata: out.metadata,
            text,
            path: planned,
          });
          nearDuplicateOf = indexed?.nearDuplicateOf ?? nearDuplicateOf;
        } catch (error) {
          // The periodic sweep (watch, serve) and the next recovery index it.
          this.logger.warn({ err: error, documentId }, 'indexing failed; it is retried by the next sweep');
        }
        this.stage('index', path, t);
      }

      // AUTOD_NEAR_DUPLICATE_POLICY=file: a rescan of an earlier document is filed under duplicates/near/.
      const target =
        nearDuplicateOf !== null && this.options.nearDuplicatePolicy === 'file'
          ? nearDuplicatePath(this.options.dirs.duplicates, rendered)
          : rendered;
      let destination = planned;
      if (mode.refile && originalExt) {
        t = performance.now();
        const staging = stagingPath(this.options.dirs.processed, sha256);
        const filedImage = await fileImageDocument({ staging, planned: target, source: path, ext: originalExt });
        destination = filedImage.destination;
        try {
          await db.documents.markFiled(documentId, destination, {
            ...(filedImage.originalPath ? { originalPath: filedImage.originalPath } : {}),
          });
        } catch (error) {
          // Compensation: back to staging and inbox, so recovery files them again from a consistent state.
          await moveBack(destination, staging).catch(() => undefined);
          if (filedImage.originalPath) await moveBack(filedImage.originalPath, path).catch(() => undefined);
          throw error;
        }
        this.stage('file', path, t);
      } else if (mode.refile) {
        t = performance.now();
        destination = await moveFileSafely(path, target);
        try {
          await db.documents.markFiled(documentId, destination);
        } catch (error) {
          // Compensation: put the file back so recovery files it again from a consistent state.
          await moveBack(destination, path).catch(() => undefined);
          throw error;
        }
        this.stage('file', path, t);
      } else if (existing?.storagePath && existing.filedAt !== null && !isFiledAs(existing.storagePath, target)) {
        // Reprocess: the new metadata names the file differently (AUTOD_FILE_NAME_TEMPLATE), so it moves there.
        t = performance.now();
        destination = await this.refile(documentId, existing.storagePath, target, existing.originalPath);
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
        category: fields.category,
      };
    } catch (thrown) {
      // The result is safe in the database; only the move failed. Recovery files it (the next run's start).
      const error = toAutodError(thrown);
      if (error.code === 'DISK_FULL') throw error;
      this.logger.error({ err: thrown, documentId }, 'a committed document could not be filed; recovery files it');
      return { kind: 'skipped', path, reason: 'held' };
    }
  }

  /**
   * A transient problem (rate limit, breaker open, an upstream error, a Batch API submission that failed): the
   * claim is given back as `waiting` with the reason, the file stays where it is, and it is tried again at the time
   * the error names (Retry-After, a breaker's cool-down) or after `retryDelayMs`.
   */
  async defer(claimed: ClaimedDocument, error: AutodError): Promise<ProcessOutcome> {
    const retryAt = this.retryAt(error);
    await this.deps.db.documents
      .defer(claimed.documentId, claimed.owner, {
        code: error.code,
        message: error.message,
        retryAt: retryAt.getTime(),
      })
      .catch(() => undefined);
    return this.retryLater(claimed.path, claimed.sha256, claimed.documentId, error, retryAt);
  }

  /** The deadline passed: a strike; the document waits, or is failed at `maxStrikes`. */
  private async strikeTimeout(
    path: string,
    sha256: string,
    documentId: number,
    fileName: string,
    error: AutodError,
  ): Promise<ProcessOutcome> {
    const retryAt = this.retryAt(error);
    const seconds = Math.round((this.options.timeoutPerDocMs ?? DEFAULT_TIMEOUT_PER_DOC_MS) / 1000);
    const row = await this.deps.db.documents.strike(documentId, this.owner, {
      code: error.code,
      message: error.message,
      retryAt: retryAt.getTime(),
      maxStrikes: this.maxStrikes,
      failed: {
        code: 'PROCESSING_TIMEOUT',
        message: `${fileName} took longer than ${seconds} s (PROCESSING_TIMEOUT_PER_DOC) ${this.maxStrikes} times, so it was set aside; split it, rescan it with fewer pages, or raise PROCESSING_TIMEOUT_PER_DOC.`,
      },
    });
    if (row?.status === 'failed') {
      const final = errorFor('PROCESSING_TIMEOUT', row.errorMessage ?? error.message, {
        retryable: false,
        details: { strikes: row.strikes },
      });
      return this.fileFailed(path, { sha256, documentId }, final);
    }
    return this.retryLater(path, sha256, documentId, error, retryAt);
  }

  /** The bytes read were a half-written file: drop the claim (and the row made for those bytes); try later. */
  private async abandonPartial(path: string, documentId: number): Promise<ProcessOutcome> {
    const { documents } = this.deps.db;
    if (!(await documents.abandon(documentId, this.owner))) {
      await documents.defer(documentId, this.owner, {
        code: 'INPUT_CORRUPT_PDF',
        message: 'The file changed while it was read (still being written); it is tried again.',
        retryAt: this.now().getTime(),
      });
    }
    this.logger.info({ file: basename(path) }, 'the file changed while it was read; it is tried again');
    return { kind: 'skipped', path, reason: 'incomplete' };
  }

  private async deferShutdown(claimed: ClaimedDocument): Promise<void> {
    await this.deps.db.documents
      .defer(claimed.documentId, claimed.owner, {
        code: 'SHUTTING_DOWN',
        message: 'autod stopped before this document was done; the next run processes it.',
        retryAt: this.now().getTime(),
      })
      .catch(() => undefined);
  }

  private retryLater(
    path: string,
    sha256: string,
    documentId: number,
    error: AutodError,
    retryAt: Date,
  ): ProcessOutcome {
    return { kind: 'retry_later', path, sha256, documentId, error: error.toJSON(), retryAt: retryAt.toISOString() };
  }

  /** When a deferred document is tried next: what the error says (Retry-After, a breaker's cool-down) or the default. */
  private retryAt(error: AutodError): Date {
    const fallback = this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    const after = error.retryAfterMs !== undefined && error.retryAfterMs >= 0 ? error.retryAfterMs : fallback;
    return new Date(this.now().getTime() + after);
  }

  private isYoung(mtimeMs: number): boolean {
    return this.now().getTime() - mtimeMs < (this.options.incompleteGraceMs ?? DEFAULT_INCOMPLETE_GRACE_MS);
  }

  private tooLarge(fileName: string, size: number): AutodError {
    return tooLargeError(fileName, size, this.options.maxFileBytes);
  }

  /**
   * Fail a file: its row is failed (`claimed`: by the claim's owner) and the file is moved into `failed/` with
   * `<name>.error.json` beside it. Every failure has a database row: a file that failed before it was claimed (empty,
   * not a PDF, too large...; `claimed` null) is hashed and claimed here, then failed. The row is failed before the
   * move, so a crash in between leaves a failed-but-unfiled row that recovery files.
   */
  async fail(path: string, claimed: ClaimedDocument | null, error: AutodError): Promise<ProcessOutcome> {
    if (claimed) {
      await this.deps.db.documents.fail(claimed.documentId, claimed.owner, {
        code: error.code,
        message: error.message,
      });
    }
    return this.fileFailed(path, claimed, error, claimed?.owner ?? this.owner);
  }

  /** Move a failed file into `failed/` (see `fail`); a `claimed` row is failed already. */
  private async fileFailed(
    path: string,
    claimed: { sha256: string; documentId: number } | null,
    error: AutodError,
    actor: string = this.owner,
  ): Promise<ProcessOutcome> {
    if (!claimed) {
      const hashed = await hashFile(path);
      if (!hashed) return { kind: 'skipped', path, reason: 'vanished' };
      const claim = await this.deps.db.documents.claim({
        sha256: hashed.sha256,
        fileName: basename(path),
        sourcePath: path,
        sizeBytes: hashed.size,
        owner: this.owner,
        leaseMs: this.options.leaseMs,
        now: this.now().getTime(),
      });
      if (claim.kind === 'held') return { kind: 'skipped', path, reason: 'held' };
      if (claim.kind === 'duplicate') return this.fileDuplicate(path, hashed.sha256, claim.document);
      claimed = { sha256: hashed.sha256, documentId: claim.document.id };
      await this.deps.db.documents.fail(claimed.documentId, this.owner, { code: error.code, message: error.message });
    }
    let destination: string;
    try {
      destination = await moveFileSafely(path, join(this.options.dirs.failed, basename(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'skipped', path, reason: 'vanished' };
      throw error;
    }
    await this.deps.db.documents.markFiled(claimed.documentId, destination);
    await this.writeReport(destination, basename(path), claimed, error);
    await this.deps.db.audit
      .write({
        actor,
        action: 'document.failed',
        documentId: claimed.documentId,
        details: { file: basename(path), code: error.code, destination },
      })
      .catch(() => undefined);
    return this.failedOutcome(path, claimed.sha256, claimed.documentId, destination, error);
  }

  private async writeReport(
    destination: string,
    file: string,
    claimed: { sha256: string; documentId: number },
    error: AutodError,
  ): Promise<void> {
    try {
      await writeErrorReport(destination, {
        file,
        failedAt: this.now().toISOString(),
        sha256: claimed.sha256,
        documentId: claimed.documentId,
        error: error.toJSON(),
        whatToDo: error.hint,
      });
    } catch (e) {
      // The reason is in the database row; a full disk still stops the run.
      if (isDiskFull(e)) throw toAutodError(e);
      this.logger.warn({ err: e, destination }, 'could not write the error report');
    }
  }

  /**
   * File a committed document whose file was not moved (recovery): completed → `processed/`, failed → `failed/` with
   * its report. A file already at its destination (a kill between link and unlink) is finished, not filed twice.
   * Returns false when there is no file to file.
   */
  private async fileCommitted(doc: DocumentRow): Promise<boolean> {
    const { documents } = this.deps.db;
    if (await exists(doc.sourcePath)) {
      if (doc.status === 'failed') {
        const dest = await moveFileSafely(
          doc.sourcePath,
          doc.storagePath ?? join(this.options.dirs.failed, basename(doc.sourcePath)),
        );
        await documents.markFiled(doc.id, dest);
        if (!(await exists(`${dest}.error.json`))) {
          const error = errorFor(isErrorCode(doc.errorCode) ? doc.errorCode : 'INTERNAL', doc.errorMessage ?? 'failed');
          await this.writeReport(dest, basename(doc.sourcePath), { sha256: doc.sha256, documentId: doc.id }, error);
        }
        return true;
      }
      const dest = await moveFileSafely(doc.sourcePath, doc.storagePath ?? this.plannedPath(doc));
      await documents.markFiled(doc.id, dest);
      return true;
    }
    if (doc.storagePath && (await exists(doc.storagePath))) {
      await documents.markFiled(doc.id, doc.storagePath);
      return true;
    }
    if (doc.status === 'completed') {
      this.logger.warn({ documentId: doc.id, sourcePath: doc.sourcePath }, 'committed document has no file to file');
    }
    return false;
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

  /** File a byte-identical copy of a known document under `duplicates/` and record it against `original`. */
  async fileDuplicate(
    path: string,
    sha256: string,
    original: DocumentRow,
    actor: string = this.owner,
  ): Promise<ProcessOutcome> {
    let destination: string;
    try {
      destination = await moveFileSafely(path, join(this.options.dirs.duplicates, basename(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'skipped', path, reason: 'vanished' };
      throw error;
    }
    // The record and its audit entry in one commit.
    await this.deps.db.transaction(async (trx) => {
      await trx.duplicates.record({
        documentId: original.id,
        sha256,
        fileName: basename(path),
        sourcePath: path,
        storedPath: destination,
      });
      await trx.audit.write({ actor, action: 'document.duplicate', documentId: original.id, details: { destination } });
    });
    return { kind: 'duplicate', path, sha256, documentId: original.id, destination };
  }

  /**
   * Move a filed document (and, for an image document, its original beside it) to `target` and record the new
   * paths; on a failure to record them the files go back. Returns where the PDF is now.
   */
  private async refile(id: number, current: string, target: string, original: string | null): Promise<string> {
    const destination = await moveFileSafely(current, target);
    let movedOriginal: string | undefined;
    try {
      if (original && (await exists(original))) {
        movedOriginal = await moveFileSafely(original, besidePdf(destination, extname(original)));
      }
      await this.deps.db.documents.markFiled(id, destination, movedOriginal ? { originalPath: movedOriginal } : {});
    } catch (error) {
      if (movedOriginal && original) await moveBack(movedOriginal, original).catch(() => undefined);
      await moveBack(destination, current).catch(() => undefined);
      throw error;
    }
    // A failed document that now has a result leaves failed/ with its error report (the failed attempt is kept).
    if (isInside(this.options.dirs.failed, current)) await unlink(`${current}.error.json`).catch(() => undefined);
    this.logger.info({ documentId: id, from: current, to: destination }, 'reprocessed document re-filed');
    return destination;
  }

  private plannedPath(doc: DocumentRow): string {
    return join(this.options.dirs.processed, `${doc.sha256.slice(0, 16)}.pdf`);
  }

  private stage(stage: PipelineStage, path: string, started: number): void {
    this.options.onEvent?.({ type: 'stage', stage, path, durationMs: performance.now() - started });
  }
}

/**
 * What the reader could not do goes into the metadata's `errors`, so a person (and `autod show`) sees it: pages over
 * the OCR page limit (AUTOD_OCR_MAX_PAGES) that kept only their text layer, and pages whose OCR failed.
 */
export function noteReadLimits(
  metadata: DocumentMetadata,
  content: { ocrPages: number; ocrSkippedPages: number; ocrFailedPages: readonly number[] },
): DocumentMetadata {
  const notes: string[] = [];
  if (content.ocrSkippedPages > 0) {
    notes.push(
      `OCR was limited to ${content.ocrPages} page(s) (AUTOD_OCR_MAX_PAGES); ${content.ocrSkippedPages} more scanned page(s) kept only their text layer.`,
    );
  }
  if (content.ocrFailedPages.length > 0) {
    notes.push(`OCR failed on page(s) ${content.ocrFailedPages.join(', ')}; they have no text.`);
  }
  if (notes.length === 0) return metadata;
  return { ...metadata, errors: [...metadata.errors, ...notes.map((n) => n.slice(0, 512))] };
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

/**
 * `promise`, or a rejection as soon as `signal` aborts: work that ignores its signal (an extractor stuck in a
 * promise that never settles) cannot hold the pipeline past its deadline. The abandoned promise's result is dropped.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortError(signal: AbortSignal): AutodError {
  return errorFor('ABORTED', 'The work on this document was stopped.', { cause: signal.reason });
}

/** True when the file's size or modification time differs from what was read (a writer is still at it). */
async function changedSince(path: string, read: { size: number; mtimeMs: number }): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.size !== read.size || s.mtimeMs !== read.mtimeMs;
  } catch {
    return false;
  }
}

/** SHA-256 and size of a file, streamed (it may be over the size limit); undefined when it is gone. */
async function hashFile(path: string): Promise<{ sha256: string; size: number } | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      const b = chunk as Buffer;
      size += b.byteLength;
      hash.update(b);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return { sha256: hash.digest('hex'), size };
}

function isErrorCode(code: string | null): code is ErrorCode {
  return code !== null && Object.hasOwn(ERROR_CODES, code);
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

/** The usage and cost an error says were billed before it (`details.usage` / `details.costUsd`), else none. */
function billedOf(error: AutodError): { usage: TokenUsage; costUsd: number } {
  const d = error.details ?? {};
  const u = d['usage'] as Partial<TokenUsage> | undefined;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    usage: {
      inputTokens: n(u?.inputTokens),
      cachedInputTokens: n(u?.cachedInputTokens),
      outputTokens: n(u?.outputTokens),
      reasoningTokens: n(u?.reasoningTokens),
      totalTokens: n(u?.totalTokens),
    },
    costUsd: n(d['costUsd']),
  };
}

/** Whether `path` is inside the folder `dir`. */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel.length > 0 && !rel.startsWith('..') && !rel.startsWith('/');
}
