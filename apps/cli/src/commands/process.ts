import { basename } from 'node:path';
import type { Command } from 'commander';
import { discoverFiles, processFiles } from '@autod/pipeline';
import type { DefineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { EXIT_PARTIAL, report } from '../report.js';

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

export const defineProcess: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .option('--concurrency <n>', 'files at the same time (default AUTOD_CONCURRENCY)')
    .action((paths: string[], o: { concurrency?: string }) => run((c) => processCommand(c, paths, o)));
};
