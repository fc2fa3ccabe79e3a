/**
 * Entry of the server's extraction worker thread: its own runtime (database connection, extractor, OCR, vector
 * index) running the one pipeline (`pipeline.processFile`) for the files the server hands over. Results go back as
 * messages (and into the database); the pipeline's events are forwarded for the server's live streams and alerts;
 * its metrics are collected on request for `/metrics`.
 */
import { readlinkSync, write } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { toAutodError } from '@autod/errors';
import { AutodMetrics } from '@autod/ops';
import { createRuntime, type Runtime } from '@autod/runtime';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('the extraction worker runs in a worker thread');

/**
 * Extraction is background work: on Linux this thread (and the threads it starts, e.g. OCR) runs at a lower CPU
 * priority than the HTTP thread, so that on a busy machine health probes and uploads are not queued behind it.
 * `/proc/thread-self` names this thread's id, which `setpriority` accepts. Elsewhere nothing changes.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not Linux, or not allowed: the same priority as the server.
  }
}
lowerPriority();
const init = workerData as WorkerInit;
const send = (message: FromWorker): void => port.postMessage(message);

/** Straight to file descriptor 2, not through the main thread's event loop. */
const stderr = new Writable({
  write(chunk: Buffer, _enc, done) {
    write(2, chunk, (error) => done(error));
  },
});
const discard = new Writable({
  write(_chunk, _enc, done) {
    done();
  },
});

let runtime: Runtime;
try {
  runtime = await createRuntime(init.config, {
    // The server migrated the database before it started this worker: this only finds nothing left to do (and
    // starts the spend meter, as every migrating runtime does).
    logDestination: init.logToStderr ? stderr : discard,
    // Process-wide metrics (CPU, memory, event loop) are the server's own; the worker reports what it does.
    overrides: { metrics: new AutodMetrics({ collectDefault: false }) },
  });
} catch (error) {
  send({ type: 'startFailed', error: toAutodError(error).toJSON() });
  port.close();
  process.exit(1);
}

const running = new Map<number, AbortController>();
runtime.onPipelineEvent((event) => send({ type: 'event', event }));

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'process': {
      const controller = new AbortController();
      running.set(message.id, controller);
      runtime.pipeline
        .processFile(message.path, controller.signal, {
          complete: message.complete,
          ...(message.hashed ? { hashed: message.hashed } : {}),
        })
        .then(
          (outcome) => send({ type: 'outcome', id: message.id, outcome }),
          (error: unknown) => send({ type: 'failed', id: message.id, error: toAutodError(error).toJSON() }),
        )
        .finally(() => running.delete(message.id));
      return;
    }
    case 'abort':
      running.get(message.id)?.abort(new Error(message.reason));
      return;
    case 'metrics':
      void runtime.metrics.snapshot().then((snapshot) => send({ type: 'metrics', id: message.id, snapshot }));
      return;
    case 'close':
      void (async () => {
        for (const c of running.values()) c.abort(new Error('extraction worker closing'));
        await runtime.close().catch(() => undefined);
        send({ type: 'closed', snapshot: await runtime.metrics.snapshot() });
        port.close();
      })();
      return;
  }
});
send({ type: 'ready' });
