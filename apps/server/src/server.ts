import type { Runtime } from '@autod/runtime';
import { buildApp, type BuildAppOptions } from './app.js';
import type { AutodApp } from './context.js';

export interface StartServerOptions extends BuildAppOptions {
  /** Default `config.server.host` (127.0.0.1). */
  host?: string;
  /** Default `config.server.port`; 0 picks a free port. */
  port?: number;
  /** Close gracefully on SIGTERM/SIGINT (default true); a second signal aborts in-flight processing at once. */
  handleSignals?: boolean;
  /** Close the runtime (database, OCR) after the server (default true). */
  closeRuntime?: boolean;
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
  const app = buildApp(runtime, options);
  await runtime.pipeline.recover();
  await app.listen({ host: options.host ?? config.server.host, port: options.port ?? config.server.port });
  const info = app.server.address();
  const port = typeof info === 'object' && info ? info.port : (options.port ?? config.server.port);
  const host = options.host ?? config.server.host;
  const address = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  runtime.health.markStarted();
  runtime.startMonitoring();
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
