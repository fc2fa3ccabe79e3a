import { InboxWatcher } from '@autod/pipeline';
import { resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { CommandContext } from '../context.js';

/** Watch the inbox until SIGINT/SIGTERM; in-flight files finish (or are released) before exit. */
export async function watchCommand(
  ctx: CommandContext,
  inbox: string | undefined,
  opts: { concurrency?: string },
): Promise<number> {
  ctx.useFlags({ AUTOD_CONCURRENCY: ['--concurrency', opts.concurrency] });
  const rt = await ctx.open();
  const dir = inbox ? resolve(ctx.cwd, inbox) : rt.pipeline.dirs.inbox;
  await mkdir(dir, { recursive: true });
  await rt.pipeline.recover();
  const watcher = new InboxWatcher(rt.pipeline, dir, {
    concurrency: rt.config.processing.concurrency,
    logger: rt.logger,
    stableFile: {
      intervalMs: rt.config.watch.pollMs,
      stableReads: Math.ceil(rt.config.watch.stableMs / rt.config.watch.pollMs) + 1,
      maxWaitMs: 10 * 60_000,
    },
    onOutcome: (o) => {
      if (ctx.out.json) process.stdout.write(JSON.stringify({ event: 'outcome', ...o }) + '\n');
      else
        ctx.out.line(
          `${new Date().toISOString()}  ${o.kind.padEnd(11)} ${o.path}${'destination' in o ? ` -> ${o.destination}` : ''}`,
        );
    },
  });
  await watcher.start();
  rt.startMonitoring();
  ctx.out.line(`Watching ${dir} (Ctrl-C to stop)`);
  if (ctx.out.json) process.stdout.write(JSON.stringify({ event: 'ready', inbox: dir }) + '\n');
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      ctx.out.error(`${signal}: finishing in-flight files...`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveStop();
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await watcher.stop();
  return 0;
}
