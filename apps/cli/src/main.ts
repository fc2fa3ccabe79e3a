import { Command, CommanderError } from 'commander';
import { DOCUMENT_STATUSES } from '@autod/core';
import { toAutodError } from '@autod/errors';
import { CommandContext, type GlobalOptions } from './context.js';
import { createOutput } from './output.js';
import { processCommand } from './commands/process.js';
import { watchCommand } from './commands/watch.js';
import { exportCommand, listCommand, reprocessCommand, showCommand, type ListOptions } from './commands/documents.js';
import { configCommand, costsCommand, doctorCommand, migrateCommand } from './commands/admin.js';
import { demoCommand } from './commands/demo.js';
import { installServe } from './commands/serve.js';
import { installBatch } from './commands/batch.js';
import { installSearch } from './commands/search.js';
import { installReview } from './commands/review.js';

export interface MainIO {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Extra commands other packages contribute (search, batch, worker, serve...). */
export type CommandInstaller = (program: Command, run: Runner) => void;
export type Runner = (fn: (ctx: CommandContext) => Promise<number>) => () => Promise<void>;

const installers: CommandInstaller[] = [];
/** Register more subcommands before main() runs. */
export function addCommands(installer: CommandInstaller): void {
  installers.push(installer);
}

function listFilters(cmd: Command): Command {
  return cmd
    .option('--status <status>', DOCUMENT_STATUSES.join(' | '))
    .option('--category <category>', 'e.g. "Financial & Administrative"')
    .option('--subcategory <subcategory>', 'e.g. Utilities')
    .option('--doc-type <type>', 'document type, e.g. invoice')
    .option('--issuer <text>', 'issuer contains (case-insensitive)')
    .option('--from <date>', 'primary date on or after (YYYY-MM-DD)')
    .option('--to <date>', 'primary date on or before (YYYY-MM-DD)')
    .option('--min-amount <n>', 'total amount at least')
    .option('--max-amount <n>', 'total amount at most')
    .option('--customer <text>', 'customer contains (case-insensitive)')
    .option('--invoice-number <number>', 'exact invoice number')
    .option('--needs-review', 'only documents that need a review');
}

/**
 * The autod CLI. Returns the process exit code; every error is turned into a message, a hint and an exit code
 * from the error catalogue here, in one place.
 */
export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  let exitCode = 0;
  let ctx: CommandContext | undefined;

  const program = new Command('autod')
    .description('Paper autopilot: file, extract and search scanned documents.')
    .version('0.0.0')
    .option('--json', 'machine-readable JSON output')
    .option('-c, --config <file>', 'config file (default ./autod.config.json)')
    .option('--data-dir <dir>', 'data folder (inbox, processed, failed, duplicates, database)')
    .option('--db-url <url>', 'database: SQLite file path or postgres:// URL')
    .option('--provider <name>', 'extraction provider: auto, openai or local (AUTOD_PROVIDER)')
    .option('--log-level <level>', 'log level for stderr logs (AUTOD_LOG_LEVEL)')
    .option('-v, --verbose', 'show logs on stderr')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const run: Runner = (fn) => async () => {
    const opts = program.opts<GlobalOptions>();
    ctx = new CommandContext(opts, createOutput({ json: Boolean(opts.json) }), env, cwd);
    exitCode = await fn(ctx);
  };

  program
    .command('process')
    .description('process files or folders once (default: the inbox)')
    .argument('[paths...]', 'PDF or image files (JPEG, PNG, TIFF, WebP, GIF, AVIF), or folders')
    .option('--concurrency <n>', 'files at the same time (default AUTOD_CONCURRENCY)')
    .action((paths: string[], o: { concurrency?: string }) => run((c) => processCommand(c, paths, o))());
  program
    .command('watch')
    .description('watch the inbox and process new files until stopped')
    .argument('[inbox]', 'folder to watch (default: the configured inbox)')
    .option('--concurrency <n>', 'files at the same time (default AUTOD_CONCURRENCY)')
    .action((inbox: string | undefined, o: { concurrency?: string }) => run((c) => watchCommand(c, inbox, o))());
  listFilters(program.command('list').description('list documents'))
    .option('--limit <n>', 'page size (1..1000)', '50')
    .option('--offset <n>', 'skip this many', '0')
    .action((o: ListOptions) => run((c) => listCommand(c, o))());
  program
    .command('show')
    .description('show one document')
    .argument('<id>', 'document id or sha256')
    .action((id: string) => run((c) => showCommand(c, id))());
  listFilters(program.command('export').description('export documents as JSON or CSV'))
    .option('--format <format>', 'output format: json or csv', 'json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((o: ListOptions & { format?: string; output?: string }) => run((c) => exportCommand(c, o))());
  program
    .command('reprocess')
    .description('extract a document again with the current provider, model and prompt (old attempts are kept)')
    .argument('<id>', 'document id or sha256')
    .option('--force', 'drop the corrections a person made in review (default: they are re-applied)')
    .action((id: string, o: { force?: boolean }) => run((c) => reprocessCommand(c, id, o))());
  program
    .command('costs')
    .description('tokens and dollars spent')
    .option('--by <group>', 'group by: day, month, model or provider', 'day')
    .option('--from <date>', 'from (YYYY-MM-DD)')
    .option('--to <date>', 'to (YYYY-MM-DD)')
    .action((o: { by?: string; from?: string; to?: string }) => run((c) => costsCommand(c, o))());
  program
    .command('doctor')
    .description('check config, database, API key, folders and OCR data')
    .action(() => run((c) => doctorCommand(c))());
  program
    .command('migrate')
    .description('database migrations (documents, vector index and batch tables)')
    .argument('[action]', 'up | down | status', 'up')
    .option('--yes', 'confirm `migrate down` (it drops tables and their data)')
    .action((action: string, o: { yes?: boolean }) => run((c) => migrateCommand(c, action, o))());
  program
    .command('config')
    .description('print the effective configuration (secrets redacted)')
    .action(() => run((c) => configCommand(c))());
  program
    .command('demo')
    .description('process the bundled sample scans in a fresh ./autod-demo folder')
    .option('--dir <dir>', 'demo data folder', 'autod-demo')
    .action((o: { dir?: string }) => run((c) => demoCommand(c, o))());

  installServe(program, run);
  installBatch(program, run);
  installSearch(program, run);
  installReview(program, run);
  for (const install of installers) install(program, run);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // --help / --version exit 0; usage errors 64 (EX_USAGE). Commander already printed the message.
      exitCode = thrown.exitCode === 0 ? 0 : 64;
    } else {
      const error = toAutodError(thrown);
      const json = Boolean(program.opts<GlobalOptions>().json);
      if (json) process.stdout.write(JSON.stringify({ error: error.toJSON() }, null, 2) + '\n');
      else process.stderr.write(`autod: ${error.message}\n  ${error.hint} [${error.code}]\n`);
      if (error.code === 'INTERNAL' && error.cause instanceof Error && !json) {
        process.stderr.write(`${error.cause.stack ?? ''}\n`);
      }
      exitCode = error.exitCode;
    }
  } finally {
    await ctx?.close().catch(() => undefined);
  }
  return exitCode;
}
