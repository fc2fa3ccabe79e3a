import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { errorFor } from '@autod/errors';
import type * as Nodemailer from 'nodemailer';
import type { Alert, AlertChannel } from './alerts.js';

export interface HttpChannelOptions {
  /** Extra request headers (e.g. an auth token for a generic webhook). */
  headers?: Record<string, string>;
  /** Per-delivery timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Channel name in logs (default per channel type). */
  name?: string;
}

/**
 * POSTs JSON and throws an AutodError when delivery fails. The URL never appears in the error
 * (Slack webhook URLs and similar carry secrets in the path).
 */
async function postJson(channel: string, url: string, body: unknown, opts: HttpChannelOptions = {}): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'autod-alerts', ...opts.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      throw errorFor('TIMEOUT', `Alert channel "${channel}" did not answer in time; check that the receiver is up.`, {
        details: { channel },
      });
    }
    throw errorFor(
      'CONNECTION_FAILED',
      `Alert channel "${channel}" could not connect; check its URL and the network.`,
      {
        cause: err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined,
        details: { channel },
      },
    );
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) {
    throw errorFor('UPSTREAM_ERROR', `Alert channel "${channel}" answered HTTP ${res.status}; check its URL or key.`, {
      details: { channel, status: res.status },
      retryable: res.status >= 500 || res.status === 429,
    });
  }
}

/** Body sent by {@link webhookChannel}: the alert plus `source`. */
export interface WebhookPayload extends Alert {
  source: string;
}

/** Generic webhook: POSTs `{source: "autod", rule, severity, summary, details, dedupeKey, at}`. */
export function webhookChannel(url: string, opts: HttpChannelOptions & { source?: string } = {}): AlertChannel {
  const name = opts.name ?? 'webhook';
  return {
    name,
    send: (alert) => postJson(name, url, { source: opts.source ?? 'autod', ...alert } satisfies WebhookPayload, opts),
  };
}

const SLACK_EMOJI: Record<Alert['severity'], string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/** Slack incoming-webhook message for an alert (`text` plus Block Kit blocks). */
export function slackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  const text = `${SLACK_EMOJI[alert.severity]} [${alert.severity.toUpperCase()}] ${alert.summary}`;
  const fields = Object.entries(alert.details ?? {})
    .slice(0, 10)
    .map(([k, v]) => ({
      type: 'mrkdwn',
      text: `*${k}*\n${typeof v === 'string' ? v : JSON.stringify(v)}`.slice(0, 2000),
    }));
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }];
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `autod · rule \`${alert.rule}\` · ${alert.at}` }],
  });
  return { text, blocks };
}

/** Slack incoming webhook (https://hooks.slack.com/services/…). */
export function slackChannel(webhookUrl: string, opts: HttpChannelOptions = {}): AlertChannel {
  const name = opts.name ?? 'slack';
  return { name, send: (alert) => postJson(name, webhookUrl, slackPayload(alert), opts) };
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** PagerDuty Events API v2 trigger event. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: 'info' | 'warning' | 'error' | 'critical';
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details?: Record<string, unknown>;
  };
}

export function pagerDutyEvent(routingKey: string, alert: Alert, source: string): PagerDutyEvent {
  const event: PagerDutyEvent = {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: alert.dedupeKey.slice(0, 255),
    payload: {
      summary: alert.summary.slice(0, 1024),
      source,
      severity: alert.severity,
      timestamp: alert.at,
      component: 'autod',
      group: 'autod',
      class: alert.rule,
    },
  };
  if (alert.details) event.payload.custom_details = alert.details;
  return event;
}

/** PagerDuty Events API v2 (`trigger` events, dedup_key = the alert's dedupeKey). */
export function pagerDutyChannel(
  routingKey: string,
  opts: HttpChannelOptions & { url?: string; source?: string } = {},
): AlertChannel {
  const name = opts.name ?? 'pagerduty';
  const source = opts.source ?? hostname();
  return {
    name,
    send: (alert) => postJson(name, opts.url ?? PAGERDUTY_EVENTS_URL, pagerDutyEvent(routingKey, alert, source), opts),
  };
}

export interface EmailChannelOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). Default false (STARTTLS when offered). */
  secure?: boolean;
  user?: string;
  pass?: string;
  from: string;
  to: string[];
  /** Never upgrade with STARTTLS (local relays). */
  ignoreTLS?: boolean;
  /** Fail unless STARTTLS succeeds. */
  requireTLS?: boolean;
  /** Connection/greeting/socket timeout (default 10 s). */
  timeoutMs?: number;
  name?: string;
}

export function emailText(alert: Alert): string {
  const lines = [
    alert.summary,
    '',
    `Severity: ${alert.severity}`,
    `Rule: ${alert.rule}`,
    `At: ${alert.at}`,
    `Key: ${alert.dedupeKey}`,
  ];
  if (alert.details && Object.keys(alert.details).length > 0)
    lines.push('', 'Details:', JSON.stringify(alert.details, null, 2));
  return `${lines.join('\n')}\n`;
}

/** nodemailer (39 modules, 0.7 MB of source) is loaded with the first e-mail, not by every process that has alerts. */
const requireMailer = createRequire(import.meta.url);

/** E-mail over SMTP (nodemailer). */
export function emailChannel(smtp: EmailChannelOptions): AlertChannel {
  const name = smtp.name ?? 'email';
  const timeout = smtp.timeoutMs ?? 10_000;
  let transport: Nodemailer.Transporter | undefined;
  const getTransport = (): Nodemailer.Transporter =>
    (transport ??= (requireMailer('nodemailer') as typeof Nodemailer).createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? false,
      ignoreTLS: smtp.ignoreTLS ?? false,
      requireTLS: smtp.requireTLS ?? false,
      auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    }));
  return {
    name,
    async send(alert) {
      if (smtp.to.length === 0) return;
      try {
        await getTransport().sendMail({
          from: smtp.from,
          to: smtp.to.join(', '),
          subject: `[autod] [${alert.severity.toUpperCase()}] ${alert.summary}`.slice(0, 250),
          text: emailText(alert),
        });
      } catch (err) {
        const code = err instanceof Error && 'code' in err ? String(err.code) : 'unknown';
        throw errorFor(
          'CONNECTION_FAILED',
          `Alert channel "${name}" could not send mail (${code}); check the SMTP settings.`,
          {
            details: { channel: name, code },
          },
        );
      }
    },
  };
}
