import { Option, type Command } from 'commander';
import type { DocumentMetadata } from '@autod/core';
import { errorFor } from '@autod/errors';
import type { Runtime } from '@autod/runtime';
import type { CommandContext } from '../context.js';
import type { Runner } from '../main.js';
import { renderTable } from '../output.js';

/** Filters of `autod search` (names as in @autod/vector-store's SearchFilter and @autod/db's DocumentFilter). */
interface SearchFilter {
  category?: string;
  docType?: string;
  issuer?: string;
  from?: string;
  to?: string;
  minAmount?: number;
  maxAmount?: number;
}

type Mode = 'fulltext' | 'vector' | 'hybrid';

interface Hit {
  id: number;
  rank: number;
  score: number;
  similarity: number | null;
  textScore: number | null;
  snippet: string;
  matchedBy: string[];
  page: number | null;
  title: string | null;
  category: string | null;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
}

interface IndexDoc {
  id: number;
  sha256: string;
  metadata: DocumentMetadata;
  text: string;
  path?: string;
}

/** What this command needs of `@autod/vector-store`'s VectorIndex (the runtime exposes it as `vectorIndex`). */
interface SearchIndex {
  search(
    query: string,
    options: { mode?: Mode; filter?: SearchFilter; limit?: number; minSimilarity?: number },
  ): Promise<{ query: string; mode: Mode; backend: string; hits: Hit[]; tookMs: number }>;
  reindex(
    docs: AsyncIterable<IndexDoc>,
    options?: { batchSize?: number; onProgress?: (done: number) => void },
  ): Promise<{
    indexed: number;
    failed: { id: number; error: string }[];
    chunks: number;
    trained: boolean;
    tookMs: number;
    cache: { requests: number; memoryHits: number; dbHits: number; misses: number; hitRate: number };
  }>;
}

export interface SearchCommandOptions {
  mode?: string;
  category?: string;
  docType?: string;
  issuer?: string;
  from?: string;
  to?: string;
  minAmount?: string;
  maxAmount?: string;
  limit?: string;
  minSimilarity?: string;
}

function vectorIndexOf(rt: Runtime): SearchIndex | undefined {
  return (rt as unknown as { vectorIndex?: SearchIndex }).vectorIndex ?? undefined;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function num(s: string | undefined, name: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n))
    throw errorFor('VALIDATION_FAILED', `--${name} must be a number (got ${s}).`);
  return n;
}

