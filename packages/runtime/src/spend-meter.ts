import { hostname } from 'node:os';
import type { CallBill, CallMeter, MeteredCall, MeterTicket } from '@autod/api-client';
import type { Database, SpendRefusal } from '@autod/db';
import { errorFor } from '@autod/errors';
import { formatUsd, type AlertManager, type Logger } from '@autod/ops';

export interface SpendMeterOptions {
  /** AUTOD_BUDGET_DAILY_USD: settled spend + pending reservations of the UTC day may not exceed it. */
  dailyUsd?: number | undefined;
  /** AUTOD_BUDGET_MONTHLY_USD: the same for the UTC calendar month. */
  monthlyUsd?: number | undefined;
  /** Written on each reservation (who is spending); default `host:pid`. */
  owner?: string;
  alerts?: AlertManager;
  logger?: Logger;
}

const SETTING = { day: 'AUTOD_BUDGET_DAILY_USD', month: 'AUTOD_BUDGET_MONTHLY_USD' } as const;

/**
 * The spend ledger as the API client's call meter: every paid call is reserved in the database before it is sent
 * (refused with `BUDGET_EXCEEDED` when the UTC day's or month's settled spend plus the calls in flight of every process
 * plus this call's estimate would exceed a cap), settled with its billed usage after. A refusal fires a critical
 * `budget_exceeded` alert (once per period and process, within the alert de-duplication interval).
 */
export class SpendMeter implements CallMeter {
  readonly #owner: string;

  constructor(
    private readonly db: Database,
    private readonly options: SpendMeterOptions = {},
  ) {
    this.#owner = options.owner ?? `${hostname()}:${process.pid}`;
  }

  async reserve(call: MeteredCall): Promise<MeterTicket> {
    const { dailyUsd, monthlyUsd } = this.options;
    const result = await this.db.spend.reserve({
      provider: 'openai',
      operation: call.operation,
      model: call.model,
      estimatedUsd: call.estimatedUsd,
      batch: call.batch,
      source: call.source ?? null,
      owner: this.#owner,
      caps: { dailyUsd, monthlyUsd },
    });
    if (!result.ok) throw await this.#refused(call, result);
    const { id } = result;
    const spend = this.db.spend;
    return {
      settle: async (bill: CallBill) => void (await spend.settle(id, bill)),
      release: async () => void (await spend.release(id)),
      attach: (ref: string) => spend.attach(id, ref),
    };
  }

  async settleRef(ref: string, bill: CallBill): Promise<void> {
    await this.db.spend.settleRef(ref, bill);
  }

  async #refused(call: MeteredCall, r: SpendRefusal): Promise<Error> {
    const name = SETTING[r.period];
    const window = r.period === 'day' ? `today (UTC ${r.periodKey})` : `this month (UTC ${r.periodKey})`;
    const resets = new Date(r.resetsAt).toISOString();
    const message = `The ${r.period === 'day' ? 'daily' : 'monthly'} budget ${name}=${formatUsd(r.capUsd)} would be exceeded: ${formatUsd(r.spentUsd)} is spent or reserved ${window} and this ${call.operation} call is estimated at ${formatUsd(r.estimatedUsd)}. The document waits in the inbox; raise ${name}, or it is tried again after ${resets}.`;
    const details = {
      period: r.period,
      periodKey: r.periodKey,
      setting: name,
      capUsd: r.capUsd,
      spentUsd: r.spentUsd,
      estimatedUsd: r.estimatedUsd,
      operation: call.operation,
      model: call.model,
      resetsAt: resets,
    };
    this.options.logger?.warn(details, 'budget reached: paid call not made');
    if (this.options.alerts) {
      await this.options.alerts
        .fire({
          rule: 'budget_exceeded',
          severity: 'critical',
          summary: `${r.period === 'day' ? 'Daily' : 'Monthly'} budget ${formatUsd(r.capUsd)} reached (${formatUsd(r.spentUsd)} spent or reserved ${window}): paid calls wait until ${resets} or until ${name} is raised.`,
          details,
          dedupeKey: `budget_exceeded:${r.period}:${r.periodKey}`,
          at: new Date().toISOString(),
        })
        .catch((error: unknown) => this.options.logger?.warn({ err: error }, 'budget alert failed'));
    }
    return errorFor('BUDGET_EXCEEDED', message, {
      retryAfterMs: Math.max(0, r.resetsAt - Date.now()),
      details,
    });
  }
}
