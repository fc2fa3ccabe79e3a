import type { Knex } from 'knex';
import { applyFilter, hasFilter, type SearchFilter } from './filter.js';
import { bufferToVector, dot, vectorToBuffer } from './hash.js';
import { ListMemory } from './list-memory.js';
import { LIST_KEY_SPAN, TABLES } from './migrations.js';
import { SqlRunner, type SqliteSession, type SqlWrite } from './sql-runner.js';

export type Dialect = 'sqlite' | 'postgres';

/** The per-document attribute row written at index time (from `indexedFields(metadata)`). */
export interface DocAttributes {
  docId: number;
  sha256: string;
  category: string;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
  title: string | null;
  contentSig: string | null;
}

export interface StoredChunk {
  chunkNo: number;
  page: number;
  text: string;
  vector: Float32Array;
}

export interface VectorMatch {
  docId: number;
  /** Cosine similarity of the best chunk, -1..1. */
  similarity: number;
  chunkNo: number;
}

export interface IvfOptions {
  /** Below this many chunks every search is exact (default 8000). */
  minVectors?: number;
  /**
   * Share of the vectors scanned per query (default 0.15): the nearest lists are probed until
   * they hold this many vectors (so uneven lists cost the same), and at least `minProbe` lists.
   */
  probeFraction?: number;
  /** Fewest lists probed per query (default 4). */
  minProbe?: number;
  /**
   * Fewest vectors scanned per query (default 5000): small indexes scan a larger share (a few
   * milliseconds at most) instead of losing recall to coarse lists.
   */
  minScan?: number;
  /** Candidates of the int8 coarse scan re-ranked with the exact float32 vectors (default: 1.5 × the chunks wanted, at least 60). */
  rerank?: number;
  /** Retrain when the chunk count has grown by this factor since the last training (default 2). */
  growthFactor?: number;
  /** Retrain automatically inside `upsert` (default true). */
  autoTrain?: boolean;
}

/** Options of one vector search in a {@link VectorBackend}. */
export interface VectorSearchOptions {
  k: number;
  filter?: SearchFilter;
  minSimilarity?: number;
  exact?: boolean;
  excludeDocId?: number;
  firstChunkOnly?: boolean;
}

/**
 * What `createVectorIndex` needs from the storage of vectors: {@link LocalVectorIndex} (SQLite,
 * PostgreSQL without pgvector) implements it; a pgvector backend would too (ADR 0007).
 */
export interface VectorBackend {
  /** Approximate (IVF/HNSW) search is available; otherwise searches are exact. */
  readonly trained: boolean;
  readonly chunkCount: number;
  init(): Promise<void>;
  /** Replace the attribute rows and chunks of several documents in one transaction (`also`: run in it first). */
  upsertMany(items: { attrs: DocAttributes; chunks: StoredChunk[] }[], also?: readonly SqlWrite[]): Promise<void>;
  remove(docId: number): Promise<boolean>;
  /** Build or refresh the approximate index when due (`force`: now); true when it did. */
  maybeTrain(force?: boolean): Promise<boolean>;
  /** The top `k` documents by their best chunk's cosine similarity. */
  search(query: Float32Array, opts: VectorSearchOptions): Promise<VectorMatch[]>;
  /** Texts and pages of chunks, keyed `docId:chunkNo`. */
  chunkTexts(keys: { docId: number; chunkNo: number }[]): Promise<Map<string, { text: string; page: number }>>;
}

interface ChunkRow {
  id: number | string;
  doc_id: number | string;
  chunk_no: number;
  embedding?: Uint8Array;
  sim?: number;
}

/** Rows of `autod_vec_changes` kept for processes that follow the log (older ones are pruned). */
const KEEP_CHANGES = 20_000;
/** More changed documents than this since a process last looked: it reloads everything instead. */
const MAX_INCREMENTAL = 5_000;
const PAGE = 2_000;

/**
 * SQL run either on the raw better-sqlite3 connection (statements prepared once, see
 * `SqlRunner`) or through knex (PostgreSQL, the `sqlite3` driver). Statements are written with `?`
 * placeholders, valid on both SQLite and PostgreSQL.
 */
interface Exec {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows changed (NaN when the driver does not tell: knex on the `sqlite3` driver). */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** `DELETE FROM table WHERE column = value`, returns the rows deleted. */
  del(table: string, column: string, value: number): Promise<number>;
  /** Insert one row, return its generated `idColumn`. */
  insertId(sql: string, params: readonly unknown[], idColumn: string): Promise<number>;
  /** Insert rows into `table` (one cached statement per row on SQLite, multi-row inserts through knex). */
  insertMany(table: string, rows: Record<string, unknown>[]): Promise<void>;
  /** A SELECT built with knex. */
  query<T>(builder: Knex.QueryBuilder): Promise<T[]>;
}