export function searchFilterFrom(o: SearchCommandOptions): SearchFilter {
  for (const [flag, value] of [
    ['from', o.from],
    ['to', o.to],
  ] as const) {
    if (value !== undefined && !DATE.test(value))
      throw errorFor('VALIDATION_FAILED', `--${flag} must be a date YYYY-MM-DD (got ${value}).`);
  }
  const minAmount = num(o.minAmount, 'min-amount');
  const maxAmount = num(o.maxAmount, 'max-amount');
  return {
    ...(o.category ? { category: o.category } : {}),
    ...(o.docType ? { docType: o.docType } : {}),
    ...(o.issuer ? { issuer: o.issuer } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
    ...(minAmount !== undefined ? { minAmount } : {}),
    ...(maxAmount !== undefined ? { maxAmount } : {}),
  };
}

export async function searchCommand(ctx: CommandContext, query: string, o: SearchCommandOptions): Promise<number> {
  if (!query.trim())
    throw errorFor('VALIDATION_FAILED', 'Give a search text, e.g. autod search "water bill from March".');
  const mode = (o.mode ?? 'hybrid') as Mode;
  const limit = num(o.limit, 'limit') ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw errorFor('VALIDATION_FAILED', `--limit must be an integer in 1..100 (got ${o.limit}).`);
  const minSimilarity = num(o.minSimilarity, 'min-similarity');
  const filter = searchFilterFrom(o);
  const rt = await ctx.open();
  const index = vectorIndexOf(rt);

  let result: { query: string; mode: Mode; backend: string; hits: Hit[]; tookMs: number };
  if (index) {
    result = await index.search(query, {
      mode,
      filter,
      limit,
      ...(minSimilarity !== undefined ? { minSimilarity } : {}),
    });
  } else if (mode === 'fulltext') {
    // No vector index wired: plain full-text search in the database.
    const started = performance.now();
    const found = await rt.db.documents.search(query, { limit, filter: { status: 'completed', ...filter } });
    const hits: Hit[] = [];
    for (const [i, h] of found.entries()) {
      const d = await rt.db.documents.get(h.id);
      hits.push({
        id: h.id,
        rank: i + 1,
        score: h.score,
        similarity: null,
        textScore: h.score,
        snippet: h.snippet,
        matchedBy: ['fulltext'],
        page: null,
        title: d?.title ?? null,
        category: d?.category ?? null,
        docType: d?.docType ?? null,
        issuer: d?.issuer ?? null,
        primaryDate: d?.primaryDate ?? null,
        totalAmount: d?.totalAmount ?? null,
      });
    }
    result = { query, mode, backend: 'database', hits, tookMs: performance.now() - started };
  } else {
    throw errorFor(
      'VALIDATION_FAILED',
      `Semantic search (--mode ${mode}) is not available in this build; use --mode fulltext.`,
    );
  }

  if (ctx.out.json) {
    ctx.out.data({ ...result, filter, limit, tookMs: Math.round(result.tookMs * 10) / 10 });
    return 0;
  }
  if (result.hits.length === 0) {
    ctx.out.line(`No documents match "${query}".`);
    return 0;
  }
  ctx.out.line(
    renderTable(
      ['#', 'id', 'score', 'date', 'issuer', 'type', 'amount', 'title'],
      result.hits.map((h) => [
        h.rank,
        h.id,
        h.similarity !== null && mode === 'vector' ? h.similarity.toFixed(3) : h.score.toFixed(4),
        h.primaryDate,
        h.issuer,
        h.docType,
        h.totalAmount === null ? '' : h.totalAmount.toFixed(2),
        h.title,
      ]),
    ),
  );
  for (const h of result.hits) if (h.snippet) ctx.out.line(`  ${h.rank}. ${h.snippet}`);
  ctx.out.line(`${result.hits.length} result(s), ${mode} search (${result.backend}), ${result.tookMs.toFixed(1)} ms`);
  return 0;
}

/** Every completed document with its metadata and text, oldest first, paged. */
async function* completedDocuments(rt: Runtime): AsyncGenerator<IndexDoc> {
  let offset = 0;
  for (;;) {
    const { items } = await rt.db.documents.list({
      status: 'completed',
      limit: 500,
      offset,
      orderBy: 'id',
      order: 'asc',
    });
    if (items.length === 0) return;
    for (const d of items) {
      if (!d.metadata) continue;
      const text = (await rt.db.documents.getText(d.id)) ?? '';
      yield { id: d.id, sha256: d.sha256, metadata: d.metadata, text, path: d.storagePath ?? d.sourcePath };
    }
    offset += items.length;
  }
}

export async function reindexCommand(ctx: CommandContext, o: { batchSize?: string }): Promise<number> {
  const batchSize = num(o.batchSize, 'batch-size') ?? 50;
  const rt = await ctx.open();
  const index = vectorIndexOf(rt);
  if (!index) throw errorFor('VALIDATION_FAILED', 'No vector index is configured in this build; nothing to reindex.');
  const r = await index.reindex(completedDocuments(rt), {
    batchSize,
    onProgress: (done) => ctx.out.progress(`reindexed ${done} documents`),
  });
  ctx.out.endProgress();
  if (ctx.out.json) {
    ctx.out.data(r);
    return r.failed.length > 0 ? 1 : 0;
  }
  ctx.out.line(
    `Reindexed ${r.indexed} documents (${r.chunks} chunks) in ${(r.tookMs / 1000).toFixed(1)} s; ` +
      `embedding cache hit rate ${(r.cache.hitRate * 100).toFixed(1)}% (${r.cache.memoryHits} memory, ${r.cache.dbHits} database, ${r.cache.misses} embedded)` +
      (r.trained ? '; vector lists retrained.' : '.'),
  );
  for (const f of r.failed) ctx.out.error(`document ${f.id}: ${f.error}`);
  return r.failed.length > 0 ? 1 : 0;
}

/** `autod search "<query>" [filters] [--mode ..] [--limit n]` and `autod reindex`. */
export function installSearch(program: Command, run: Runner): void {
  program
    .command('search')
    .description('search documents: full-text (BM25), semantic (vectors) or both fused (default)')
    .argument('<query>', 'what to look for, e.g. "water bill from March"')
    .addOption(new Option('--mode <mode>', 'search mode').choices(['fulltext', 'vector', 'hybrid']).default('hybrid'))
    .option('--category <category>', 'e.g. "Financial & Administrative"')
    .option('--doc-type <type>', 'document type, e.g. invoice')
    .option('--issuer <text>', 'issuer contains (case-insensitive)')
    .option('--from <date>', 'primary date on or after (YYYY-MM-DD)')
    .option('--to <date>', 'primary date on or before (YYYY-MM-DD)')
    .option('--min-amount <n>', 'total amount at least')
    .option('--max-amount <n>', 'total amount at most')
    .option('--limit <n>', 'top-k results (1..100)', '10')
    .option('--min-similarity <x>', 'relevance threshold for semantic hits (cosine)')
    .action((query: string, o: SearchCommandOptions) => run((c) => searchCommand(c, query, o))());
  program
    .command('reindex')
    .description('rebuild the search vectors of every completed document (cached embeddings are reused)')
    .option('--batch-size <n>', 'documents per batch', '50')
    .action((o: { batchSize?: string }) => run((c) => reindexCommand(c, o))());
}
