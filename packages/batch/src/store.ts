import { randomBytes } from 'node:crypto';
import type { Database } from '@autod/db';
import { errorFor } from '@autod/errors';
import type {
  BatchCounts,
  BatchItem,
  BatchItemError,
  BatchItemStatus,
  BatchMode,
  BatchRecord,
  BatchStatus,
} from './types.js';

type Knex = Database['knex'];
type Row = Record<string, unknown>;

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['completed', 'completed_with_errors']);
const INSERT_CHUNK = 100;

/** A new batch id: `b` + base-36 time + random hex, sortable by creation time. */
export function newBatchId(now = Date.now()): string {
  return `b${now.toString(36)}${randomBytes(4).toString('hex')}`;
}

export interface CreateBatchInput {
  mode: BatchMode;
  inputs: string[];
  paths: string[];
  options?: Record<string, unknown>;
  estimatedCostUsd?: number | null;
  status?: BatchStatus;
}

export interface ItemPatch {
  status?: BatchItemStatus;
  sha256?: string | null;
  documentId?: number | null;
  error?: BatchItemError | null;
  attempts?: number;
  costUsd?: number;
  openaiBatchId?: string | null;
}

/** Where an item's progress is checkpointed: the store itself, or a `CheckpointWriter` in front of it. */
export interface ItemCheckpoints {
  updateItem(id: number, patch: ItemPatch): Promise<void>;
}

/**
 * The checkpoint of every batch: one `batches` row and one `batch_items` row per file (unique per batch and
 * path). Works on SQLite and PostgreSQL through the database's knex. Call `migrateBatchTables(db)` first.
 */
export class BatchStore implements ItemCheckpoints {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  private get knex(): Knex {
    return this.db.knex;
  }

  async create(input: CreateBatchInput): Promise<BatchRecord> {
    const now = this.now();
    const id = newBatchId(now);
    await this.knex('batches').insert({
      id,
      mode: input.mode,
      status: input.status ?? 'running',
      inputs: JSON.stringify(input.inputs),
      options: JSON.stringify(input.options ?? {}),
      openai_batch_ids: '[]',
      total: 0,
      estimated_cost_usd: input.estimatedCostUsd ?? null,
      created_at: now,
      updated_at: now,
    });
    await this.addItems(id, input.paths);
    return this.require(id);
  }

  /** Add files to a batch; files already in it are ignored. Returns how many were new. */
  async addItems(batchId: string, paths: string[]): Promise<number> {
    const now = this.now();
    let added = 0;
    for (let i = 0; i < paths.length; i += INSERT_CHUNK) {
      const rows = paths.slice(i, i + INSERT_CHUNK).map((path) => ({
        batch_id: batchId,
        path,
        status: 'pending',
        attempts: 0,
        cost_usd: 0,
        updated_at: now,
      }));
      const inserted = (await this.knex('batch_items')
        .insert(rows)
        .onConflict(['batch_id', 'path'])
        .ignore()
        .returning('id')) as unknown[];
      added += inserted.length;
    }
    const total = await this.knex('batch_items').where('batch_id', batchId).count({ n: '*' }).first();
    await this.knex('batches')
      .where('id', batchId)
      .update({ total: Number((total as Row | undefined)?.['n'] ?? 0), updated_at: now });
    return added;
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    const row = (await this.knex('batches').where('id', id).first()) as Row | undefined;
    return row ? toBatch(row) : undefined;
  }

  /** The batch, or NotFoundError BATCH_NOT_FOUND. */
  async require(id: string): Promise<BatchRecord> {
    const batch = await this.get(id);
    if (!batch) throw errorFor('BATCH_NOT_FOUND', `There is no batch "${id}".`, { details: { batchId: id } });
    return batch;
  }

