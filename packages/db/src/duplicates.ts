import { num, strOrNull, type RepoContext } from './context.js';
import { hotStatement } from './statements.js';
import type { DuplicateInput, DuplicateRow } from './types.js';

type Raw = Record<string, unknown>;

/** Every copy of a stored document (a rescan, an upload sent twice) writes one: prepared once per connection. */
const RECORD = hotStatement(
  'duplicates_record',
  `INSERT INTO "duplicates" ("document_id", "sha256", "file_name", "source_path", "stored_path", "detected_at")
   VALUES (?, ?, ?, ?, ?, ?)
   RETURNING "id", "document_id", "sha256", "file_name", "source_path", "stored_path", "detected_at"`,
);

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
    const rows = await this.ctx.sql.rows(RECORD, [
      input.documentId,
      input.sha256.toLowerCase(),
      input.fileName,
      input.sourcePath,
      input.storedPath ?? null,
      this.ctx.now(),
    ]);
    return toDuplicateRow(rows[0] ?? {});
  }

  /** Oldest first. */
  async listFor(documentId: number): Promise<DuplicateRow[]> {
    const rows: Raw[] = await this.ctx.knex('duplicates').where('document_id', documentId).orderBy('id');
    return rows.map(toDuplicateRow);
  }
}