function rawExec(s: SqliteSession): Exec {
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) => s.all<T>(sql, params),
    run: async (sql, params = []) => s.run(sql, params).changes,
    insertId: async (sql, params) => s.run(sql, params).lastInsertRowid,
    async insertMany(table, rows) {
      const first = rows[0];
      if (!first) return;
      const cols = Object.keys(first);
      const sql = `INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
      for (const row of rows)
        s.run(
          sql,
          cols.map((c) => row[c]),
        );
    },
    query: async <T>(builder: Knex.QueryBuilder) => s.query<T>(builder),
    del: async (table, column, value) => s.run(`DELETE FROM ${table} WHERE ${column} = ?`, [value]).changes,
  };
}

function knexExec(k: Knex | Knex.Transaction): Exec {
  const rows = (r: unknown): Record<string, unknown>[] =>
    (Array.isArray(r) ? r : ((r as { rows?: unknown[] }).rows ?? [])) as Record<string, unknown>[];
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      rows(await k.raw(sql, [...params] as Knex.RawBinding[])) as T[],
    async run(sql, params = []) {
      const r: { rowCount?: number | null } = await k.raw(sql, [...params] as Knex.RawBinding[]);
      return typeof r.rowCount === 'number' ? r.rowCount : Number.NaN;
    },
    async insertId(sql, params, idColumn) {
      const r = rows(await k.raw(`${sql} RETURNING ${idColumn}`, [...params] as Knex.RawBinding[]));
      return Number(r[0]?.[idColumn]);
    },
    async insertMany(table, list) {
      for (let i = 0; i < list.length; i += 500) await k(table).insert(list.slice(i, i + 500));
    },
    query: async <T>(builder: Knex.QueryBuilder) => (await builder) as T[],
    del: async (table, column, value) => Number(await k(table).where(column, value).delete()),
  };
}

const UPSERT_DOC = `INSERT INTO ${TABLES.docs} (doc_id, sha256, model, category, doc_type, issuer, issuer_lc, primary_date,
  total_amount, title, content_sig, chunk_count, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (doc_id) DO UPDATE SET sha256 = excluded.sha256, model = excluded.model, category = excluded.category,
  doc_type = excluded.doc_type, issuer = excluded.issuer, issuer_lc = excluded.issuer_lc,
  primary_date = excluded.primary_date, total_amount = excluded.total_amount, title = excluded.title,
  content_sig = excluded.content_sig, chunk_count = excluded.chunk_count, indexed_at = excluded.indexed_at`;
const INSERT_CHUNK = `INSERT INTO ${TABLES.chunks} (doc_id, chunk_no, page, model, embedding) VALUES (?, ?, ?, ?, ?)`;
const INSERT_LIST = `INSERT INTO ${TABLES.lists} ("key", doc_id, chunk_no, qvec) VALUES (?, ?, ?, ?)`;
const INSERT_TEXT = `INSERT INTO ${TABLES.chunkTexts} (doc_id, chunk_no, page, text) VALUES (?, ?, ?, ?)`;
const INSERT_CHANGE = `INSERT INTO ${TABLES.changes} (doc_id) VALUES (?)`;
const MAX_SEQ = `SELECT max(seq) AS m FROM ${TABLES.changes}`;
const DOC_ATTRS = `SELECT doc_id, category, doc_type, issuer, primary_date, total_amount FROM ${TABLES.docs}`;

interface DocAttrRow {
  doc_id: number | string;
  category: string | null;
  doc_type: string | null;
  issuer: string | null;
  primary_date: string | null;
  total_amount: number | string | null;
}

function memoryAttrs(r: DocAttrRow) {
  return {
    docId: Number(r.doc_id),
    category: r.category,
    docType: r.doc_type,
    issuer: r.issuer,
    primaryDate: r.primary_date,
    totalAmount: r.total_amount === null ? null : Number(r.total_amount),
  };
}

/**
 * Vectors and attribute rows in the app's database, searched exactly or through an IVF index
 * (k-means lists, nearest lists probed).
 *
 * Storage: float32 vectors in `autod_vec_chunks`, one int8 copy per vector in `autod_vec_lists`
 * (keyed by list). Search: the lists are held in memory ({@link ListMemory}: the int8 vectors and
 * the documents' filterable attributes), the probed lists are scanned in process and the best
 * candidates re-ranked with the float32 vectors read from the database. Every process follows the
 * other processes' writes through the `autod_vec_changes` log (checked before each search).
 * Exact search (untrained index, `exact: true`): sqlite-vec's `vec_distance_cosine` in SQLite, dot
 * products in process over rows streamed in pages elsewhere.
 */
export class LocalVectorIndex implements VectorBackend {
  #centroids: Float32Array[] = [];
  /** The centroids packed for {@link nearest}. */
  #packed: Float32Array = new Float32Array(0);
  #trainedCount = 0;
  #chunkCount = 0;
  /** Last change-log sequence number reflected in the centroids and the memory lists. */
  #seq = 0;
  /** The lists in memory; loaded on the first search of a trained index. */
  #memory: ListMemory | undefined;
  /** The training running in this process, if any (concurrent calls share it). */
  #training: Promise<{ lists: number; vectors: number }> | undefined;
  readonly #ivf: Required<IvfOptions>;
  readonly #sql: SqlRunner;

  constructor(
    private readonly knex: Knex,
    readonly dialect: Dialect,
    readonly model: string,
    readonly dimensions: number,
    /** sqlite-vec SQL functions are available on the connection. */
    readonly sqlVec: boolean,
    ivf: IvfOptions = {},
    sql: SqlRunner = new SqlRunner(knex),
  ) {
    this.#ivf = {
      minVectors: ivf.minVectors ?? 8000,
      probeFraction: ivf.probeFraction ?? 0.15,
      minProbe: ivf.minProbe ?? 4,
      minScan: ivf.minScan ?? 5000,
      rerank: ivf.rerank ?? 0,
      growthFactor: ivf.growthFactor ?? 2,
      autoTrain: ivf.autoTrain ?? true,
    };
    this.#sql = sql;
  }

  get trained(): boolean {
    return this.#centroids.length > 0;
  }

  get chunkCount(): number {
    return this.#chunkCount;
  }

  /** Reads (no transaction) on the raw connection or through knex. */
  async #read<T>(fn: (x: Exec) => Promise<T>): Promise<T> {
    if (this.#sql.raw) return this.#sql.session((s) => fn(rawExec(s)));
    return fn(knexExec(this.knex));
  }

  /** One write transaction (`BEGIN IMMEDIATE` on SQLite; on PostgreSQL the lists table is locked in `mode`). */
  async #write<T>(fn: (x: Exec) => Promise<T>, pgLock: 'ROW EXCLUSIVE' | 'EXCLUSIVE' = 'ROW EXCLUSIVE'): Promise<T> {
    if (this.#sql.raw) {
      return this.#sql.session(async (s) => {
        if (s.db.inTransaction) return fn(rawExec(s));
        s.run('BEGIN IMMEDIATE');
        try {
          const out = await fn(rawExec(s));
          s.run('COMMIT');
          return out;
        } catch (error) {
          if (s.db.inTransaction) s.run('ROLLBACK');
          throw error;
        }
      });
    }
    return this.knex.transaction(async (trx) => {
      if (this.dialect === 'postgres') await trx.raw(`LOCK TABLE ${TABLES.lists} IN ${pgLock} MODE`);
      return fn(knexExec(trx));
    });
  }

  /** Load centroids and counts (call once after migrations). */
  async init(): Promise<void> {
    await this.#read(async (x) => {
      this.#seq = await maxSeq(x);
      await this.#loadCentroids(x);
      this.#chunkCount = await this.#countChunks(x);
    });
  }

  async #loadCentroids(x: Exec): Promise<void> {
    const meta = await readMeta(x);
    if (meta.get('ivf_model') === `${this.model}:${this.dimensions}`) {
      const rows = await x.all<{ vector: Uint8Array }>(`SELECT vector FROM ${TABLES.centroids} ORDER BY cluster`);
      this.#setCentroids(rows.map((r) => bufferToVector(r.vector)));
      this.#trainedCount = Number(meta.get('ivf_trained_count') ?? 0);
    } else {
      this.#setCentroids([]);
      this.#trainedCount = 0;
    }
  }

  #setCentroids(centroids: Float32Array[]): void {
    this.#centroids = centroids;
    this.#packed = pack(centroids, this.dimensions);
  }

  /**
   * Bring the centroids and the memory lists up to date with the change log (other processes'
   * writes and trainings), loading the lists on first use.
   */
  async #refresh(): Promise<void> {
    await this.#read(async (x) => {
      const m = await maxSeq(x);
      if (m !== this.#seq) {
        const pruned = Number((await readMeta(x)).get('changes_pruned_below') ?? 0);
        const rows = await x.all<{ seq: number | string; doc_id: number | string }>(
          `SELECT seq, doc_id FROM ${TABLES.changes} WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ${MAX_INCREMENTAL + 1}`,
          [this.#seq, m],
        );
        const ids = [...new Set(rows.map((r) => Number(r.doc_id)))];
        if (this.#seq < pruned || ids.some((id) => id < 0) || rows.length > MAX_INCREMENTAL) {
          await this.#loadCentroids(x);
          this.#chunkCount = await this.#countChunks(x);
          this.#memory = undefined;
        } else if (this.#memory) {
          for (const id of ids) await this.#reloadDoc(x, this.#memory, id);
        }
        this.#seq = m;
      }
      if (this.trained && !this.#memory) await this.#loadMemory(x);
    });
  }

  async #loadMemory(x: Exec): Promise<void> {
    const m0 = await maxSeq(x);
    const mem = new ListMemory(this.dimensions, this.#centroids.length);
    await loadDocAttrs(x, mem);
    let last = -1;
    for (;;) {
      const rows = await x.all<{ key: number | string; doc_id: number | string; chunk_no: number; qvec: Uint8Array }>(
        `SELECT "key", doc_id, chunk_no, qvec FROM ${TABLES.lists} WHERE "key" > ? ORDER BY "key" LIMIT ${PAGE}`,
        [last],
      );
      for (const r of rows) {
        const key = Number(r.key);
        const list = Math.floor(key / LIST_KEY_SPAN);
        mem.add(list, key - list * LIST_KEY_SPAN, Number(r.doc_id), Number(r.chunk_no), int8(r.qvec));
      }
      if (rows.length < PAGE) break;
      last = Number(rows[rows.length - 1]?.key);
    }
    this.#memory = mem;
    this.#seq = Math.max(this.#seq, m0);
  }

  async #reloadDoc(x: Exec, mem: ListMemory, docId: number): Promise<void> {
    mem.removeDoc(docId);
    const [attrs] = await x.all<DocAttrRow>(`${DOC_ATTRS} WHERE doc_id = ?`, [docId]);
    if (!attrs) return;
    mem.setDoc(memoryAttrs(attrs));
    const rows = await x.all<{ key: number | string; chunk_no: number; qvec: Uint8Array }>(
      `SELECT "key", chunk_no, qvec FROM ${TABLES.lists} WHERE doc_id = ?`,
      [docId],
    );
    for (const r of rows) {
      const key = Number(r.key);
      const list = Math.floor(key / LIST_KEY_SPAN);
      mem.add(list, key - list * LIST_KEY_SPAN, docId, Number(r.chunk_no), int8(r.qvec));
    }
  }

  /** Replace a document's attribute row and chunks. */
  async upsert(attrs: DocAttributes, chunks: StoredChunk[]): Promise<void> {
    await this.upsertMany([{ attrs, chunks }]);
  }

  /**
   * Replace the attribute rows and chunks of several documents in one transaction. `also`: writes run first in the
   * same transaction (the embedding-cache rows of these documents' vectors: one commit instead of two).
   */
  async upsertMany(
    items: { attrs: DocAttributes; chunks: StoredChunk[] }[],
    also: readonly SqlWrite[] = [],
  ): Promise<void> {
    if (items.length === 0) return;
    const memRows: { attrs: DocAttributes; rows: { list: number; id: number; chunkNo: number; q8: Int8Array }[] }[] =
      [];
    const { fresh, lastSeq, delta } = await this.#write(async (x) => {
      for (const w of also) await x.run(w.sql, w.params);
      // Another process may have trained since we loaded the centroids: list rows must use the new ones.
      const m0 = await maxSeq(x);
      if (m0 !== this.#seq) {
        const retrained = await x.all(`SELECT seq FROM ${TABLES.changes} WHERE seq > ? AND doc_id < 0 LIMIT 1`, [
          this.#seq,
        ]);
        if (retrained.length > 0) {
          await this.#loadCentroids(x);
          this.#memory = undefined;
        }
      }
      const trained = this.trained;
      let delta = 0;
      let lastSeq = m0;
      const now = Date.now();
      for (const { attrs, chunks } of items) {
        delta -= await this.#deleteRows(x, attrs.docId);
        await x.run(UPSERT_DOC, [
          attrs.docId,
          attrs.sha256,
          this.model,
          attrs.category,
          attrs.docType,
          attrs.issuer,
          attrs.issuer?.toLowerCase() ?? null,
          attrs.primaryDate,
          attrs.totalAmount,
          attrs.title,
          attrs.contentSig,
          chunks.length,
          now,
        ]);
        const rows: { list: number; id: number; chunkNo: number; q8: Int8Array }[] = [];
        for (const c of chunks) {
          const id = await x.insertId(
            INSERT_CHUNK,
            [attrs.docId, c.chunkNo, c.page, this.model, vectorToBuffer(c.vector)],
            'id',
          );
          await x.run(INSERT_TEXT, [attrs.docId, c.chunkNo, c.page, c.text]);
          if (trained) {
            const list = nearest(this.#packed, this.dimensions, c.vector);
            const q = quantize(c.vector);
            await x.run(INSERT_LIST, [list * LIST_KEY_SPAN + id, attrs.docId, c.chunkNo, q]);
            rows.push({ list, id, chunkNo: c.chunkNo, q8: int8(q) });
          }
        }
        delta += chunks.length;
        if (trained) {
          lastSeq = await x.insertId(INSERT_CHANGE, [attrs.docId], 'seq');
          memRows.push({ attrs, rows });
        }
      }
      if (lastSeq !== m0) await pruneChanges(x, m0, lastSeq);
      return { fresh: m0 === this.#seq, lastSeq, delta };
    });
    this.#chunkCount += delta;
    if (lastSeq === this.#seq) return;
    // Our own changes go straight into memory when nothing else happened in between; otherwise the
    // next refresh re-reads every document changed since (ours included).
    const mem = this.#memory;
    if (fresh && mem) {
      for (const { attrs, rows } of memRows) {
        mem.clearRows(attrs.docId);
        mem.setDoc(attrs);
        for (const r of rows) mem.add(r.list, r.id, attrs.docId, r.chunkNo, r.q8);
      }
      this.#seq = lastSeq;
    }
  }

  async remove(docId: number): Promise<boolean> {
    const { removed, docs, fresh, seq } = await this.#write(async (x) => {
      const m0 = await maxSeq(x);
      const removed = await this.#deleteRows(x, docId);
      const docs = await x.del(TABLES.docs, 'doc_id', docId);
      let seq = m0;
      if (this.trained) {
        seq = await x.insertId(INSERT_CHANGE, [docId], 'seq');
        await pruneChanges(x, m0, seq);
      }
      return { removed, docs, fresh: m0 === this.#seq, seq };
    });
    this.#chunkCount -= removed;
    if (fresh && this.#memory && seq !== this.#seq) {
      this.#memory.removeDoc(docId);
      this.#seq = seq;
    }
    return docs > 0;
  }

  async #deleteRows(x: Exec, docId: number): Promise<number> {
    const n = await x.del(TABLES.chunks, 'doc_id', docId);
    if (n > 0) {
      await x.del(TABLES.lists, 'doc_id', docId);
      await x.del(TABLES.chunkTexts, 'doc_id', docId);
    }
    return n;
  }

  /** Train (or retrain) the IVF lists when the index is big enough and has grown; returns true if trained. */
  async maybeTrain(force = false): Promise<boolean> {
    if (!force && !this.#ivf.autoTrain) return false;
    if (!force && this.#training) return false;
    if (this.#chunkCount < this.#ivf.minVectors) return false;
    if (!force && this.trained && this.#chunkCount < this.#trainedCount * this.#ivf.growthFactor) return false;
    await this.train();
    return true;
  }

  /**
   * k-means (Lloyd, seeded by spreading picks over a random sample) and assignment of every chunk
   * to its nearest list. The assignment is computed outside any transaction (into a new
   * {@link ListMemory}); the write transaction only replaces the centroids and the list rows.
   */
  async train(): Promise<{ lists: number; vectors: number }> {
    this.#training ??= this.#train().finally(() => {
      this.#training = undefined;
    });
    return this.#training;
  }

  async #train(): Promise<{ lists: number; vectors: number }> {
    const { n, sample } = await this.#read(async (x) => {
      const n = await this.#countChunks(x);
      const size = Math.min(n, Math.max(4, Math.min(256, Math.round(Math.sqrt(n) / 2))) * 40);
      const ids = (
        await x.all<{ id: number | string }>(
          `SELECT id FROM ${TABLES.chunks} WHERE model = ? ORDER BY random() LIMIT ${size}`,
          [this.model],
        )
      ).map((r) => Number(r.id));
      const sample: Float32Array[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await x.query<{ embedding: Uint8Array }>(
          this.knex(TABLES.chunks)
            .select('embedding')
            .whereIn('id', ids.slice(i, i + 500)),
        );
        for (const r of rows) sample.push(bufferToVector(r.embedding));
      }
      return { n, sample };
    });
    if (n === 0) return { lists: 0, vectors: 0 };
    const lists = Math.max(4, Math.min(256, Math.round(Math.sqrt(n) / 2)));
    const centroids = kmeans(sample, lists, this.dimensions);
    const packed = pack(centroids, this.dimensions);

    // Assign every chunk (pages by id), building the new memory lists as we go.
    const mem = new ListMemory(this.dimensions, centroids.length);
    const seen = await this.#read(async (x) => {
      await loadDocAttrs(x, mem);
      let maxId = 0;
      let count = 0;
      for (;;) {
        const rows = await x.all<ChunkRow & { embedding: Uint8Array }>(
          `SELECT id, doc_id, chunk_no, embedding FROM ${TABLES.chunks} WHERE model = ? AND id > ? ORDER BY id LIMIT ${PAGE}`,
          [this.model, maxId],
        );
        for (const r of rows) {
          const v = bufferToVector(r.embedding);
          const id = Number(r.id);
          mem.add(nearest(packed, this.dimensions, v), id, Number(r.doc_id), Number(r.chunk_no), int8(quantize(v)));
          maxId = Math.max(maxId, id);
        }
        count += rows.length;
        if (rows.length < PAGE) break;
      }
      return { count, maxId };
    });

    const { seq, unchanged } = await this.#write(async (x) => {
      await x.run(`DELETE FROM ${TABLES.centroids}`);
      await x.insertMany(
        TABLES.centroids,
        centroids.map((v, i) => ({ cluster: i, vector: vectorToBuffer(v) })),
      );
      await x.run(`DELETE FROM ${TABLES.lists}`);
      for (let l = 0; l < mem.lists; l++) {
        await x.insertMany(
          TABLES.lists,
          mem
            .rows(l)
            .map((r) => ({ key: l * LIST_KEY_SPAN + r.id, doc_id: r.docId, chunk_no: r.chunkNo, qvec: r.qvec })),
        );
      }
      // Chunks written or deleted while the assignment ran: drop rows of deleted chunks, assign new ones.
      const orphans = await x.run(
        `DELETE FROM ${TABLES.lists} WHERE NOT EXISTS (SELECT 1 FROM ${TABLES.chunks} c WHERE c.id = ${TABLES.lists}."key" % ${LIST_KEY_SPAN})`,
      );
      const late = await x.all<ChunkRow & { embedding: Uint8Array }>(
        `SELECT id, doc_id, chunk_no, embedding FROM ${TABLES.chunks} WHERE model = ? AND id > ? ORDER BY id`,
        [this.model, seen.maxId],
      );
      for (const r of late) {
        const v = bufferToVector(r.embedding);
        const list = nearest(packed, this.dimensions, v);
        await x.run(INSERT_LIST, [list * LIST_KEY_SPAN + Number(r.id), Number(r.doc_id), r.chunk_no, quantize(v)]);
      }
      await setMeta(x, { ivf_model: `${this.model}:${this.dimensions}`, ivf_trained_count: String(n) });
      await x.run(`DELETE FROM ${TABLES.changes}`);
      const seq = await x.insertId(INSERT_CHANGE, [-1], 'seq');
      await setMeta(x, { changes_pruned_below: String(seq) });
      return { seq, unchanged: orphans === 0 && late.length === 0 };
    }, 'EXCLUSIVE');
    this.#setCentroids(centroids);
    this.#trainedCount = n;
    this.#chunkCount = seen.count;
    this.#seq = seq;
    // The lists just computed are the memory copy, unless chunks changed meanwhile (then reload).
    this.#memory = unchanged ? mem : undefined;
    return { lists, vectors: n };
  }

  /**
   * Best documents for `query`: the top `k` documents by their best chunk's cosine similarity,
   * at least `minSimilarity`, matching `filter`. Uses the IVF lists when trained; a filtered (or
   * excluding) search that finds fewer than `k` documents widens the probe (×4, then every list).
   */
  async search(query: Float32Array, opts: SearchOpts): Promise<VectorMatch[]> {
    const min = opts.minSimilarity ?? -1;
    if (!opts.exact) await this.#refresh();
    const mem = this.#memory;
    if (opts.exact || !this.trained || !mem) return this.#scan(query, opts, min);
    if (norm(query) === 0) return [];
    let budget = Math.max(1, this.#ivf.minScan, Math.ceil(mem.size * this.#ivf.probeFraction));
    const matching = mem.matching(opts.filter);
    if (matching) {
      if (matching.count === 0) return [];
      // Scale the probe by the filter's selectivity so that a filtered query sees about as many
      // matching candidates as an unfiltered one; by its fourth root, not all of it: matching
      // vectors are not spread evenly over the lists (a filter usually correlates with content),
      // and a scan that still finds fewer than k documents widens below.
      const selectivity = Math.max(0.02, Math.min(1, matching.count / Math.max(1, mem.documents)));
      budget = Math.ceil(budget / Math.sqrt(Math.sqrt(selectivity)));
    }
    const steps =
      matching || opts.excludeDocId !== undefined ? [budget, budget * 4, Number.POSITIVE_INFINITY] : [budget];
    const order = this.#centroids.map((c, i) => ({ i, s: dot(c, query) })).sort((a, b) => b.s - a.s);
    const perDocChunks = opts.firstChunkOnly ? 1 : 4;
    const chunkLimit = Math.max(opts.k * perDocChunks, 20);
    const want = Math.max(this.#ivf.rerank || Math.ceil(chunkLimit * 1.5), chunkLimit, 60);
    const q8 = int8(quantize(query));
    let matches: VectorMatch[] = [];
    for (const step of steps) {
      const lists: number[] = [];
      let rows = 0;
      for (const { i } of order) {
        if (lists.length >= this.#ivf.minProbe && rows >= step) break;
        lists.push(i);
        rows += mem.listSize(i);
      }
      const candidates = mem.scan(q8, lists, want, {
        mask: matching?.mask,
        excludeDocId: opts.excludeDocId,
        firstChunkOnly: opts.firstChunkOnly,
      });
      matches = await this.#rerank(query, candidates, chunkLimit, min, opts.k);
      if (matches.length >= opts.k || lists.length === order.length) break;
    }
    return matches;
  }

  /** Exact cosine of the candidate chunks (float32 vectors from the database), best chunk per document. */
  async #rerank(
    query: Float32Array,
    ids: number[],
    chunkLimit: number,
    min: number,
    k: number,
  ): Promise<VectorMatch[]> {
    if (ids.length === 0) return [];
    const rows = await this.#read((x) =>
      this.#sql.raw
        ? x.all<ChunkRow>(
            `SELECT doc_id, chunk_no, embedding FROM ${TABLES.chunks} WHERE id IN (SELECT value FROM json_each(?))`,
            [JSON.stringify(ids)],
          )
        : x.query<ChunkRow>(this.knex(TABLES.chunks).select('doc_id', 'chunk_no', 'embedding').whereIn('id', ids)),
    );
    const qn = norm(query);
    const scored = rows.map((r) => {
      const v = bufferToVector(r.embedding as Uint8Array);
      const n = norm(v);
      return { docId: Number(r.doc_id), chunkNo: Number(r.chunk_no), sim: n === 0 ? 0 : dot(query, v) / (qn * n) };
    });
    scored.sort((a, b) => b.sim - a.sim);
    return bestPerDoc(scored.slice(0, chunkLimit), min, k);
  }

  /** Texts and pages of chunks, keyed `docId:chunkNo`. */
  async chunkTexts(keys: { docId: number; chunkNo: number }[]): Promise<Map<string, { text: string; page: number }>> {
    const out = new Map<string, { text: string; page: number }>();
    if (keys.length === 0) return out;
    // doc_id is the primary key's prefix: one index range per document (OR-ed pairs can scan the table).
    const wanted = new Set(keys.map((k) => `${k.docId}:${k.chunkNo}`));
    const rows = await this.#sql.select<{ doc_id: number | string; chunk_no: number; page: number; text: string }>(
      this.knex(TABLES.chunkTexts)
        .select('doc_id', 'chunk_no', 'page', 'text')
        .whereIn('doc_id', [...new Set(keys.map((k) => k.docId))]),
    );
    for (const r of rows) {
      const key = `${Number(r.doc_id)}:${Number(r.chunk_no)}`;
      if (wanted.has(key)) out.set(key, { text: r.text, page: Number(r.page) });
    }
    return out;
  }

  /** Exact search: every vector of the model (matching the filter). */
  async #scan(query: Float32Array, opts: SearchOpts, min: number): Promise<VectorMatch[]> {
    const perDocChunks = opts.firstChunkOnly ? 1 : 4;
    const chunkLimit = Math.max(opts.k * perDocChunks, 20);
    const base = this.knex({ c: TABLES.chunks }).where('c.model', this.model);
    if (hasFilter(opts.filter)) {
      base.join({ d: TABLES.docs }, 'd.doc_id', 'c.doc_id');
      applyFilter(base, opts.filter, 'd');
    }
    if (opts.excludeDocId !== undefined) base.whereNot('c.doc_id', opts.excludeDocId);
    if (opts.firstChunkOnly) base.where('c.chunk_no', 0);

    const best = new Map<number, VectorMatch>();
    const consider = (docId: number, chunkNo: number, sim: number): void => {
      if (sim < min) return;
      const cur = best.get(docId);
      if (!cur || sim > cur.similarity) best.set(docId, { docId, similarity: sim, chunkNo });
    };
    if (this.sqlVec) {
      const rows = await this.#sql.select<ChunkRow>(
        base
          .select(
            'c.doc_id',
            'c.chunk_no',
            this.knex.raw('1 - vec_distance_cosine(c.embedding, ?) AS sim', [vectorToBuffer(query)]),
          )
          .orderBy('sim', 'desc')
          .limit(chunkLimit),
      );
      for (const r of rows) consider(Number(r.doc_id), Number(r.chunk_no), Number(r.sim));
    } else {
      // In-process cosine over pages of rows; keeps only the best `chunkLimit` chunks.
      const top = new TopK<ChunkRow>(chunkLimit);
      let lastId = 0;
      for (;;) {
        const rows = await this.#sql.select<ChunkRow>(
          base
            .clone()
            .select('c.id', 'c.doc_id', 'c.chunk_no', 'c.embedding')
            .where('c.id', '>', lastId)
            .orderBy('c.id')
            .limit(5000),
        );
        if (rows.length === 0) break;
        for (const r of rows) {
          const sim = dot(query, bufferToVector(r.embedding as Uint8Array));
          top.push(sim, r);
        }
        lastId = Number(rows[rows.length - 1]?.id);
        if (rows.length < 5000) break;
      }
      for (const { score, item } of top.sorted()) consider(Number(item.doc_id), Number(item.chunk_no), score);
    }
    return [...best.values()].sort((a, b) => b.similarity - a.similarity || a.docId - b.docId).slice(0, opts.k);
  }

  async #countChunks(x: Exec): Promise<number> {
    const [row] = await x.all<{ n: number | string }>(`SELECT count(*) AS n FROM ${TABLES.chunks} WHERE model = ?`, [
      this.model,
    ]);
    return Number(row?.n ?? 0);
  }
}

type SearchOpts = VectorSearchOptions;

async function maxSeq(x: Exec): Promise<number> {
  const [row] = await x.all<{ m: number | string | null }>(MAX_SEQ);
  return Number(row?.m ?? 0);
}

async function readMeta(x: Exec): Promise<Map<string, string>> {
  const rows = await x.all<{ key: string; value: string }>(`SELECT "key", value FROM ${TABLES.meta}`);
  return new Map(rows.map((r) => [r.key, r.value]));
}

async function setMeta(x: Exec, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await x.run(
      `INSERT INTO ${TABLES.meta} ("key", value) VALUES (?, ?) ON CONFLICT ("key") DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }
}

