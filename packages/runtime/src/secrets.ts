import type { Config } from '@autod/config';

/** Literal secret values the logger must scrub wherever they appear. */
export function redactSecretsList(config: Config): string[] {
  return [
    config.openai.apiKey,
    config.server.token,
    config.alerts.slackWebhookUrl,
    config.alerts.pagerdutyRoutingKey,
    config.alerts.email.smtpPassword,
  ].filter((s): s is string => typeof s === 'string' && s.length >= 6);
}
