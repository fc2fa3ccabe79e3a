import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAutodError } from '@autod/errors';
import { describe, expect, it } from 'vitest';
import { REDACTED, loadConfig, redactConfig, redactSecrets } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'autod-config-redact-'));
const SECRETS = {
  OPENAI_API_KEY: 'sk-live-ABCDEFGHIJKLMNOPQRSTUVWX1234',
  AUTOD_SERVER_TOKEN: 'server-token-0123456789',
  AUTOD_ALERT_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX',
  AUTOD_ALERT_PAGERDUTY_ROUTING_KEY: 'pd-routing-key-R0UT1NG',
  AUTOD_ALERT_EMAIL_SMTP_PASSWORD: 'smtp-pass-word',
};
const env = {
  ...SECRETS,
  AUTOD_DB_URL: 'postgres://autod:db%2Fpa55@db.internal:5432/autod',
  AUTOD_REDIS_URL: 'redis://:redis-pa55@cache:6379/0',
  AUTOD_ALERT_WEBHOOK_URL: 'https://bot:hook-pa55@alerts.example.com/hook',
};
const config = loadConfig({ env, cwd: dir, envFile: false });
const leaked = (text: string): string[] =>
  [...Object.values(SECRETS), 'db%2Fpa55', 'db/pa55', 'redis-pa55', 'hook-pa55'].filter((s) => text.includes(s));

describe('redactConfig', () => {
  it('replaces every secret with ***set*** and URL passwords with ***', () => {
    const printed = redactConfig(config);
    const text = JSON.stringify(printed);
    expect(leaked(text)).toEqual([]);
    expect(printed).toMatchObject({
      openai: { apiKey: REDACTED },
      server: { token: REDACTED },
      alerts: {
        slackWebhookUrl: REDACTED,
        pagerdutyRoutingKey: REDACTED,
        webhookUrl: 'https://bot:***@alerts.example.com/hook',
        email: { smtpPassword: REDACTED },
      },
      db: { url: 'postgres://autod:***@db.internal:5432/autod', client: 'postgres' },
      redis: { url: 'redis://:***@cache:6379/0' },
    });
    // the config itself is untouched
    expect(config.openai.apiKey).toBe(SECRETS.OPENAI_API_KEY);
  });

  it('leaves unset secrets absent', () => {
    const printed = redactConfig(loadConfig({ env: {}, cwd: dir, envFile: false })) as {
      openai: Record<string, unknown>;
    };
    expect('apiKey' in printed.openai).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('removes secret values and URL passwords from free text', () => {
    const text = `calling with ${SECRETS.OPENAI_API_KEY}; smtp ${SECRETS.AUTOD_ALERT_EMAIL_SMTP_PASSWORD}; url ${env.AUTOD_DB_URL}; raw db/pa55; redis-pa55 and ${SECRETS.AUTOD_ALERT_SLACK_WEBHOOK_URL}`;
    const out = redactSecrets(text, config);
    expect(leaked(out)).toEqual([]);
    expect(out).toContain('calling with ***;');
    expect(out).toContain('postgres://autod:***@db.internal');
  });

  it('leaves text without secrets alone', () => {
    expect(redactSecrets('nothing to see', config)).toBe('nothing to see');
  });
});

describe('errors never carry secrets', () => {
  it('shows *** for invalid secrets and redacts URL passwords in got', () => {
    try {
      loadConfig({
        env: {
          OPENAI_API_KEY: 'sk-short-secret',
          AUTOD_SERVER_TOKEN: 'tiny-token',
          AUTOD_REDIS_URL: 'http://:redis-pa55@cache:6379',
          AUTOD_ALERT_SLACK_WEBHOOK_URL: 'not a url XXXXSECRETXXXX',
        },
        cwd: dir,
        envFile: false,
      });
      expect.unreachable();
    } catch (error) {
      expect(isAutodError(error)).toBe(true);
      if (!isAutodError(error)) return;
      const text = `${error.message}\n${JSON.stringify(error.toJSON())}`;
      for (const s of ['sk-short-secret', 'tiny-token', 'redis-pa55', 'XXXXSECRETXXXX']) expect(text).not.toContain(s);
      expect(error.message).toContain('OPENAI_API_KEY: is too short');
      expect(error.message).toContain('AUTOD_SERVER_TOKEN: must be at least 16 characters (got ***)');
      expect(error.message).toContain(
        'AUTOD_REDIS_URL: must be a redis:// or rediss:// URL (got "http://:***@cache:6379")',
      );
    }
  });
});
