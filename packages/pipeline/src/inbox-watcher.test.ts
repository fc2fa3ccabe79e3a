import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@autod/db';
import { errorFor } from '@autod/errors';
import { buildTextPdf } from '@autod/testkit';
import { LocalExtractor, type Extractor } from './extractor.js';
import { InboxWatcher } from './inbox-watcher.js';
import type { ProcessOutcome } from './outcome.js';
import { Pipeline } from './pipeline.js';

let root: string;
let db: Database;
const inbox = () => join(root, 'inbox');

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'autod-watcher-'));
  for (const d of ['inbox', 'processed', 'failed', 'duplicates']) await mkdir(join(root, d), { recursive: true });
  db = await createDatabase({ url: join(root, 'autod.sqlite') });
  await db.migrate.latest();
});

afterEach(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

function pipeline(extractor: Extractor): Pipeline {
  return new Pipeline(
    { db, extractor },
    {
      dirs: {
        inbox: inbox(),
        processed: join(root, 'processed'),
        failed: join(root, 'failed'),
        duplicates: join(root, 'duplicates'),
      },
      maxFileBytes: 10 * 1024 * 1024,
      leaseMs: 60_000,
      filingTemplate: '{sha8}',
      ocr: false,
    },
  );
}

const stable = { intervalMs: 20, stableReads: 2, maxWaitMs: 5000 };

/** Resolves once `predicate` holds for the outcomes seen so far. */
function collector() {
  const outcomes: ProcessOutcome[] = [];
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  return {
    outcomes,
    push(o: ProcessOutcome) {
      outcomes.push(o);
      for (const w of waiters.filter((x) => x.test())) w.resolve();
    },
    until(test: () => boolean): Promise<void> {
      if (test()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

const name = (o: ProcessOutcome) => o.path.split('/').pop();

describe('InboxWatcher', () => {
  it('no head-of-line blocking: fast files are done while a slow one runs, even with one slot', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const extractor: Extractor = {
      provider: 'local',
      model: 'x',
      needsOcr: false,
      extract: async (input) => {
        if (input.fileName === 'slow.pdf') await gate;
        return new LocalExtractor().extract(input);
      },
    };
    const seen = collector();
    const watcher = new InboxWatcher(pipeline(extractor), inbox(), {
      concurrency: 1,
      slowAfterMs: 20,
      stableFile: stable,
      onOutcome: (o) => seen.push(o),
    });
    await watcher.start();
    try {
      await writeFile(join(inbox(), 'slow.pdf'), await buildTextPdf([['slow one', 'Total $1.00']]));
      for (let i = 0; i < 3; i++) await writeFile(join(inbox(), `fast-${i}.pdf`), await buildTextPdf([[`fast ${i}`]]));
      await seen.until(() => seen.outcomes.length === 3);
      expect(seen.outcomes.map(name).sort()).toEqual(['fast-0.pdf', 'fast-1.pdf', 'fast-2.pdf']);
      release();
      await seen.until(() => seen.outcomes.length === 4);
      expect(seen.outcomes.map((o) => o.kind)).toEqual(['processed', 'processed', 'processed', 'processed']);
      expect(name(seen.outcomes[3]!)).toBe('slow.pdf');
    } finally {
      release();
      await watcher.stop();
    }
  });

  it('waits for a half-written file (a copy that pauses) and processes it once complete', async () => {
    const seen = collector();
    const watcher = new InboxWatcher(pipeline(new LocalExtractor()), inbox(), {
      concurrency: 2,
      stableFile: stable,
      incompleteRetryDelayMs: 50,
      onOutcome: (o) => seen.push(o),
    });
    await watcher.start();
    try {
      const bytes = await buildTextPdf([['INVOICE', 'Acme', 'Total $12.00']]);
      const half = Math.floor(bytes.length / 2);
      await writeFile(join(inbox(), 'scan.pdf'), bytes.subarray(0, half));
      await seen.until(() => seen.outcomes.some((o) => o.kind === 'skipped' && o.reason === 'incomplete'));
      await appendFile(join(inbox(), 'scan.pdf'), bytes.subarray(half));
      await seen.until(() => seen.outcomes.some((o) => o.kind === 'processed'));
      expect(seen.outcomes.filter((o) => o.kind === 'failed')).toEqual([]);
      expect((await db.documents.list()).items.map((d) => [d.fileName, d.status])).toEqual([['scan.pdf', 'completed']]);
    } finally {
      await watcher.stop();
    }
  });

  it('retries a deferred file when its retryAt comes (the breaker cool-down), not after a long backoff', async () => {
    let refusals = 1;
    const extractor: Extractor = {
      provider: 'openai',
      model: 'm',
      needsOcr: false,
      extract: async (input) => {
        if (refusals-- > 0) throw errorFor('CIRCUIT_OPEN', 'breaker open', { retryAfterMs: 30 });
        return new LocalExtractor().extract(input);
      },
    };
    const seen = collector();
    const watcher = new InboxWatcher(pipeline(extractor), inbox(), {
      concurrency: 1,
      stableFile: stable,
      retryDelayMs: 10 * 60_000, // a backoff this test would never wait for
      onOutcome: (o) => seen.push(o),
    });
    await watcher.start();
    try {
      await writeFile(join(inbox(), 'bill.pdf'), await buildTextPdf([['bill', 'Total $3.00']]));
      await seen.until(() => seen.outcomes.some((o) => o.kind === 'processed'));
      expect(seen.outcomes.map((o) => o.kind)).toEqual(['retry_later', 'processed']);
    } finally {
      await watcher.stop();
    }
  });
});
