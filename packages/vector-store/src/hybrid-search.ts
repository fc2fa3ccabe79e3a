import type { Knex } from 'knex';
import { errorFor } from '@autod/errors';
import type { CachedEmbedder } from './embedding-cache.js';
import type { VectorBackend } from './local-index.js';
import { TABLES } from './migrations.js';
import type { OpenAIVectorSync } from './openai-sync.js';
import { highlightSnippet } from './snippet.js';
import type { SqlRunner } from './sql-runner.js';
import type { FullTextSearch, SearchHit, SearchMode, SearchOptions, SearchResult } from './vector-index-types.js';

export interface SearchDeps {
  knex: Knex;
  sql: SqlRunner;
  local: VectorBackend;
  embedder: CachedEmbedder;
  sync: OpenAIVectorSync | undefined;
  fullText: FullTextSearch | undefined;
}

type TextCandidate = Awaited<ReturnType<FullTextSearch>>[number];

interface VectorCandidate {
  docId: number;
  similarity: number;
  chunkNo: number | null;
  /** The matching text, when the OpenAI side returned it. */
  text?: string;
}

/** One document after fusion: its score and what each side said about it. */
interface Fused {
  score: number;
  textScore: number | null;
  similarity: number | null;
  snippet: string;
  chunkNo: number | null;
  vtext?: string;
  matchedBy: ('fulltext' | 'vector')[];
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw errorFor('VALIDATION_FAILED', `Search limit must be an integer in 1..100 (got ${limit}).`);
  }
  return limit;
}

/** Full-text, vector or hybrid search (reciprocal rank fusion of both sides); see `VectorIndex.search`. */
export async function hybridSearch(deps: SearchDeps, query: string, opts: SearchOptions = {}): Promise<SearchResult> {
  const started = performance.now();
  const mode = opts.mode ?? 'hybrid';
  const limit = clampLimit(opts.limit);
  if (!query.trim()) throw errorFor('VALIDATION_FAILED', 'Search needs a non-empty query.');
  if (mode === 'fulltext' && !deps.fullText) {
    throw errorFor('VALIDATION_FAILED', 'Full-text search is not available here; use --mode vector.');
  }
  // RRF only needs ranks: each side contributes its best 2 × limit (at least 20) candidates; with an `accept`
  // filter after the fact, more of them.
  const baseDepth = mode === 'hybrid' ? Math.max(limit * 2, 20) : limit;
  const depth = opts.accept ? Math.min(200, Math.max(baseDepth * 4, 100)) : baseDepth;
  const useOpenAI = Boolean(deps.sync?.searchEnabled) && mode !== 'fulltext';

  let textSide = mode !== 'vector' && deps.fullText ? await deps.fullText(query, depth, opts.filter) : [];
  let vectorSide = mode !== 'fulltext' ? await vectorCandidates(deps, query, depth, useOpenAI, opts) : [];
  if (opts.accept) {
    const candidates = [...new Set([...textSide.map((h) => h.id), ...vectorSide.map((h) => h.docId)])];
    const accepted = candidates.length > 0 ? await opts.accept(candidates) : new Set<number>();
    textSide = textSide.filter((h) => accepted.has(h.id));
    vectorSide = vectorSide.filter((h) => accepted.has(h.docId));
  }
  const ranked = fuse(textSide, vectorSide, mode, opts.rrfK ?? 60).slice(0, limit);
  const hits = await toHits(deps, query, ranked);
  return { query, mode, backend: useOpenAI ? 'openai' : 'local', hits, tookMs: performance.now() - started };
}

/** The semantic side's best `depth` documents: from the OpenAI vector store when it searches, else the local index. */
async function vectorCandidates(
  deps: SearchDeps,
  query: string,
  depth: number,
  useOpenAI: boolean,
  opts: SearchOptions,
): Promise<VectorCandidate[]> {
  if (useOpenAI && deps.sync) {
    const hits = await deps.sync.search(query, opts.filter, Math.min(depth, 50), opts.signal);
    return hits.map((h) => ({ docId: h.docId, similarity: h.score, chunkNo: null, text: h.text }));
  }
  const vector = await deps.embedder.embedQuery(query, opts.signal);
  return deps.local.search(vector, {
    k: depth,
    minSimilarity: opts.minSimilarity ?? deps.embedder.defaultMinSimilarity,
    ...(opts.exact ? { exact: true } : {}),
    ...(opts.filter ? { filter: opts.filter } : {}),
  });
}

/**
 * Merge both sides, best first (ties: lower id first). Hybrid scores are reciprocal-rank-fusion sums
 * (`1 / (k + rank)` per side); a single mode keeps that side's own score.
 */
function fuse(
  textSide: readonly TextCandidate[],
  vectorSide: readonly VectorCandidate[],
  mode: SearchMode,
  k: number,
): [number, Fused][] {
  const fused = new Map<number, Fused>();
  const entry = (id: number): Fused => {
    let e = fused.get(id);
    if (!e) {
      e = { score: 0, textScore: null, similarity: null, snippet: '', chunkNo: null, matchedBy: [] };
      fused.set(id, e);
    }
    return e;
  };
  textSide.forEach((h, i) => {
    const e = entry(h.id);
    e.score += mode === 'hybrid' ? 1 / (k + i + 1) : h.score;
    e.textScore = h.score;
    e.snippet = h.snippet;
    e.matchedBy.push('fulltext');
  });
  vectorSide.forEach((h, i) => {
    const e = entry(h.docId);
    e.score += mode === 'hybrid' ? 1 / (k + i + 1) : h.similarity;
    e.similarity = h.similarity;
    e.chunkNo = h.chunkNo;
    if (h.text !== undefined) e.vtext = h.text;
    e.matchedBy.push('vector');
  });
  return [...fused.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]);
}

/** The ranked documents with their attribute rows, best chunk's page and a highlighted snippet. */
async function toHits(deps: SearchDeps, query: string, ranked: readonly [number, Fused][]): Promise<SearchHit[]> {
  const ids = ranked.map(([id]) => id);
  const attrRows = ids.length
    ? await deps.sql.select<Record<string, unknown>>(
        deps
          .knex(TABLES.docs)
          .select('doc_id', 'title', 'category', 'doc_type', 'issuer', 'primary_date', 'total_amount')
          .whereIn('doc_id', ids),
      )
    : [];
  const attrs = new Map(attrRows.map((r) => [Number(r['doc_id']), r]));
  const need = ranked
    .filter(([, e]) => e.chunkNo !== null)
    .map(([id, e]) => ({ docId: id, chunkNo: e.chunkNo as number }));
  const texts = await deps.local.chunkTexts(need);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return ranked.map(([id, e], i) => {
    const a = attrs.get(id);
    const chunk = texts.get(`${id}:${e.chunkNo ?? -1}`);
    const raw = e.vtext ?? chunk?.text;
    return {
      id,
      rank: i + 1,
      score: e.score,
      similarity: e.similarity,
      textScore: e.textScore,
      snippet: e.snippet || (raw ? highlightSnippet(raw, query) : ''),
      matchedBy: e.matchedBy,
      page: chunk?.page ?? null,
      title: str(a?.['title']),
      category: str(a?.['category']),
      docType: str(a?.['doc_type']),
      issuer: str(a?.['issuer']),
      primaryDate: str(a?.['primary_date']),
      totalAmount: a?.['total_amount'] === null || a?.['total_amount'] === undefined ? null : Number(a['total_amount']),
    };
  });
}
