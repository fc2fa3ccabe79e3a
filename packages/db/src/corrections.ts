import type { Knex } from 'knex';
import { num, parseJson, strOrNull, type RepoContext } from './context.js';
import type { CorrectionInput, CorrectionRow } from './types.js';

type Raw = Record<string, unknown>;

function toCorrectionRow(r: Raw): CorrectionRow {
  return {
    id: num(r['id']),
    documentId: num(r['document_id']),
    kind: r['kind'] === 'accept' ? 'accept' : 'correct',
    field: strOrNull(r['field']),
    value: parseJson<unknown>(r['value']),
    previous: parseJson<unknown>(r['previous']),
    actor: String(r['actor']),
    note: strOrNull(r['note']),
    at: new Date(num(r['at'])),
  };
}

/** A person's corrections and acceptances, append-only (the audit trail of a review). */
export class CorrectionRepository {
  constructor(private readonly ctx: RepoContext) {}

  private get knex(): Knex {
    return this.ctx.knex;
  }

  async record(input: CorrectionInput): Promise<CorrectionRow> {
    const rows: Raw[] = await this.knex('document_corrections')
      .insert({
        document_id: input.documentId,
        kind: input.kind,
        field: input.field ?? null,
        // JSON-encode so that a null value is stored as JSON null, not SQL NULL of a missing value
        value: JSON.stringify(input.value ?? null),
        previous: JSON.stringify(input.previous ?? null),
        actor: input.actor,
        note: input.note ?? null,
        at: this.ctx.now(),
      })
      .returning('*');
    return toCorrectionRow(rows[0] ?? {});
  }

  /** Oldest first. */
  async listFor(documentId: number): Promise<CorrectionRow[]> {
    const rows: Raw[] = await this.knex('document_corrections').where('document_id', documentId).orderBy('id', 'asc');
    return rows.map(toCorrectionRow);
  }

  /** The corrections in force: the latest value per corrected field (validate before applying). */
  async inForce(documentId: number): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const row of await this.listFor(documentId)) {
      if (row.kind === 'correct' && row.field) out[row.field] = row.value;
    }
    return out;
  }
}
