import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { indexedFields, type DocumentMetadata, type ProviderName, type TokenUsage } from '@autod/core';
import type { Database, DocumentRow } from '@autod/db';
import type { AutodError } from '@autod/errors';
import { readDocument, sniffDocument, type OcrEngine } from '@autod/extract';
import {
  besidePdf,
  fileImageDocument,
  moveFileSafely,
  originalExtension,
  renderFilingPath,
  safeJoin,
  stageArchive,
  stagingPath,
  writeErrorReport,
  type PipelineDirs,
} from '@autod/pipeline';

/** Default filing template (the config default `AUTOD_FILE_NAME_TEMPLATE`). */
export const DEFAULT_FILING_TEMPLATE = '{yyyy}/{mm}/{date}_{issuer}_{doc_type}';

export interface PersistExtractionInput {
  documentId: number;
  owner: string;
  sha256: string;
  path: string;
  metadata: DocumentMetadata;
  usage: TokenUsage;
  costUsd: number;
  provider: ProviderName;
  model: string;
  latencyMs?: number;
  /** The prompt version the request was built with (kept with the attempt). */
  promptVersion?: string;
  /** Audit action (default `document.completed`). */
  action?: string;
  /** OCR for the text layer of the PDF made from an image (default none). */
  ocr?: OcrEngine | false;
}

/**
 * Persist an extraction made outside the pipeline (OpenAI Batch API) exactly as the pipeline does: one transaction
 * stores the metadata, the text layer, the attempt (with its cost) and an audit entry, and only then is the file
 * moved to its planned place under `processed/` and marked filed. A crash in between is repaired by
 * `Pipeline.recover()` (committed-but-unmoved files are filed at the next start).
 */
export async function persistExtraction(
  db: Database,
  dirs: PipelineDirs,
  filingTemplate: string,
  input: PersistExtractionInput,
): Promise<{ destination: string; title: string | null }> {
  const bytes = new Uint8Array(await readFile(input.path));
  // An image is filed as the PDF made from it (staged before the commit, like the pipeline does).
  const content = await readDocument(bytes, { ocr: input.ocr ?? false, fileName: basename(input.path) });
  const archive = content.archivePdf;
  if (archive) await stageArchive(dirs.processed, input.sha256, archive);
  const fields = indexedFields(input.metadata);
  const fileName = basename(input.path);
  const planned = safeJoin(
    dirs.processed,
    renderFilingPath(filingTemplate, {
      fields,
      sha256: input.sha256,
      originalName: fileName,
      fallbackDate: (input.metadata.processed_date || new Date().toISOString()).slice(0, 10),
    }) + '.pdf',
  );
  const originalExt = archive
    ? originalExtension(fileName, content.mediaType, sniffDocument(bytes).extension ?? '')
    : undefined;
  const text = content.text.trim().length > 0 ? content.text : (input.metadata.ocr_text_excerpt ?? '');
  await db.transaction(async (trx) => {
    await trx.documents.complete(input.documentId, input.owner, {
      metadata: input.metadata,
      fields,
      pageCount: content.pageCount,
      textContent: text,
      provider: input.provider,
      model: input.model,
      storagePath: planned,
      mediaType: content.mediaType,
      originalPath: originalExt ? besidePdf(planned, originalExt) : null,
    });
    await trx.attempts.record({
      documentId: input.documentId,
      provider: input.provider,
      model: input.model,
      status: 'succeeded',
      usage: input.usage,
      costUsd: input.costUsd,
      latencyMs: Math.round(input.latencyMs ?? 0),
      metadata: input.metadata,
      ...(input.promptVersion !== undefined ? { promptVersion: input.promptVersion } : {}),
    });
    await trx.audit.write({
      actor: input.owner,
      action: input.action ?? 'document.completed',
      documentId: input.documentId,
      details: { provider: input.provider, model: input.model, costUsd: input.costUsd, via: 'openai-batch' },
    });
  });
  if (originalExt) {
    const filed = await fileImageDocument({
      staging: stagingPath(dirs.processed, input.sha256),
      planned,
      source: input.path,
      ext: originalExt,
    });
    await db.documents.markFiled(input.documentId, filed.destination, {
      ...(filed.originalPath ? { originalPath: filed.originalPath } : {}),
    });
    return { destination: filed.destination, title: fields.title };
  }
  const destination = await moveFileSafely(input.path, planned);
  await db.documents.markFiled(input.documentId, destination);
  return { destination, title: fields.title };
}

/** Fail a (claimed or unclaimed) file like the pipeline: move it to `failed/` with `<name>.error.json` beside it. */
export async function fileFailure(
  db: Database,
  dirs: PipelineDirs,
  owner: string,
  path: string,
  claimed: { sha256: string; documentId: number } | null,
  error: AutodError,
): Promise<string> {
  if (claimed)
    await db.documents
      .fail(claimed.documentId, owner, { code: error.code, message: error.message })
      .catch(() => undefined);
  const destination = await moveFileSafely(path, join(dirs.failed, basename(path)));
  await writeErrorReport(destination, {
    file: basename(path),
    failedAt: new Date().toISOString(),
    sha256: claimed?.sha256 ?? null,
    documentId: claimed?.documentId ?? null,
    error: error.toJSON(),
    whatToDo: error.hint,
  });
  await db.audit
    .write({
      actor: owner,
      action: 'document.failed',
      ...(claimed ? { documentId: claimed.documentId } : {}),
      details: { file: basename(path), code: error.code, destination },
    })
    .catch(() => undefined);
  if (claimed) await db.documents.markFiled(claimed.documentId, destination).catch(() => undefined);
  return destination;
}

/** File a byte-identical copy of a known document under `duplicates/` and record it. */
export async function fileDuplicate(
  db: Database,
  dirs: PipelineDirs,
  owner: string,
  path: string,
  sha256: string,
  original: DocumentRow,
): Promise<string> {
  const destination = await moveFileSafely(path, join(dirs.duplicates, basename(path)));
  await db.duplicates.record({
    documentId: original.id,
    sha256,
    fileName: basename(path),
    sourcePath: path,
    storedPath: destination,
  });
  await db.audit
    .write({ actor: owner, action: 'document.duplicate', documentId: original.id, details: { destination } })
    .catch(() => undefined);
  return destination;
}
