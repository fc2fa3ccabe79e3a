import { access, constants, mkdir, stat } from 'node:fs/promises';
import { redactConfig } from '@autod/config';
import { errorFor, toAutodError } from '@autod/errors';
import { migrateSchema, schemaStatus, type Runtime } from '@autod/runtime';
import type { CommandContext } from '../context.js';
import { choiceFlag, dateFlag } from '../flags.js';
import { formatUsd, paint, renderTable } from '../output.js';

export async function costsCommand(
  ctx: CommandContext,
  o: { by?: string; from?: string; to?: string },
): Promise<number> {
  const groupBy = choiceFlag(o.by, '--by', ['day', 'month', 'model', 'provider'] as const) ?? 'day';
  const from = dateFlag(o.from, '--from');
  const to = dateFlag(o.to, '--to');
  const rt = await ctx.open();
  const day = (s: string, plus = 0) => new Date(Date.parse(`${s}T00:00:00Z`) + plus);
  const rows = await rt.db.attempts.costSummary({
    groupBy,
    ...(from ? { from: day(from) } : {}),
    // --to is inclusive for people; the repository's bound is exclusive.
    ...(to ? { to: day(to, 86_400_000) } : {}),
  });
  const total = rows.reduce((s, r) => s + r.costUsd, 0);
  if (ctx.out.json) {
    ctx.out.data({ groupBy, totalUsd: total, rows });
    return 0;
  }
  ctx.out.line(
    renderTable(
      [groupBy, 'documents', 'input tok', 'cached tok', 'output tok', 'cost'],
      rows.map((r) => [r.key, r.documents, r.inputTokens, r.cachedInputTokens, r.outputTokens, formatUsd(r.costUsd)]),
    ),
  );
  ctx.out.line(`total ${formatUsd(total)}`);
  return 0;
}

export async function migrateCommand(
  ctx: CommandContext,
  action: string | undefined,
  o: { yes?: boolean } = {},
): Promise<number> {
  const act = choiceFlag(action, 'migrate <action>', ['up', 'latest', 'down', 'rollback', 'status'] as const) ?? 'up';
  if ((act === 'down' || act === 'rollback') && !o.yes) {
    throw errorFor(
      'VALIDATION_FAILED',
      'migrate down drops the tables of the last migration batch and their data (for the first batch: every document); back the database up, then run `autod migrate down --yes`.',
    );
  }
  // Only the database: a fresh one has none of the tables the rest of the runtime reads.
  const db = await ctx.openDatabase();
  if (act === 'up' || act === 'latest') {
    const applied = await migrateSchema(db);
    if (ctx.out.json) ctx.out.data({ applied });
    else
      ctx.out.line(
        applied.length ? `applied: ${applied.map((m) => `${m.set}/${m.name}`).join(', ')}` : 'already up to date',
      );
  } else if (act === 'down' || act === 'rollback') {
    const reverted = await db.migrate.rollback();
    if (ctx.out.json) ctx.out.data({ reverted });
    else ctx.out.line(reverted.length ? `reverted: ${reverted.join(', ')}` : 'nothing to revert');
  } else {
    const status = await schemaStatus(db);
    if (ctx.out.json) ctx.out.data({ migrations: status });
    else
      ctx.out.line(
        renderTable(
          ['part', 'migration', 'applied'],
          status.map((s) => [s.set, s.name, s.applied ? 'yes' : 'no']),
        ),
      );
  }
  return 0;
}

export async function configCommand(ctx: CommandContext): Promise<number> {
  const config = ctx.config();
  const redacted = redactConfig(config);
  if (ctx.out.json) ctx.out.data(redacted);
  else ctx.out.line(JSON.stringify(redacted, null, 2));
  return 0;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fatal: boolean;
}

/** Checks config, DB, API key, folders and OCR data; exits non-zero when something fatal is wrong. */
export async function doctorCommand(ctx: CommandContext): Promise<number> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, fatal = true) => checks.push({ name, ok, detail, fatal });
  let documents: Awaited<ReturnType<Runtime['documentCounts']>> | undefined;
  let config;
  try {
    config = ctx.config();
    add('config', true, `provider ${config.app.provider}`);
  } catch (error) {
    add('config', false, toAutodError(error).message);
  }
  if (config) {
    for (const [name, dir] of Object.entries(config.paths)) {
      if (typeof dir !== 'string' || name === 'fileNameTemplate') continue;
      try {
        await mkdir(dir, { recursive: true });
        await access(dir, constants.R_OK | constants.W_OK);
        add(`folder ${name}`, (await stat(dir)).isDirectory(), dir);
      } catch (error) {
        add(`folder ${name}`, false, `${dir}: ${(error as Error).message}`);
      }
    }
    try {
      const rt = await ctx.open();
      await rt.db.ping();
      const status = await schemaStatus(rt.db);
      const pending = status.filter((s) => !s.applied).length;
      add('database', pending === 0, `${rt.db.dialect}, ${status.length} migrations, ${pending} pending`);
      if (config.app.provider === 'openai') {
        add(
          'api key',
          Boolean(config.openai.apiKey),
          config.openai.apiKey ? 'set (hidden)' : 'OPENAI_API_KEY is not set',
        );
        try {
          await rt.checkUpstream();
          add('upstream', true, config.openai.baseUrl ?? 'https://api.openai.com/v1');
        } catch (error) {
          add('upstream', false, toAutodError(error).message, false);
        }
      } else {
        add('api key', true, 'not needed (local provider)', false);
      }
      const ocr = await rt.checkOcr();
      add('ocr', ocr.ok, ocr.detail, false);
      const counts = await rt.documentCounts();
      documents = counts;
      add(
        'documents',
        true,
        `${counts.completed} completed, ${counts.waiting} waiting, ${counts.failed} failed, ${counts.processing} processing`,
        false,
      );
      add(
        'search index',
        counts.unindexed === 0,
        counts.unindexed === 0
          ? 'every completed document is indexed'
          : `${counts.unindexed} completed documents are not indexed yet (watch/serve index them within minutes, or run autod process)`,
        false,
      );
      if (counts.waiting > 0)
        add('waiting', false, `${counts.waiting} documents wait for a retry: autod list --status waiting`, false);
      if (counts.failed > 0)
        add('failed', false, `${counts.failed} documents failed: autod list --status failed`, false);
    } catch (error) {
      add('database', false, toAutodError(error).message);
    }
  }
  const failed = checks.filter((c) => !c.ok && c.fatal);
  if (ctx.out.json) {
    ctx.out.data({ ok: failed.length === 0, checks, ...(documents ? { documents } : {}) });
  } else {
    for (const c of checks)
      ctx.out.line(
        `${c.ok ? paint('green', 'ok  ') : paint(c.fatal ? 'red' : 'yellow', c.fatal ? 'FAIL' : 'warn')} ${c.name.padEnd(18)} ${c.detail}`,
      );
  }
  return failed.length === 0 ? 0 : 78;
}

export { formatUsd };
