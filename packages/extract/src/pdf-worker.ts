/**
 * `node:worker_threads` entry of the PDF pool (see `pdf.ts`). From `dist/` it loads the compiled
 * `pdf-engine.js`; under vitest the pool starts it as `src/pdf-worker.ts` and Node strips the types
 * itself, so it loads `pdf-engine.ts` (which is written to allow that: no relative imports).
 * One document at a time: `read` opens it and returns the page texts (and keeps it open for
 * `render` requests when `keepOpen`), `close` destroys it.
 */
import { parentPort } from 'node:worker_threads';

import type * as EngineModule from './pdf-engine.js';
import type { OpenedPdf, PdfWorkerReply as Reply, PdfWorkerRequest as Request } from './pdf-engine.js';

type Engine = typeof EngineModule;

const engine = (await import(import.meta.url.endsWith('.ts') ? './pdf-engine.ts' : './pdf-engine.js')) as Engine;
const port = parentPort;
if (!port) throw new Error('pdf-worker must run in a worker thread');

let current: OpenedPdf | undefined;

async function closeCurrent(): Promise<void> {
  const c = current;
  current = undefined;
  await c?.destroy().catch(() => undefined);
}

async function handle(msg: Request): Promise<{ reply: Reply; transfer?: ArrayBuffer[] }> {
  switch (msg.op) {
    case 'read': {
      await closeCurrent();
      try {
        const opened = await engine.openPdf(msg.bytes, msg.forRendering);
        current = opened;
        const result = await engine.readTexts(opened.doc, msg.maxPages, undefined, msg.geometry === true);
        if (!msg.keepOpen) await closeCurrent();
        // Embedded files are moved, not copied, across the thread boundary.
        const transfer = (result.attachments ?? []).map((a) => a.bytes.buffer as ArrayBuffer);
        return { reply: { op: 'texts', result }, transfer };
      } catch (e) {
        await closeCurrent();
        return { reply: { op: 'error', error: engine.serializeError(e, 'open') } };
      }
    }
    case 'render': {
      if (!current)
        return { reply: { op: 'error', error: { stage: 'render', name: 'Error', message: 'no open document' } } };
      try {
        const page = await engine.renderPage(current.doc, msg.page, msg.scale, msg.maxPixels, msg.native);
        return { reply: { op: 'png', page }, transfer: [page.png.buffer as ArrayBuffer] };
      } catch (e) {
        return { reply: { op: 'error', error: engine.serializeError(e, 'render') } };
      }
    }
    case 'close':
      await closeCurrent();
      return { reply: { op: 'closed' } };
  }
}

port.on('message', (msg: Request) => {
  void handle(msg).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer ?? []),
    (e: unknown) => port.postMessage({ op: 'error', error: engine.serializeError(e, 'other') } satisfies Reply),
  );
});
port.postMessage({ op: 'ready' } satisfies Reply);
