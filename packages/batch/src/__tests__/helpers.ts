import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '@autod/api-client';
import { createDatabase, type Database } from '@autod/db';
import { LocalExtractor, OpenAIExtractor, Pipeline, type Extractor, type PipelineDirs } from '@autod/pipeline';
import { buildTextPdf, tempSqliteUrl, type Emulator } from '@autod/testkit';

export interface Sandbox {
  root: string;
  dirs: PipelineDirs;
  db: Database;
  dbUrl: string;
  cleanup(): Promise<void>;
}

export async function sandbox(dbUrl?: string): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'autod-batch-'));
  const dirs: PipelineDirs = {
    inbox: join(root, 'inbox'),
    processed: join(root, 'processed'),
    failed: join(root, 'failed'),
    duplicates: join(root, 'duplicates'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  const sqlite = dbUrl ? undefined : await tempSqliteUrl();
  const url = dbUrl ?? sqlite!.url;
  const db = await createDatabase({ url });
  await db.migrate.latest();
  return {
    root,
    dirs,
    db,
    dbUrl: url,
    cleanup: async () => {
      await db.close().catch(() => undefined);
      await sqlite?.cleanup();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** `count` distinct one-page text PDFs (plus `duplicates` byte-identical copies of the first ones) in `dir`. */
export async function writeCorpus(dir: string, count: number, duplicates = 0): Promise<string[]> {
  const paths: string[] = [];
  const first: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = await buildTextPdf([
      [
        `Invoice INV-${1000 + i}`,
        `ACME Supplies Ltd`,
        `Date: 2024-03-${String((i % 28) + 1).padStart(2, '0')}`,
        `Total: EUR ${(10 + i).toFixed(2)}`,
      ],
    ]);
    if (first.length < duplicates) first.push(bytes);
    const p = join(dir, `doc-${String(i).padStart(4, '0')}.pdf`);
    await writeFile(p, bytes);
    paths.push(p);
  }
  for (let i = 0; i < duplicates; i++) {
    const p = join(dir, `copy-${String(i).padStart(4, '0')}.pdf`);
    await writeFile(p, first[i]!);
    paths.push(p);
  }
  return paths.sort();
}

export function pipelineFor(sb: Sandbox, extractor: Extractor = new LocalExtractor(), owner?: string): Pipeline {
  return new Pipeline(
    { db: sb.db, extractor },
    {
      dirs: sb.dirs,
      maxFileBytes: 10 * 1024 * 1024,
      leaseMs: 60_000,
      filingTemplate: '{yyyy}/{mm}/{date}_{issuer}_{doc_type}_{sha8}',
      stableFile: false,
      ocr: false,
      ...(owner ? { owner } : {}),
    },
  );
}

export function emulatorClient(emulator: Emulator, extra: { rpm?: number } = {}): ApiClient {
  return new ApiClient({
    apiKey: 'sk-test',
    baseURL: emulator.url,
    model: 'gpt-5-mini',
    timeoutMs: 5000,
    retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 100 },
    breaker: { enabled: false },
    ...(extra.rpm ? { rateLimit: { rpm: extra.rpm } } : {}),
  });
}

export function openaiExtractor(client: ApiClient): Extractor {
  return new OpenAIExtractor(client, 'gpt-5-mini');
}
