import type { Command } from 'commander';
import type { DocumentMetadata } from '@autod/core';
import { errorFor } from '@autod/errors';
import type { Runtime } from '@autod/runtime';
import type { CommandContext } from '../context.js';
import { choiceFlag, intFlag } from '../flags.js';
import type { Runner } from '../main.js';
import { renderTable } from '../output.js';
import { filterFrom, type ListOptions } from './documents.js';

const MODES = ['fulltext', 'vector', 'hybrid'] as const;

interface IndexDoc {
  id: number;
  sha256: string;
  metadata: DocumentMetadata;
  text: string;
  path?: string;
}

export interface SearchCommandOptions extends ListOptions {
  mode?: string;
  minSimilarity?: string;
}

export async function searchCommand(ctx: CommandContext, query: string, o: SearchCommandOptions): Promise<number> {
  if (!query.trim())
    throw errorFor('VALIDATION_FAILED', 'Give a search text, e.g. autod search "water bill from March".');
  const mode = choiceFlag(o.mode, '--mode', MODES) ?? 'hybrid';
  const filter = filterFrom(o);
  // --min-similarity is SEARCH_RELEVANCE_THRESHOLD for this run (validated like the setting).
  ctx.useFlags({ SEARCH_RELEVANCE_THRESHOLD: ['--min-similarity', o.minSimilarity] });
  const config = ctx.config();
  const limit = intFlag(o.limit, '--limit', 1, config.search.maxTopK) ?? config.search.defaultTopK;
  const rt = await ctx.open();
  const result = await rt.search(query, { mode, filter, limit });

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
  const batchSize = intFlag(o.batchSize, '--batch-size', 1, 10_000) ?? 50;
  const rt = await ctx.open();
  const r = await rt.vectorIndex.reindex(completedDocuments(rt), {
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
    .option('--mode <mode>', 'fulltext (BM25), vector (semantic) or hybrid (both, fused by rank)', 'hybrid')
    .option('--status <status>', 'document status (default completed: only completed documents are indexed)')
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
    .option('--needs-review', 'only documents that need a review')
    .option('--limit <n>', 'top-k results (default SEARCH_DEFAULT_TOP_K, at most SEARCH_MAX_TOP_K)')
    .option(
      '--min-similarity <x>',
      'minimum cosine similarity of a semantic hit, 0–1 (default SEARCH_RELEVANCE_THRESHOLD; full-text hits have none)',
    )
    .action((query: string, o: SearchCommandOptions) => run((c) => searchCommand(c, query, o))());
  program
    .command('reindex')
    .description('rebuild the search vectors of every completed document (cached embeddings are reused)')
    .option('--batch-size <n>', 'documents per batch', '50')
    .action((o: { batchSize?: string }) => run((c) => reindexCommand(c, o))());
}