/** Every ~1,000 changes, drop log rows older than the last {@link KEEP_CHANGES}. */
async function pruneChanges(x: Exec, from: number, to: number): Promise<void> {
  if (Math.floor(from / 1000) === Math.floor(to / 1000)) return;
  const below = to - KEEP_CHANGES;
  if (below <= 0) return;
  await x.run(`DELETE FROM ${TABLES.changes} WHERE seq < ?`, [below]);
  await setMeta(x, { changes_pruned_below: String(below) });
}

async function loadDocAttrs(x: Exec, mem: ListMemory): Promise<void> {
  let last = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await x.all<DocAttrRow>(`${DOC_ATTRS} WHERE doc_id > ? ORDER BY doc_id LIMIT ${PAGE}`, [last]);
    for (const r of rows) mem.setDoc(memoryAttrs(r));
    if (rows.length < PAGE) break;
    last = Number(rows[rows.length - 1]?.doc_id);
  }
}

/** A view of an int8 vector stored as bytes. */
function int8(b: Uint8Array): Int8Array {
  return new Int8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Best chunk per document, at least `min`, top `k` documents. `scored` is best first. */
function bestPerDoc(scored: { docId: number; chunkNo: number; sim: number }[], min: number, k: number): VectorMatch[] {
  const best = new Map<number, VectorMatch>();
  for (const { docId, chunkNo, sim } of scored) {
    if (sim < min) continue;
    const cur = best.get(docId);
    if (!cur || sim > cur.similarity) best.set(docId, { docId, similarity: sim, chunkNo });
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity || a.docId - b.docId).slice(0, k);
}

/**
 * int8 copy of a vector scaled by its own largest component (cosine is scale-invariant, so the
 * per-vector scale needs no calibration). A zero vector becomes a unit spike (cosine ≈ 0 with anything).
 */
export function quantize(v: Float32Array): Buffer {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i] as number));
  const q = new Int8Array(v.length);
  if (max === 0) q[0] = 1;
  else for (let i = 0; i < v.length; i++) q[i] = Math.round(((v[i] as number) * 127) / max);
  return Buffer.from(q.buffer, q.byteOffset, q.byteLength);
}

