import type { TokenUsage } from '@autod/core';
import type { Knex } from 'knex';
import { affected, num, utcPeriodSql, type RepoContext } from './context.js';

type Raw = Record<string, unknown>;

export type SpendStatus = 'pending' | 'settled' | 'released';

/** One paid call about to be made. */
export interface SpendReserveInput {
  provider: string;
  operation: string;
  model: string;
  /** What the call is expected to cost (USD); counted until the row is settled. */
  estimatedUsd: number;
  batch?: boolean;
  /** The document (SHA-256) the call is for. */
  source?: string | null;
  owner?: string | null;
  ref?: string | null;
  /** Refuse the reservation when the window's spend plus the calls in flight plus this estimate would exceed a cap. */
  caps?: { dailyUsd?: number | undefined; monthlyUsd?: number | undefined };
}

/** Why a reservation was refused: the period whose cap it would exceed, the cap and what that period counts now. */
export interface SpendRefusal {
  period: 'day' | 'month';
  /** `YYYY-MM-DD` or `YYYY-MM` (UTC). */
  periodKey: string;
  capUsd: number;
  /** Settled spend plus pending estimates of the period. */
  spentUsd: number;
  estimatedUsd: number;
  /** When the period ends (epoch ms): the next UTC day or month. */
  resetsAt: number;
}

export type SpendReserveResult = { ok: true; id: number } | ({ ok: false } & SpendRefusal);

export interface SpendSummaryOptions {
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  groupBy: 'day' | 'month' | 'model' | 'provider' | 'operation';
}

export interface SpendSummaryRow {
  key: string;
  /** Distinct documents the calls were for. */
  documents: number;
  /** Paid calls counted (settled and pending). */
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** Settled cost plus the estimates of pending calls. */
  costUsd: number;
  /** The part of `costUsd` that is estimates of calls not settled (in flight, or cut off by a crash). */
  pendingUsd: number;
  pendingCalls: number;
}

/** What a UTC window (day or month) counts: settled cost + pending estimates. */
const COUNTED = `CASE WHEN status = 'pending' THEN estimated_usd ELSE cost_usd END`;

export function utcDayStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

export function utcMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * The spend ledger: every paid upstream call is reserved (`pending`, its estimate) before it is made and settled with
 * its billed usage after, so the budget caps hold across processes and a call cut off by a crash is still counted.
 */
export class SpendRepository {
  constructor(private readonly ctx: RepoContext) {}

  private get knex(): Knex {
    return this.ctx.knex;
  }

  /**
   * Reserve `input.estimatedUsd` for a call. With caps, the check and the insert are one transaction that serialises
   * with every other reservation (BEGIN IMMEDIATE on SQLite, a table lock on PostgreSQL), so two processes cannot both
   * take the last dollar.
   */
  async reserve(input: SpendReserveInput): Promise<SpendReserveResult> {
    const caps = input.caps ?? {};
    const checked = caps.dailyUsd !== undefined || caps.monthlyUsd !== undefined;
    const run = async (k: Knex): Promise<SpendReserveResult> => {
      const now = this.ctx.now();
      if (checked) {
        if (this.ctx.dialect === 'postgres') await k.raw('LOCK TABLE spend_ledger IN SHARE ROW EXCLUSIVE MODE');
        const dayStart = utcDayStart(now);
        const monthStart = utcMonthStart(now);
        const row: Raw =
          (await k('spend_ledger')
            .where('created_at', '>=', monthStart)
            .whereNot('status', 'released')
            .select(
              k.raw(`coalesce(sum(${COUNTED}), 0) AS month_usd`),
              k.raw(`coalesce(sum(CASE WHEN created_at >= ? THEN ${COUNTED} ELSE 0 END), 0) AS day_usd`, [dayStart]),
            )
            .first()) ?? {};
        const windows = [
          {
            period: 'day' as const,
            cap: caps.dailyUsd,
            spent: num(row['day_usd']),
            key: new Date(dayStart).toISOString().slice(0, 10),
            resetsAt: dayStart + 86_400_000,
          },
          {
            period: 'month' as const,
            cap: caps.monthlyUsd,
            spent: num(row['month_usd']),
            key: new Date(monthStart).toISOString().slice(0, 7),
            resetsAt: Date.UTC(new Date(monthStart).getUTCFullYear(), new Date(monthStart).getUTCMonth() + 1, 1),
          },
        ];
        for (const w of windows) {
          // A tiny tolerance: sums of doubles must not refuse a call that fits exactly.
          if (w.cap !== undefined && w.spent + input.estimatedUsd > w.cap + 1e-12) {
            return {
              ok: false,
              period: w.period,
              periodKey: w.key,
              capUsd: w.cap,
              spentUsd: w.spent,
              estimatedUsd: input.estimatedUsd,
              resetsAt: w.resetsAt,
            };
          }
        }
      }
      const rows: Raw[] = await k('spend_ledger')
        .insert({
          created_at: now,
          status: 'pending',
          provider: input.provider,
          operation: input.operation.slice(0, 64),
          model: input.model.slice(0, 128),
          batch: input.batch ?? false,
          source: input.source ?? null,
          owner: input.owner?.slice(0, 255) ?? null,
          ref: input.ref ?? null,
          estimated_usd: Math.max(0, input.estimatedUsd),
        })
        .returning('id');
      const first = rows[0];
      return { ok: true, id: num(typeof first === 'object' && first !== null ? first['id'] : first) };
    };
    return checked ? this.knex.transaction((trx) => run(trx)) : run(this.knex);
  }

