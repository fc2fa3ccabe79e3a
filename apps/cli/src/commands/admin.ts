import { access, constants, mkdir, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { redactConfig } from '@autod/config';
import { errorFor, toAutodError } from '@autod/errors';
import type { Runtime } from '@autod/runtime';
import type { DefineCommand } from '../command.js';
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
  const db = await ctx.openDatabase({ migrate: true });
  const day = (s: string, plus = 0) => new Date(Date.parse(`${s}T00:00:00Z`) + plus);
  // The spend ledger: every paid call (extraction and repair answers, failed validations, embeddings, Batch API jobs);
  // a call still in flight, or cut off by a crash, counts at its estimate (pendingUsd).
  const rows = await db.spend.summary({
    groupBy,
    ...(from ? { from: day(from) } : {}),
    // --to is inclusive for people; the repository's bound is exclusive.
    ...(to ? { to: day(to, 86_400_000) } : {}),
  });
  const total = rows.reduce((s, r) => s + r.costUsd, 0);
  const pending = rows.reduce((s, r) => s + r.pendingUsd, 0);
  if (ctx.out.json) {
    ctx.out.data({ groupBy, totalUsd: total, pendingUsd: pending, rows });
    return 0;
  }
  ctx.out.line(
    renderTable(
      [groupBy, 'documents', 'calls', 'input tok', 'cached tok', 'output tok', 'cost'],
      rows.map((r) => [
        r.key,
        r.documents,
        r.calls,
        r.inputTokens,
        r.cachedInputTokens,
        r.outputTokens,
        formatUsd(r.costUsd) + (r.pendingCalls > 0 ? ` (${formatUsd(r.pendingUsd)} estimated)` : ''),
      ]),
    ),
  );
  ctx.out.line(
    `total ${formatUsd(total)}` +
      (pending > 0
        ? ` (${formatUsd(pending)} of it estimated: calls not settled, in flight or cut off by a crash)`
        : ''),
  );
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
  // Only the database: a fresh one has none of the tables the rest of the runtime reads. The schema of every part
  // (documents, vector index, batches) is the runtime's to know.
  const db = await ctx.openDatabase();
  const { migrateSchema, schemaStatus } = await import('@autod/runtime');
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
      const { schemaStatus } = await import('@autod/runtime');
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

export const defineCosts: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .option('--by <group>', 'group by: day, month, model or provider', 'day')
    .option('--from <date>', 'from (YYYY-MM-DD)')
    .option('--to <date>', 'to (YYYY-MM-DD)')
    .action((o: { by?: string; from?: string; to?: string }) => run((c) => costsCommand(c, o)));
};

export const defineDoctor: DefineCommand = (cmd: Command, { run }) => {
  cmd.action(() => run((c) => doctorCommand(c)));
};

export const defineMigrate: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .option('--yes', 'confirm `migrate down` (it drops tables and their data)')
    .action((action: string, o: { yes?: boolean }) => run((c) => migrateCommand(c, action, o)));
};

export const defineConfig: DefineCommand = (cmd: Command, { run }) => {
  cmd.action(() => run((c) => configCommand(c)));
};
