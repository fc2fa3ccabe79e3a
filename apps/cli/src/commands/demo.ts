import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { DefineCommand } from '../command.js';
import { CommandContext } from '../context.js';
import type { Output } from '../output.js';
import { processCommand } from './process.js';
import { listCommand } from './documents.js';

/** The bundled sample scans (apps/cli/samples/inbox), found from the package root (src, dist or a bundle chunk alike). */
export const SAMPLES_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@autod/cli/package.json')),
  'samples/inbox',
);

/**
 * `autod demo`: a fresh demo data folder, the bundled sample PDFs copied into its inbox, one processing run,
 * then the resulting document list. Works without an API key (local provider).
 */
export async function demoCommand(ctx: CommandContext, o: { dir?: string }): Promise<number> {
  const dataDir = resolve(ctx.cwd, o.dir ?? ctx.options.dataDir ?? 'autod-demo');
  await rm(dataDir, { recursive: true, force: true });
  const inbox = join(dataDir, 'inbox');
  await mkdir(inbox, { recursive: true });
  const samples = (await readdir(SAMPLES_DIR)).filter((f) => f.toLowerCase().endsWith('.pdf'));
  for (const f of samples) await cp(join(SAMPLES_DIR, f), join(inbox, f));
  // With --json the steps' documents are collected and printed as one: {dataDir, provider, process, documents}.
  const parts: unknown[] = [];
  const out: Output = ctx.out.json ? { ...ctx.out, data: (value) => void parts.push(value) } : ctx.out;
  const demo = new CommandContext({ ...ctx.options, dataDir }, out, ctx.env, ctx.cwd, {
    overrides: { AUTOD_DB_URL: join(dataDir, 'autod.sqlite') },
    ...(ctx.documentFilter ? { documentFilter: ctx.documentFilter } : {}),
  });
  try {
    const config = demo.config({ AUTOD_DATA_DIR: dataDir });
    ctx.out.line(`autod demo: ${samples.length} sample scans -> ${inbox} (provider: ${config.app.provider})\n`);
    const code = await processCommand(demo, [inbox], {});
    ctx.out.line('\nWhat is in the database now (autod list):\n');
    await listCommand(demo, {});
    ctx.out.line(`\nFiled under ${join(dataDir, 'processed')}. Try: ./autod show 1 --data-dir ${dataDir}`);
    const token = randomBytes(16).toString('hex');
    const port = demo.config({ AUTOD_DATA_DIR: dataDir }).server.port;
    ctx.out.line('\nSee them in the browser (the web app):');
    ctx.out.line(`  AUTOD_SERVER_TOKEN=${token} ./autod serve --data-dir ${dataDir}`);
    ctx.out.line(`  then open http://127.0.0.1:${port}/ and sign in with that token.`);
    if (ctx.out.json) {
      ctx.out.data({ dataDir, inbox, provider: config.app.provider, process: parts[0], documents: parts[1] });
    }
    return code;
  } finally {
    await demo.close();
  }
}

export const defineDemo: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .option('--dir <dir>', 'demo data folder', 'autod-demo')
    .action((o: { dir?: string }) => run((c) => demoCommand(c, o)));
};
