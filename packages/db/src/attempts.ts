import { upgradeMetadata, type DocumentMetadata, type ProviderName } from '@autod/core';
import type { Knex } from 'knex';
import { num, parseJson, strOrNull, toJson, utcPeriodSql, type RepoContext } from './context.js';
import { hotStatement } from './statements.js';
import type {
  AttemptRow,
  AttemptStatus,
  AttemptWithResult,
  CostSummaryOptions,
  CostSummaryRow,
  CostTotals,
  RecordAttemptInput,
} from './types.js';

type Raw = Record<string, unknown>;

/** The columns of an {@link AttemptRow} (not `result`: a whole metadata object per attempt). */
const ROW_COLUMNS = [
  'id',
  'document_id',
  'attempt_no',
  'provider',
  'model',
  'status',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_usd',
  'latency_ms',
  'error_code',
  'error_message',
  'prompt_version',
  'created_at',
];

/** Every attempt runs it: prepared once per connection. The attempt number is the document's next. */
const RECORD = hotStatement(
  'attempts_record',
  `INSERT INTO "extraction_attempts" ("document_id", "attempt_no", "provider", "model", "status", "input_tokens",
     "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_usd", "latency_ms", "error_code", "error_message",
     "prompt_version", "result", "created_at")
   VALUES (?, (SELECT coalesce(max("attempt_no"), 0) + 1 FROM "extraction_attempts" WHERE "document_id" = ?),
     ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   RETURNING ${ROW_COLUMNS.map((c) => `"${c}"`).join(', ')}`,
);

function toAttemptRow(r: Raw): AttemptRow {
  return {
    id: num(r['id']),
    documentId: num(r['document_id']),
    attemptNo: num(r['attempt_no']),
    provider: String(r['provider']) as ProviderName,
    model: String(r['model']),
    status: String(r['status']) as AttemptStatus,
    inputTokens: num(r['input_tokens']),
    cachedInputTokens: num(r['cached_input_tokens']),
    outputTokens: num(r['output_tokens']),
    reasoningTokens: num(r['reasoning_tokens']),
    costUsd: num(r['cost_usd']),
    latencyMs: num(r['latency_ms']),
    errorCode: strOrNull(r['error_code']),
    errorMessage: strOrNull(r['error_message']),
    promptVersion: strOrNull(r['prompt_version']),
    createdAt: new Date(num(r['created_at'])),
  };
}

/** Extraction attempts: one row per model call sequence, kept forever (reprocess adds one). */
export class AttemptRepository {
  constructor(private readonly ctx: RepoContext) {}

  private get knex(): Knex {
    return this.ctx.knex;
  }

  async record(input: RecordAttemptInput): Promise<AttemptRow> {
    const u = input.usage;
    const rows = await this.ctx.sql.rows(RECORD, [
      input.documentId,
      input.documentId,
      input.provider,
      input.model,
      input.status,
      u.inputTokens,
      u.cachedInputTokens,
      u.outputTokens,
      u.reasoningTokens,
      input.costUsd,
      Math.round(input.latencyMs),
      input.error?.code.slice(0, 64) ?? null,
      input.error?.message ?? null,
      input.promptVersion?.slice(0, 64) ?? null,
      toJson(input.metadata ?? null),
      this.ctx.now(),
    ]);
    return toAttemptRow(rows[0] ?? {});
  }

  /** A document's attempts, oldest first (without their results; see {@link listWithResults}). */
  async list(documentId: number): Promise<AttemptRow[]> {
    const rows: Raw[] = await this.knex('extraction_attempts')
      .select(ROW_COLUMNS)
      .where('document_id', documentId)
      .orderBy('attempt_no');
    return rows.map(toAttemptRow);
  }

  /** A document's attempts, oldest first, each with the metadata it extracted. */
  async listWithResults(documentId: number): Promise<AttemptWithResult[]> {
    const rows: Raw[] = await this.knex('extraction_attempts')
      .select([...ROW_COLUMNS, 'result'])
      .where('document_id', documentId)
      .orderBy('attempt_no');
    return rows.map((r) => ({
      ...toAttemptRow(r),
      metadata: upgradeMetadata(parseJson<DocumentMetadata>(r['result'])),
    }));
  }

  /** Spend grouped by UTC day, month, model or provider (ascending key). */
  async costSummary(options: CostSummaryOptions): Promise<CostSummaryRow[]> {
    const key = this.groupKey(options.groupBy);
    const q = this.knex('extraction_attempts')
      .select(this.knex.raw(`${key} AS key`))
      .select(this.aggregates())
      .groupByRaw(key)
      .orderBy('key');
    this.range(q, options.from, options.to);
    const rows: Raw[] = await q;
    return rows.map((r) => ({ key: String(r['key']), ...this.sums(r) }));
  }

  /** Totals over every attempt (or those at/after `since`). */
  async totals(options: { since?: Date; until?: Date } = {}): Promise<CostTotals> {
    const q = this.knex('extraction_attempts')
      .select(this.aggregates())
      .select(this.knex.raw(`coalesce(sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed_attempts`));
    this.range(q, options.since, options.until);
    const row: Raw = (await q.first()) ?? {};
    return { ...this.sums(row), failedAttempts: num(row['failed_attempts']) };
  }

  private aggregates(): Knex.Raw[] {
    const k = this.knex;
    return [
      k.raw('count(DISTINCT document_id) AS documents'),
      k.raw('count(*) AS attempts'),
      k.raw('coalesce(sum(input_tokens), 0) AS input_tokens'),
      k.raw('coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens'),
      k.raw('coalesce(sum(output_tokens), 0) AS output_tokens'),
      k.raw('coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens'),
      k.raw('coalesce(sum(cost_usd), 0) AS cost_usd'),
    ];
  }

  private sums(r: Raw): Omit<CostSummaryRow, 'key'> {
    return {
      documents: num(r['documents']),
      attempts: num(r['attempts']),
      inputTokens: num(r['input_tokens']),
      cachedInputTokens: num(r['cached_input_tokens']),
      outputTokens: num(r['output_tokens']),
      reasoningTokens: num(r['reasoning_tokens']),
      costUsd: num(r['cost_usd']),
    };
  }

  private range(q: Knex.QueryBuilder, from: Date | undefined, to: Date | undefined): void {
    if (from) q.where('created_at', '>=', from.getTime());
    if (to) q.where('created_at', '<', to.getTime());
  }

  private groupKey(groupBy: CostSummaryOptions['groupBy']): string {
    switch (groupBy) {
      case 'model':
        return 'model';
      case 'provider':
        return 'provider';
      case 'day':
      case 'month':
        return utcPeriodSql(this.ctx.dialect, groupBy);
    }
  }
}
