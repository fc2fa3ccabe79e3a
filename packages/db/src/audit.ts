import { dateOrNull, num, numOrNull, parseJson, toJson, type RepoContext } from './context.js';
import { hotStatement } from './statements.js';
import type { AuditInput, AuditRow } from './types.js';

type Raw = Record<string, unknown>;

/** Every document writes one: prepared once per connection (the columns named: a PostgreSQL prepared statement keeps its result type). */
const WRITE = hotStatement(
  'audit_write',
  `INSERT INTO "audit_log" ("at", "actor", "action", "document_id", "details") VALUES (?, ?, ?, ?, ?)
   RETURNING "id", "at", "actor", "action", "document_id", "details"`,
);

function toAuditRow(r: Raw): AuditRow {
  return {
    id: num(r['id']),
    at: dateOrNull(r['at']) ?? new Date(0),
    actor: String(r['actor']),
    action: String(r['action']),
    documentId: numOrNull(r['document_id']),
    details: parseJson<Record<string, unknown>>(r['details']),
  };
}

/** Append-only audit log (who did what to which document). Never write secrets into `details`. */
export class AuditRepository {
  constructor(private readonly ctx: RepoContext) {}

  async write(input: AuditInput): Promise<AuditRow> {
    const rows = await this.ctx.sql.rows(WRITE, [
      this.ctx.now(),
      input.actor,
      input.action,
      input.documentId ?? null,
      toJson(input.details ?? null),
    ]);
    return toAuditRow(rows[0] ?? {});
  }

  /** Newest first. */
  async list(options: { documentId?: number; action?: string; limit?: number } = {}): Promise<AuditRow[]> {
    const q = this.ctx
      .knex('audit_log')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(options.limit ?? 100, 1), 1000));
    if (options.documentId !== undefined) q.where('document_id', options.documentId);
    if (options.action !== undefined) q.where('action', options.action);
    const rows: Raw[] = await q;
    return rows.map(toAuditRow);
  }
}
