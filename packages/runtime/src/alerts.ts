import type { Config } from '@autod/config';
import type { Database } from '@autod/db';
import {
  AlertManager,
  defaultAlertRules,
  emailChannel,
  pagerDutyChannel,
  slackChannel,
  webhookChannel,
  type AlertChannel,
  type Logger,
} from '@autod/ops';

/** The alert channels the config turns on (none → alerts are only logged). */
export function alertChannels(config: Config): AlertChannel[] {
  const a = config.alerts;
  const channels: AlertChannel[] = [];
  if (a.webhookUrl) channels.push(webhookChannel(a.webhookUrl));
  if (a.slackWebhookUrl) channels.push(slackChannel(a.slackWebhookUrl));
  if (a.pagerdutyRoutingKey) channels.push(pagerDutyChannel(a.pagerdutyRoutingKey));
  if (a.email.to.length > 0 && a.email.from && a.email.smtpHost) {
    channels.push(
      emailChannel({
        host: a.email.smtpHost,
        port: a.email.smtpPort,
        secure: a.email.smtpSecure,
        ...(a.email.smtpUser ? { user: a.email.smtpUser } : {}),
        ...(a.email.smtpPassword ? { pass: a.email.smtpPassword } : {}),
        from: a.email.from,
        to: [...a.email.to],
      }),
    );
  }
  return channels;
}

/** An AlertManager with the seed's thresholds from config: error rate, p95, cost levels, breaker, failed documents. */
export function createAlertManager(config: Config, logger: Logger): AlertManager {
  const levels = [config.cost.alertThreshold1, config.cost.alertThreshold2, config.cost.alertThreshold3];
  const channels = alertChannels(config);
  // Without channels the manager still evaluates rules; a log channel keeps alerts visible.
  channels.push({
    name: 'log',
    send: async (alert) => logger.warn({ alert }, `alert: ${alert.summary}`),
  });
  return new AlertManager({
    channels,
    rules: defaultAlertRules({
      errorRate: config.alerts.errorRatePct / 100,
      p95LatencyMs: config.alerts.p95Ms,
      costLevelsUsd: levels,
    }),
    minIntervalMs: config.alerts.dedupeSeconds * 1000,
    logger,
  });
}

/**
 * Tells the cost-level rule about committed spend, so that the command whose commits move a total across a level
 * alerts (process, batch, worker, serve — one-shot commands too). `start()` reads the UTC day's and month's totals
 * before the process spends anything; every report then reads them again and reports the move since the previous
 * reading, so no crossing falls between two reports (commits reach the ledger before their events do). Spend already
 * above a level at start-up does not alert. Reports run one at a time. When several processes spend at the same time,
 * each may see a crossing: an alert can come twice, none is missed.
 */
export class SpendReporter {
  #unreported = 0;
  #last: { day: string; month: string; dailyUsd: number; monthlyUsd: number } | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly alerts: AlertManager,
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Read the totals before this process commits anything (the baseline of the first report). */
  async start(): Promise<void> {
    this.#last = await this.#read();
  }

  /** `costUsd` was just committed (a document's extraction, settled in the spend ledger); resolves once its alerts (if any) are sent. */
  commit(costUsd: number): Promise<void> {
    if (!(costUsd > 0)) return this.#chain;
    this.#unreported += costUsd;
    const report = this.#chain.then(() => this.#report());
    this.#chain = report.catch(() => undefined);
    return report;
  }

  async #read(): Promise<{ day: string; month: string; dailyUsd: number; monthlyUsd: number }> {
    const now = this.now();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    // What was billed (the spend ledger's settled calls: answers, repairs, failed validations, embeddings, batch jobs);
    // the estimates of calls in flight are not spend yet.
    const [daily, monthly] = await Promise.all([
      this.db.spend.spent({ since: dayStart }),
      this.db.spend.spent({ since: monthStart }),
    ]);
    const day = dayStart.toISOString().slice(0, 10);
    return {
      day,
      month: day.slice(0, 7),
      dailyUsd: daily.costUsd - daily.pendingUsd,
      monthlyUsd: monthly.costUsd - monthly.pendingUsd,
    };
  }

  async #report(): Promise<void> {
    const own = this.#unreported;
    if (own <= 0) return;
    this.#unreported = 0;
    const last = this.#last;
    const now = await this.#read();
    this.#last = now;
    // Before the first reading (no start()): only this process's own reported spend is known.
    const before = (period: 'day' | 'month', total: number, previous: number | undefined): number =>
      last === undefined ? total - own : last[period] === now[period] ? (previous ?? 0) : 0;
    this.alerts.recordSpendCommit({
      costUsd: own,
      dailyUsd: now.dailyUsd,
      monthlyUsd: now.monthlyUsd,
      dailyBeforeUsd: before('day', now.dailyUsd, last?.dailyUsd),
      monthlyBeforeUsd: before('month', now.monthlyUsd, last?.monthlyUsd),
    });
    await this.alerts.evaluate();
  }
}
