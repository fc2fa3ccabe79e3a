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
 * A spend was committed (its cost is in the attempts table): read the UTC day's and month's totals, which include it,
 * hand the commit to the cost-level rule and evaluate, so the command whose commit crosses a level alerts at once.
 */
export async function recordSpend(
  alerts: AlertManager,
  db: Database,
  costUsd: number,
  now = new Date(),
): Promise<void> {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const [daily, monthly] = await Promise.all([
    db.attempts.totals({ since: day }),
    db.attempts.totals({ since: month }),
  ]);
  alerts.recordSpendCommit({ costUsd, dailyUsd: daily.costUsd, monthlyUsd: monthly.costUsd });
  await alerts.evaluate();
}
