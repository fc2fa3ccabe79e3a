import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { errorFor } from '@autod/errors';
import { createRuntime } from '@autod/runtime';
import { startServer } from '@autod/server';
import type { CommandContext } from '../context.js';
import type { Runner } from '../main.js';

export interface ServeOptions {
  host?: string;
  port?: string;
  watch?: boolean;
}

/** The built web app of the `@autod/web` package (its `dist` folder), or undefined when it is not built. */
export function webAppDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@autod/web/package.json');
    const dist = join(dirname(pkg), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

/** `autod serve`: the HTTP API until SIGTERM/SIGINT (graceful: in-flight uploads and documents finish first). */
export async function serveCommand(ctx: CommandContext, options: ServeOptions): Promise<number> {
  ctx.useFlags({
    AUTOD_SERVER_HOST: ['--host', options.host],
    AUTOD_SERVER_PORT: ['--port', options.port],
  });
  const config = ctx.config();
  if (!config.server.token) {
    throw errorFor(
      'CFG_INVALID',
      'The HTTP server needs a bearer token: set AUTOD_SERVER_TOKEN (at least 16 characters).',
    );
  }
  // The server logs one JSON line per request to stderr at the configured level (not quiet like other commands).
  const runtime = await createRuntime(config, { logDestination: process.stderr });
  let server;
  try {
    const webDir = webAppDir();
    server = await startServer(runtime, { watch: Boolean(options.watch), ...(webDir ? { webDir } : {}) });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const page = `${server.address}/`;
  const webReady = webAppDir() !== undefined;
  if (ctx.out.json)
    process.stdout.write(
      JSON.stringify({
        event: 'ready',
        address: server.address,
        ...(webReady ? { page } : {}),
        watch: Boolean(options.watch),
      }) + '\n',
    );
  else {
    ctx.out.line(`autod server listening on ${server.address} (API docs: ${server.address}/docs)`);
    if (webReady) ctx.out.line(`Open ${page} in a browser and sign in with the server token (AUTOD_SERVER_TOKEN).`);
    else ctx.out.line('The web app is not built (pnpm --filter @autod/web build); the API works without it.');
    if (options.watch) ctx.out.line(`Watching ${runtime.pipeline.dirs.inbox}`);
    ctx.out.line('Ctrl-C to stop (in-flight uploads and documents finish first).');
  }
  await server.closed;
  if (ctx.out.json) process.stdout.write(JSON.stringify({ event: 'stopped' }) + '\n');
  return 0;
}

/** Adds `autod serve [--host] [--port] [--watch]`. Wire with `addCommands(installServe)`. */
export function installServe(program: Command, run: Runner): void {
  program
    .command('serve')
    .description('run the HTTP API (needs AUTOD_SERVER_TOKEN); --watch also processes files dropped in the inbox')
    .option('--host <host>', 'address to listen on (default AUTOD_SERVER_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default AUTOD_SERVER_PORT or 8080; 0 = any free port)')
    .option('--watch', 'also watch the inbox folder')
    .action((o: ServeOptions) => run((c) => serveCommand(c, o))());
}
