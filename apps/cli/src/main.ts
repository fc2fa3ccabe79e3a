import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import type { DocumentFilterDefinition } from '@autod/core';
import { toAutodError } from '@autod/errors';
import type { CommandSetup, CommandSpec, Runner } from './command.js';
import { COMMANDS } from './commands/index.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { createOutput } from './output.js';

export interface MainIO {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** The fields documents are filtered by (flags of list/export/search, and the database's filter). */
  documentFilter?: DocumentFilterDefinition;
  /** The command table (default: every autod command). */
  commands?: readonly CommandSpec[];
}

/** autod's version: the CLI package's (read through the package's own name, so src, dist and the bundle agree). */
function version(): string {
  return (createRequire(import.meta.url)('@autod/cli/package.json') as { version: string }).version;
}

/** The command a command line runs (`help <name>` shows that command's help), skipping the global options. */
function selectedCommand(program: Command, argv: readonly string[]): string | undefined {
  const takesValue = new Set(
    program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter(Boolean)),
  );
  const operands: string[] = [];
  for (let i = 0; i < argv.length && operands.length < 2; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    operands.push(arg);
    if (operands[0] !== 'help') break;
  }
  return operands[0] === 'help' ? operands[1] : operands[0];
}

/**
 * The autod CLI. Returns the process exit code; every error is turned into a message, a hint and an exit code
 * from the error catalogue here, in one place. Only the module of the command that runs is loaded.
 */
export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  let exitCode = 0;
  let ctx: CommandContext | undefined;

  const program = new Command('autod')
    .description('Paper autopilot: file, extract and search scanned documents.')
    .version(version())
    .option('--json', 'machine-readable JSON output')
    .option('-c, --config <file>', 'config file (default ./autod.config.json)')
    .option('--data-dir <dir>', 'data folder (inbox, processed, failed, duplicates, database)')
    .option('--db-url <url>', 'database: SQLite file path or postgres:// URL')
    .option('--provider <name>', 'extraction provider: auto, openai or local (AUTOD_PROVIDER)')
    .option('--log-level <level>', 'log level for stderr logs (AUTOD_LOG_LEVEL)')
    .option('-v, --verbose', 'show logs on stderr')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  // Only a replaced filter definition is handed on to the context (and so to the database and runtime); without one
  // each part uses its own `DOCUMENT_FILTER`, the flags read the CLI's.
  const replacedFilter = io.documentFilter;
  const run: Runner = async (fn) => {
    const opts = program.opts<GlobalOptions>();
    const { CommandContext } = await import('./context.js');
    ctx = new CommandContext(opts, createOutput({ json: Boolean(opts.json) }), env, cwd, {
      ...(replacedFilter ? { documentFilter: replacedFilter } : {}),
    });
    exitCode = await fn(ctx);
  };
  const setup: CommandSetup = {
    run,
    documentFilter: async () => {
      if (replacedFilter) return replacedFilter;
      const { DOCUMENT_FILTER } = await import('./document-filter.js');
      return DOCUMENT_FILTER;
    },
  };

  try {
    const selected = selectedCommand(program, argv);
    for (const spec of io.commands ?? COMMANDS) {
      const cmd = program.command(spec.name).description(spec.summary);
      for (const [name, description, defaultValue] of spec.args ?? []) cmd.argument(name, description, defaultValue);
      if (spec.name === selected) await (await spec.load())(cmd, setup);
    }
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
