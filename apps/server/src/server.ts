import { errorFor } from '@autod/errors';
import type { Runtime } from '@autod/runtime';
import { buildApp, type BuildAppOptions } from './app.js';
import type { AutodApp } from './context.js';
import { giveOldGenerationHeadroom } from './memory/old-generation-headroom.js';

export interface StartServerOptions extends BuildAppOptions {
  /** Default `config.server.host` (127.0.0.1). */
  host?: string;
  /** Default `config.server.port`; 0 picks a free port. */
  port?: number;
  /** Close gracefully on SIGTERM/SIGINT (default true); a second signal aborts in-flight processing at once. */
  handleSignals?: boolean;
  /** Close the runtime (database, OCR) after the server (default true). */
  closeRuntime?: boolean;
  /**
   * Give V8's old generation more room before a full collection once the server has started (default true; see
   * `giveOldGenerationHeadroom`): process-wide, so an embedder that shares the process with other work may turn it off.
   */
  oldGenerationHeadroom?: boolean;
}

export interface RunningServer {
  app: AutodApp;
  /** e.g. `http://127.0.0.1:8080` */
  address: string;
  port: number;
  /** Graceful stop: no new requests, in-flight requests and background processing finish (bounded), runtime closed. */
  close(): Promise<void>;
  /** Resolves once the server has been closed (by `close()` or a signal). */
  readonly closed: Promise<void>;
}

/** Recover interrupted work, listen, mark the runtime started, and stop gracefully on SIGTERM/SIGINT. */
export async function startServer(runtime: Runtime, options: StartServerOptions = {}): Promise<RunningServer> {
  const { config, logger } = runtime;
  // `autod serve` processes uploads in a worker thread (off the HTTP event loop), logging to stderr like the server.
  const app = buildApp(runtime, {
    ...options,
    extraction: { workers: 1, logToStderr: true, ...options.extraction },
  });
  await runtime.pipeline.recover();
  const wantedHost = options.host ?? config.server.host;
  const wantedPort = options.port ?? config.server.port;
  try {
    await app.listen({ host: wantedHost, port: wantedPort });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw listenError(error, wantedHost, wantedPort);
  }
  const info = app.server.address();
  const port = typeof info === 'object' && info ? info.port : (options.port ?? config.server.port);
  const host = options.host ?? config.server.host;
  const address = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  runtime.health.markStarted();
  runtime.startMonitoring();
  if (options.oldGenerationHeadroom !== false) {
    const heap = giveOldGenerationHeadroom();
    logger.debug(heap, heap.set ? 'V8 heap growing percentage set' : 'V8 heap left as configured');
  }
  logger.info({ address, watch: options.watch ?? false }, 'autod server listening');

  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: aborting in-flight processing');
      app.autod.work.abort();
      return;
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests and documents');
    void close();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await app.close();
        if (options.closeRuntime !== false) await runtime.close();
        logger.info({}, 'autod server stopped');
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolveClosed();
      }
    })();
    return closing;
  };
  if (options.handleSignals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { app, address, port, close, closed };
}

/** "Address in use" and "not allowed" name the address and the setting to change, instead of a bug report. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return errorFor(
      'CFG_PORT_IN_USE',
      `Port ${port} on ${host} is already in use by another program; stop it, or start autod on another port with --port or AUTOD_SERVER_PORT.`,
      { cause: error, details: { host, port } },
    );
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return errorFor(
      'CFG_INVALID',
      code === 'EACCES'
        ? `Not allowed to listen on port ${port} (ports below 1024 need privileges); choose another with --port or AUTOD_SERVER_PORT.`
        : `${host} is not an address of this machine; set AUTOD_SERVER_HOST (or --host) to one of its addresses, e.g. 127.0.0.1.`,
      { cause: error, details: { host, port } },
    );
  }
  return error;
}
