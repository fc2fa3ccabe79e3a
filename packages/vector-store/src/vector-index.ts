import type { Knex } from 'knex';
import { CachedEmbedder } from './embedding-cache.js';
import { hybridSearch, type SearchDeps } from './hybrid-search.js';
import { DocumentWriter } from './ingest.js';
import { LocalVectorIndex, type VectorBackend } from './local-index.js';
import { migrateVectorStore, TABLES } from './migrations.js';
import { NearDuplicateFinder } from './near-duplicates.js';
import { OpenAIVectorSync } from './openai-sync.js';
import { cacheDelta, ReindexRun, type ReindexOptions } from './reindex.js';
import { SqlRunner } from './sql-runner.js';
import { loadSqliteVec, tuneSqlite } from './sqlite-vec.js';
import type {
  IndexDocument,
  IndexResult,
  ReindexResult,
  SearchOptions,
  SearchResult,
  VectorIndex,
  VectorIndexOptions,
  VectorIndexStats,
} from './vector-index-types.js';

export { documentHeader } from './prepare.js';
export type {
  FullTextSearch,
  IndexDocument,
  IndexResult,
  ReindexResult,
  SearchHit,
  SearchMode,
  SearchOptions,
  SearchResult,
  VectorIndex,
  VectorIndexOptions,
  VectorIndexStats,
} from './vector-index-types.js';

/** Cosine similarity of first chunks above which two documents are near-duplicates, unless configured. */
const DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.9;

/** Open the local vector index on the app's database (migrates its tables, loads sqlite-vec). */
export async function createVectorIndex(options: VectorIndexOptions): Promise<VectorIndex> {
  const { knex, dialect } = options;
  if (options.migrate !== false) await migrateVectorStore(knex);
  const sqlVec = dialect === 'sqlite' ? await loadSqliteVec(knex) : false;
  if (dialect === 'sqlite') await tuneSqlite(knex, options.sqlite?.cacheSizeMb ?? 64, options.sqlite?.mmapSizeMb ?? 0);
  const sql = new SqlRunner(knex);
  const embedder =
    options.embedder instanceof CachedEmbedder
      ? options.embedder
      : new CachedEmbedder(options.embedder, knex, options.cache);
  const local = new LocalVectorIndex(knex, dialect, embedder.model, embedder.dimensions, sqlVec, options.ivf, sql);
  await local.init();
  return new DocumentVectorIndex(options, { knex, sql, embedder, local, sqlVec });
}

/** What {@link createVectorIndex} opened for the index. */
interface Opened {
  knex: Knex;
  sql: SqlRunner;
  embedder: CachedEmbedder;
  local: VectorBackend;
  /** sqlite-vec is loaded. */
  sqlVec: boolean;
}

/**
 * The index over the app's database: documents go in through a {@link DocumentWriter} (near-duplicates found by a
 * {@link NearDuplicateFinder}), come out through {@link hybridSearch}, and are rebuilt by a {@link ReindexRun}.
 */
class DocumentVectorIndex implements VectorIndex {
  readonly embedder: CachedEmbedder;
  readonly #options: VectorIndexOptions;
  readonly #opened: Opened;
  readonly #local: VectorBackend;
  readonly #sync: OpenAIVectorSync | undefined;
  readonly #nearDuplicates: NearDuplicateFinder;
  readonly #writer: DocumentWriter;
  readonly #search: SearchDeps;
  /** > 0 while `reindex` runs: it trains once at the end instead of after every batch. */
  #bulk = 0;

  constructor(options: VectorIndexOptions, opened: Opened) {
    const { knex, sql, embedder, local } = opened;
    this.embedder = embedder;
    this.#options = options;
    this.#opened = opened;
    this.#local = local;
    this.#sync = options.openaiSync ? new OpenAIVectorSync(knex, options.openaiSync) : undefined;
    const nd = options.nearDuplicates ?? true;
    const threshold =
      typeof nd === 'object' ? (nd.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD) : DEFAULT_NEAR_DUPLICATE_THRESHOLD;
    this.#nearDuplicates = new NearDuplicateFinder(knex, sql, local, threshold, nd !== false);
    this.#writer = new DocumentWriter({
      embedder,
      local,
      nearDuplicates: this.#nearDuplicates,
      sync: this.#sync,
      chunking: options.chunking,
      onNearDuplicate: options.onNearDuplicate,
    });
    this.#search = { knex, sql, local, embedder, sync: this.#sync, fullText: options.fullText };
  }

  async index(doc: IndexDocument): Promise<void> {
    await this.indexDocument(doc);
  }

  indexDocument(doc: IndexDocument): Promise<IndexResult> {
    return this.#writer.indexOne(doc, this.#bulk === 0);
  }

  async indexMany(docs: IndexDocument[]): Promise<IndexResult[]> {
    const results = await this.#writer.write([await this.#writer.embed(docs)]);
    if (this.#bulk === 0) await this.#local.maybeTrain();
    return results;
  }

  search(query: string, options?: SearchOptions): Promise<SearchResult> {
    return hybridSearch(this.#search, query, options);
  }

  async reindex(
    docs: AsyncIterable<IndexDocument> | Iterable<IndexDocument>,
    options: ReindexOptions = {},
  ): Promise<ReindexResult> {
    const started = performance.now();
    const before = this.embedder.stats();
    const run = new ReindexRun(this.#writer, (d) => this.indexDocument(d), options);
    this.#bulk++;
    let done: Awaited<ReturnType<ReindexRun['run']>>;
    try {
      done = await run.run(docs);
    } finally {
      this.#bulk--;
    }
    const trained = await this.#local.maybeTrain(true).catch(() => false);
    const maxDbMb = this.#options.cache?.maxDbMb;
    if (maxDbMb !== undefined) await this.embedder.prune(maxDbMb);
    return { ...done, trained, cache: cacheDelta(this.embedder, before), tookMs: performance.now() - started };
  }

  async remove(id: number): Promise<boolean> {
    if (this.#sync) await this.#sync.remove(id);
    return this.#local.remove(id);
  }

  similarTo(
    id: number,
    options: { limit?: number; minSimilarity?: number } = {},
  ): Promise<{ id: number; similarity: number }[]> {
    return this.#nearDuplicates.similarTo(id, options.limit ?? 10, options.minSimilarity);
  }

  async optimize(): Promise<void> {
    await this.#local.maybeTrain(true);
  }

  async stats(): Promise<VectorIndexStats> {
    const { knex, sql, sqlVec } = this.#opened;
    const [row] = await sql.select<{ n: number | string }>(knex(TABLES.docs).count({ n: '*' }));
    return {
      documents: Number(row?.n ?? 0),
      chunks: this.#local.chunkCount,
      model: this.embedder.model,
      dimensions: this.embedder.dimensions,
      sqliteVec: sqlVec,
      ivfTrained: this.#local.trained,
      cache: this.embedder.stats(),
    };
  }
}