function norm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

/** Centroids packed row after row in one array (one cache-friendly pass per vector). */
function pack(centroids: Float32Array[], dims: number): Float32Array {
  const m = new Float32Array(centroids.length * dims);
  centroids.forEach((c, i) => m.set(c.subarray(0, dims), i * dims));
  return m;
}

/** Index of the row of `packed` (centroids, `dims` wide) with the highest dot product with `v`: the loop that dominates training. */
function nearest(packed: Float32Array, dims: number, v: Float32Array): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  const k = packed.length / dims;
  const d4 = dims - (dims % 4);
  for (let i = 0; i < k; i++) {
    const o = i * dims;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d4; j += 4) {
      s0 += (packed[o + j] as number) * (v[j] as number);
      s1 += (packed[o + j + 1] as number) * (v[j + 1] as number);
      s2 += (packed[o + j + 2] as number) * (v[j + 2] as number);
      s3 += (packed[o + j + 3] as number) * (v[j + 3] as number);
    }
    for (let j = d4; j < dims; j++) s0 += (packed[o + j] as number) * (v[j] as number);
    const s = s0 + s1 + s2 + s3;
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/** Spherical k-means (8 Lloyd iterations) over `sample`, seeded by picks spread over the sample. */
function kmeans(sample: Float32Array[], lists: number, dims: number): Float32Array[] {
  const centroids = seedCentroids(sample, lists);
  const assign = new Int32Array(sample.length);
  for (let iter = 0; iter < 8; iter++) {
    const packed = pack(centroids, dims);
    sample.forEach((v, i) => (assign[i] = nearest(packed, dims, v)));
    const sums = centroids.map(() => new Float32Array(dims));
    const counts = new Int32Array(centroids.length);
    sample.forEach((v, i) => {
      const c = assign[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const s = sums[c] as Float32Array;
      for (let j = 0; j < v.length; j++) s[j] = (s[j] as number) + (v[j] as number);
    });
    sums.forEach((s, c) => {
      if ((counts[c] as number) > 0) {
        let n = 0;
        for (let j = 0; j < s.length; j++) n += (s[j] as number) ** 2;
        n = Math.sqrt(n) || 1;
        for (let j = 0; j < s.length; j++) s[j] = (s[j] as number) / n;
        centroids[c] = s;
      }
    });
  }
  return centroids;
}

/** Deterministic farthest-point-flavoured seeding: spread picks over the sample. */
function seedCentroids(sample: Float32Array[], k: number): Float32Array[] {
  const out: Float32Array[] = [];
  if (sample.length === 0) return out;
  const step = sample.length / Math.min(k, sample.length);
  for (let i = 0; out.length < Math.min(k, sample.length); i++)
    out.push(Float32Array.from(sample[Math.floor(i * step)] as Float32Array));
  return out;
}

/** Keeps the `k` highest-scoring items (a small binary min-heap). */
class TopK<T> {
  readonly #heap: { score: number; item: T }[] = [];
  constructor(private readonly k: number) {}

  push(score: number, item: T): void {
    const h = this.#heap;
    if (h.length < this.k) {
      h.push({ score, item });
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if ((h[p] as { score: number }).score <= score) break;
        [h[i], h[p]] = [h[p] as { score: number; item: T }, h[i] as { score: number; item: T }];
        i = p;
      }
    } else if (score > (h[0] as { score: number }).score) {
      h[0] = { score, item };
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as { score: number }).score < (h[m] as { score: number }).score) m = l;
        if (r < h.length && (h[r] as { score: number }).score < (h[m] as { score: number }).score) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as { score: number; item: T }, h[i] as { score: number; item: T }];
        i = m;
      }
    }
  }

  sorted(): { score: number; item: T }[] {
    return [...this.#heap].sort((a, b) => b.score - a.score);
  }
}