  /** Newest first. */
  async list(options: { limit?: number | undefined; mode?: BatchMode | undefined } = {}): Promise<BatchRecord[]> {
    const q = this.knex('batches')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit ?? 50);
    if (options.mode) void q.where('mode', options.mode);
    return ((await q) as Row[]).map(toBatch);
  }

  /** The newest unfinished batch of `mode` over exactly these inputs (a plain re-run continues it). */
  async findUnfinished(mode: BatchMode, inputs: string[]): Promise<BatchRecord | undefined> {
    const rows = (await this.knex('batches')
      .where({ mode, inputs: JSON.stringify(inputs) })
      .whereNotIn('status', [...TERMINAL])
      .orderBy('created_at', 'desc')
      .limit(1)) as Row[];
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  async setStatus(id: string, status: BatchStatus): Promise<void> {
    const now = this.now();
    await this.knex('batches')
      .where('id', id)
      .update({ status, updated_at: now, finished_at: TERMINAL.has(status) ? now : null });
  }

  async setOptions(id: string, options: Record<string, unknown>): Promise<void> {
    await this.knex('batches')
      .where('id', id)
      .update({ options: JSON.stringify(options), updated_at: this.now() });
  }

  async addOpenAIBatchId(id: string, openaiBatchId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const row = (await trx.knex('batches').where('id', id).first()) as Row | undefined;
      const ids = parseJson<string[]>(row?.['openai_batch_ids'], []);
      if (!ids.includes(openaiBatchId)) ids.push(openaiBatchId);
      await trx
        .knex('batches')
        .where('id', id)
        .update({ openai_batch_ids: JSON.stringify(ids), updated_at: this.now() });
    });
  }

  async counts(batchId: string): Promise<BatchCounts> {
    const raw: unknown = await this.knex('batch_items')
      .where('batch_id', batchId)
      .select('status')
      .count({ n: '*' })
      .sum({ cost: 'cost_usd' })
      .groupBy('status');
    const rows = raw as Row[];
    const counts: BatchCounts = { total: 0, pending: 0, done: 0, failed: 0, skipped: 0, duplicate: 0, costUsd: 0 };
    for (const row of rows) {
      const n = Number(row['n'] ?? 0);
      const status = String(row['status']) as BatchItemStatus;
      counts.total += n;
      if (status in counts) counts[status] += n;
      counts.costUsd += Number(row['cost'] ?? 0);
    }
    return counts;
  }

  async item(id: number): Promise<BatchItem | undefined> {
    const row = (await this.knex('batch_items').where('id', id).first()) as Row | undefined;
    return row ? toItem(row) : undefined;
  }

  async itemByPath(batchId: string, path: string): Promise<BatchItem | undefined> {
    const row = (await this.knex('batch_items').where({ batch_id: batchId, path }).first()) as Row | undefined;
    return row ? toItem(row) : undefined;
  }

  /** A page of items in id order (`afterId` for paging), optionally of some statuses only. */
  async items(
    batchId: string,
    options: {
      status?: BatchItemStatus | BatchItemStatus[];
      afterId?: number;
      limit?: number;
      openaiBatchId?: string | null;
    } = {},
  ): Promise<BatchItem[]> {
    const q = this.knex('batch_items')
      .where('batch_id', batchId)
      .orderBy('id', 'asc')
      .limit(options.limit ?? 500);
    if (options.status) void q.whereIn('status', Array.isArray(options.status) ? options.status : [options.status]);
    if (options.afterId !== undefined) void q.where('id', '>', options.afterId);
    if (options.openaiBatchId === null) void q.whereNull('openai_batch_id');
    else if (options.openaiBatchId !== undefined) void q.where('openai_batch_id', options.openaiBatchId);
    return ((await q) as Row[]).map(toItem);
  }

  async updateItem(id: number, patch: ItemPatch): Promise<void> {
    await this.knex('batch_items').where('id', id).update(itemRow(patch, this.now()));
  }

  /** Several item checkpoints in one transaction (one commit instead of one per item). */
  async updateItems(updates: readonly { id: number; patch: ItemPatch }[]): Promise<void> {
    const [only] = updates;
    if (updates.length === 1 && only) return this.updateItem(only.id, only.patch);
    if (updates.length === 0) return;
    const now = this.now();
    await this.db.transaction(async (trx) => {
      for (const { id, patch } of updates) await trx.knex('batch_items').where('id', id).update(itemRow(patch, now));
    });
  }

  /** Put failed items back to pending (`--retry-failed`). Returns how many. */
  async resetFailed(batchId: string): Promise<number> {
    const n = await this.knex('batch_items')
      .where({ batch_id: batchId, status: 'failed' })
      .update({ status: 'pending', error: null, attempts: 0, openai_batch_id: null, updated_at: this.now() });
    return typeof n === 'number' ? n : 0;
  }
}

function itemRow(patch: ItemPatch, now: number): Row {
  const row: Row = { updated_at: now };
  if (patch.status !== undefined) row['status'] = patch.status;
  if (patch.sha256 !== undefined) row['sha256'] = patch.sha256;
  if (patch.documentId !== undefined) row['document_id'] = patch.documentId;
  if (patch.error !== undefined) row['error'] = patch.error ? JSON.stringify(patch.error) : null;
  if (patch.attempts !== undefined) row['attempts'] = patch.attempts;
  if (patch.costUsd !== undefined) row['cost_usd'] = patch.costUsd;
  if (patch.openaiBatchId !== undefined) row['openai_batch_id'] = patch.openaiBatchId;
  return row;
}

function parseJson<T>(value: unknown, fallback: T): T {
  if (typeof value !== 'string') return (value as T | null | undefined) ?? fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

const num = (v: unknown): number => Number(v ?? 0);
const date = (v: unknown): Date => new Date(num(v));

function toBatch(r: Row): BatchRecord {
  return {
    id: String(r['id']),
    mode: r['mode'] as BatchMode,
    status: r['status'] as BatchStatus,
    inputs: parseJson<string[]>(r['inputs'], []),
    options: parseJson<Record<string, unknown>>(r['options'], {}),
    openaiBatchIds: parseJson<string[]>(r['openai_batch_ids'], []),
    total: num(r['total']),
    estimatedCostUsd:
      r['estimated_cost_usd'] === null || r['estimated_cost_usd'] === undefined ? null : num(r['estimated_cost_usd']),
    createdAt: date(r['created_at']),
    updatedAt: date(r['updated_at']),
    finishedAt: r['finished_at'] === null || r['finished_at'] === undefined ? null : date(r['finished_at']),
  };
}

function toItem(r: Row): BatchItem {
  return {
    id: num(r['id']),
    batchId: String(r['batch_id']),
    path: String(r['path']),
    sha256: (r['sha256'] as string | null) ?? null,
    status: r['status'] as BatchItemStatus,
    documentId: r['document_id'] === null || r['document_id'] === undefined ? null : num(r['document_id']),
    error: parseJson<BatchItemError | null>(r['error'], null),
    attempts: num(r['attempts']),
    costUsd: num(r['cost_usd']),
    openaiBatchId: (r['openai_batch_id'] as string | null) ?? null,
    updatedAt: date(r['updated_at']),
  };
}
