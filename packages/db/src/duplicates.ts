import { num, strOrNull, type RepoContext } from './context.js';
import type { DuplicateInput, DuplicateRow } from './types.js';

type Raw = Record<string, unknown>;

function toDuplicateRow(r: Raw): DuplicateRow {
  return {
    id: num(r['id']),
    documentId: num(r['document_id']),
    sha256: String(r['sha256']),
    fileName: String(r['file_name']),
    sourcePath: String(r['source_path']),
    storedPath: strOrNull(r['stored_path']),
    detectedAt: new Date(num(r['detected_at'])),
  };
}

/** Copies of an already-processed file (same sha256), recorded against the original. */
export class DuplicateRepository {
  constructor(private readonly ctx: RepoContext) {}

  async record(input: DuplicateInput): Promise<DuplicateRow> {
    const rows: Raw[] = await this.ctx
      .knex('duplicates')
      .insert({
        document_id: input.documentId,
        sha256: input.sha256.toLowerCase(),
        file_name: input.fileName,
        source_path: input.sourcePath,
        stored_path: input.storedPath ?? null,
        detected_at: this.ctx.now(),
      })
      .returning('*');
    return toDuplicateRow(rows[0] ?? {});
  }

  /** Oldest first. */
  async listFor(documentId: number): Promise<DuplicateRow[]> {
    const rows: Raw[] = await this.ctx.knex('duplicates').where('document_id', documentId).orderBy('id');
    return rows.map(toDuplicateRow);
  }
}
