import { basename, relative } from 'node:path';
import { discoverFiles, processFiles, type ProcessOutcome, type RunSummary } from '@autod/pipeline';
import type { CommandContext } from '../context.js';
import { formatUsd, paint, renderTable, type Output } from '../output.js';

/** Exit code when the run finished but some files failed or must be retried later. */
export const EXIT_PARTIAL = 3;

export async function processCommand(
  ctx: CommandContext,
  paths: string[],
  opts: { concurrency?: string },
): Promise<number> {
  ctx.useFlags({ AUTOD_CONCURRENCY: ['--concurrency', opts.concurrency] });
  const rt = await ctx.open();
  const { dirs } = rt.pipeline;
  await rt.pipeline.recover();
  const inputs = paths.length > 0 ? paths : [dirs.inbox];
  const files = await discoverFiles(inputs, [dirs.processed, dirs.failed, dirs.duplicates]);
  const started = Date.now();
  const summary = await processFiles(rt.pipeline, files, {
    concurrency: rt.config.processing.concurrency,
    onOutcome: (o, done, total) => {
      const elapsed = (Date.now() - started) / 1000;
      const eta = done > 0 ? ((total - done) * elapsed) / done : 0;
      ctx.out.progress(
        `${done}/${total} files  ${(done / Math.max(elapsed, 0.001)).toFixed(1)}/s  ETA ${eta.toFixed(0)}s  last: ${o.kind} ${basename(o.path)}`,
      );
    },
  });
  ctx.out.endProgress();
  report(ctx.out, summary, ctx.cwd, rt.pipeline.provider);
  const leftBehind = summary.outcomes.some((o) => o.kind === 'skipped' && o.reason === 'incomplete');
  return summary.failed > 0 || summary.retryLater > 0 || leftBehind ? EXIT_PARTIAL : 0;
}

export function report(out: Output, summary: RunSummary, cwd: string, provider: string): void {
  if (out.json) {
    out.data({ provider, ...summary });
    return;
  }
  if (summary.total === 0) {
    out.line('No files to process.');
    return;
  }
  const rows = summary.outcomes.map((o) => [basename(o.path), label(o), where(o, cwd)]);
  out.line(renderTable(['file', 'result', 'where / why'], rows));
  out.line();
  out.line(
    `${summary.total} files: ${paint('green', `${summary.processed} processed`)}, ${summary.duplicates} duplicates, ` +
      `${summary.failed > 0 ? paint('red', `${summary.failed} failed`) : '0 failed'}, ${summary.retryLater} to retry, ` +
      `${summary.skipped} skipped — provider ${provider}, cost ${formatUsd(summary.costUsd)}`,
  );
}

function label(o: ProcessOutcome): string {
  switch (o.kind) {
    case 'processed':
      return paint('green', 'processed');
    case 'duplicate':
      return paint('yellow', 'duplicate');
    case 'failed':
      return paint('red', `failed ${o.error.code}`);
    case 'retry_later':
      return paint('yellow', `retry later ${o.error.code}`);
    case 'skipped':
      return `skipped (${o.reason})`;
  }
}

function where(o: ProcessOutcome, cwd: string): string {
  switch (o.kind) {
    case 'processed':
      return `${relative(cwd, o.destination)}${o.title ? `  "${o.title}"` : ''}`;
    case 'duplicate':
      return `${relative(cwd, o.destination)} (same as document #${o.documentId})`;
    case 'failed':
      return `${relative(cwd, o.destination)}: ${o.error.message}`;
    case 'retry_later':
      return `${o.error.message} (waiting; next try ${o.retryAt})`;
    case 'skipped':
      return o.reason === 'incomplete' ? 'still being written; left in the inbox for the next run' : '';
  }
}