  /** The call was answered: record what it was billed. False when the row is not pending any more. */
  async settle(id: number, bill: { usage: TokenUsage; costUsd: number; ref?: string }): Promise<boolean> {
    const n = await this.knex('spend_ledger')
      .where({ id, status: 'pending' })
      .update({ ...this.billed(bill), ...(bill.ref ? { ref: bill.ref } : {}) });
    return affected(n) === 1;
  }

  /** The call failed without an answer (nothing billed): the reservation no longer counts. */
  async release(id: number): Promise<boolean> {
    const n = await this.knex('spend_ledger')
      .where({ id, status: 'pending' })
      .update({ status: 'released', cost_usd: 0, settled_at: this.ctx.now() });
    return affected(n) === 1;
  }

  /** Give a pending reservation a handle to settle it by later (e.g. `batch:<id>` once the batch exists). */
  async attach(id: number, ref: string): Promise<void> {
    await this.knex('spend_ledger')
      .where({ id })
      .update({ ref: ref.slice(0, 255) });
  }

  /**
   * Settle the pending row(s) with handle `ref` (a Batch API job whose results arrived, maybe in another process).
   * Idempotent: a settled row is left as it is. Returns the rows settled.
   */
  async settleRef(ref: string, bill: { usage: TokenUsage; costUsd: number }): Promise<number> {
    const n = await this.knex('spend_ledger').where({ ref, status: 'pending' }).update(this.billed(bill));
    return affected(n);
  }

  /** Settled cost plus pending estimates since `since` (and before `until`). */
  async spent(options: { since?: Date; until?: Date } = {}): Promise<{ costUsd: number; pendingUsd: number }> {
    const q = this.knex('spend_ledger')
      .whereNot('status', 'released')
      .select(
        this.knex.raw(`coalesce(sum(${COUNTED}), 0) AS cost_usd`),
        this.knex.raw(`coalesce(sum(CASE WHEN status = 'pending' THEN estimated_usd ELSE 0 END), 0) AS pending_usd`),
      );
    if (options.since) q.where('created_at', '>=', options.since.getTime());
    if (options.until) q.where('created_at', '<', options.until.getTime());
    const row: Raw = (await q.first()) ?? {};
    return { costUsd: num(row['cost_usd']), pendingUsd: num(row['pending_usd']) };
  }

  /** Pending reservations (calls in flight, or cut off by a crash), oldest first. */
  async pending(): Promise<
    { id: number; createdAt: Date; operation: string; model: string; estimatedUsd: number; owner: string | null }[]
  > {
    const rows: Raw[] = await this.knex('spend_ledger').where('status', 'pending').orderBy('id');
    return rows.map((r) => ({
      id: num(r['id']),
      createdAt: new Date(num(r['created_at'])),
      operation: String(r['operation']),
      model: String(r['model']),
      estimatedUsd: num(r['estimated_usd']),
      owner: typeof r['owner'] === 'string' ? r['owner'] : null,
    }));
  }

  /** Spend grouped by UTC day, month, model, provider or operation (ascending key); pending calls at their estimate. */
  async summary(options: SpendSummaryOptions): Promise<SpendSummaryRow[]> {
    const key = this.groupKey(options.groupBy);
    const k = this.knex;
    const q = k('spend_ledger')
      .whereNot('status', 'released')
      .select(k.raw(`${key} AS key`))
      .select(
        k.raw('count(DISTINCT source) AS documents'),
        k.raw('count(*) AS calls'),
        k.raw('coalesce(sum(input_tokens), 0) AS input_tokens'),
        k.raw('coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens'),
        k.raw('coalesce(sum(output_tokens), 0) AS output_tokens'),
        k.raw('coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens'),
        k.raw(`coalesce(sum(${COUNTED}), 0) AS cost_usd`),
        k.raw(`coalesce(sum(CASE WHEN status = 'pending' THEN estimated_usd ELSE 0 END), 0) AS pending_usd`),
        k.raw(`coalesce(sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending_calls`),
      )
      .groupByRaw(key)
      .orderBy('key');
    if (options.from) q.where('created_at', '>=', options.from.getTime());
    if (options.to) q.where('created_at', '<', options.to.getTime());
    const rows: Raw[] = await q;
    return rows.map((r) => ({
      key: String(r['key']),
      documents: num(r['documents']),
      calls: num(r['calls']),
      inputTokens: num(r['input_tokens']),
      cachedInputTokens: num(r['cached_input_tokens']),
      outputTokens: num(r['output_tokens']),
      reasoningTokens: num(r['reasoning_tokens']),
      costUsd: num(r['cost_usd']),
      pendingUsd: num(r['pending_usd']),
      pendingCalls: num(r['pending_calls']),
    }));
  }

  private billed(bill: { usage: TokenUsage; costUsd: number }): Record<string, unknown> {
    const u = bill.usage;
    return {
      status: 'settled',
      settled_at: this.ctx.now(),
      cost_usd: Math.max(0, bill.costUsd),
      input_tokens: u.inputTokens,
      cached_input_tokens: u.cachedInputTokens,
      output_tokens: u.outputTokens,
      reasoning_tokens: u.reasoningTokens,
    };
  }

  private groupKey(groupBy: SpendSummaryOptions['groupBy']): string {
    switch (groupBy) {
      case 'model':
      case 'provider':
      case 'operation':
        return groupBy;
      case 'day':
      case 'month':
        return utcPeriodSql(this.ctx.dialect, groupBy);
    }
  }
}
