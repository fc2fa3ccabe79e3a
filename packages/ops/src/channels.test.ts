import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAutodError } from '@autod/errors';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertManager, type Alert } from './alerts.js';
import { emailChannel, pagerDutyChannel, slackChannel, webhookChannel } from './channels.js';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

let http: Server;
let base = '';
const received: Received[] = [];

let smtp: SMTPServer;
let smtpPort = 0;
const mails: { from: string; to: string[]; raw: string }[] = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') });
      if (path.startsWith('/fail')) {
        res.writeHead(500).end('nope');
      } else if (path.startsWith('/pd')) {
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success","dedup_key":"x"}');
      } else {
        res.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  smtp = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const sample: Alert = {
  rule: 'cost_daily',
  severity: 'critical',
  summary: 'Daily spend $100.50 crossed the $100.00 level (2025-03-10)',
  details: { totalUsd: 100.5, levelUsd: 100 },
  dedupeKey: 'cost_daily:2025-03-10:100',
  at: '2025-03-10T12:00:00.000Z',
};

const lastAt = (path: string): Received | undefined => received.filter((r) => r.path === path).at(-1);

describe('alert channels against real loopback receivers', () => {
  it('webhook posts the alert as JSON with headers', async () => {
    await webhookChannel(`${base}/hook`, { headers: { authorization: 'Bearer t0k3n-for-test' } }).send(sample);
    const r = lastAt('/hook');
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers.authorization).toBe('Bearer t0k3n-for-test');
    expect(r?.body).toEqual({ source: 'autod', ...sample });
  });

  it('Slack gets text and blocks', async () => {
    await slackChannel(`${base}/services/T000/B000/XXXX`).send(sample);
    const body = lastAt('/services/T000/B000/XXXX')?.body as { text: string; blocks: { type: string }[] };
    expect(body.text).toBe(`:rotating_light: [CRITICAL] ${sample.summary}`);
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    expect(JSON.stringify(body.blocks)).toContain('cost_daily');
  });

  it('PagerDuty gets an Events v2 trigger', async () => {
    await pagerDutyChannel('R0UTINGKEY0123456789', { url: `${base}/pd/v2/enqueue`, source: 'autod-test-host' }).send(
      sample,
    );
    expect(lastAt('/pd/v2/enqueue')?.body).toEqual({
      routing_key: 'R0UTINGKEY0123456789',
      event_action: 'trigger',
      dedup_key: sample.dedupeKey,
      payload: {
        summary: sample.summary,
        source: 'autod-test-host',
        severity: 'critical',
        timestamp: sample.at,
        component: 'autod',
        group: 'autod',
        class: 'cost_daily',
        custom_details: sample.details,
      },
    });
  });

  it('email is delivered to a real SMTP server', async () => {
    const ch = emailChannel({
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      ignoreTLS: true,
      from: 'autod@example.test',
      to: ['ops@example.test', 'oncall@example.test'],
    });
    await ch.send(sample);
    const mail = mails.at(-1);
    expect(mail?.from).toBe('autod@example.test');
    expect(mail?.to).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(mail?.raw).toContain('Subject: [autod] [CRITICAL] Daily spend $100.50 crossed the');
    expect(mail?.raw).toContain('Rule: cost_daily');
  });

  it('HTTP failures become AutodErrors without the URL in the message', async () => {
    const err: unknown = await slackChannel(`${base}/fail/secret-path-token`)
      .send(sample)
      .catch((e: unknown) => e);
    expect(isAutodError(err)).toBe(true);
    expect((err as Error).message).toContain('HTTP 500');
    expect((err as Error).message).not.toContain('secret-path-token');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused: unknown = await webhookChannel(`http://127.0.0.1:${port}/x`)
      .send(sample)
      .catch((e: unknown) => e);
    expect(isAutodError(refused) && refused.code).toBe('CONNECTION_FAILED');
  });

  it('the manager fans out to every channel even when one fails', async () => {
    const before = received.length;
    const m = new AlertManager({
      rules: [],
      channels: [
        webhookChannel(`${base}/fail/hook`),
        webhookChannel(`${base}/fanout`),
        pagerDutyChannel('R0UTINGKEY0123456789', { url: `${base}/pd/fanout` }),
        emailChannel({
          host: '127.0.0.1',
          port: smtpPort,
          ignoreTLS: true,
          from: 'a@example.test',
          to: ['b@example.test'],
        }),
      ],
    });
    const mailsBefore = mails.length;
    expect(await m.fire({ ...sample, dedupeKey: 'fanout' })).toBe('sent');
    const paths = received
      .slice(before)
      .map((r) => r.path)
      .sort();
    expect(paths).toEqual(['/fail/hook', '/fanout', '/pd/fanout']);
    expect(mails.length).toBe(mailsBefore + 1);
  });
});
