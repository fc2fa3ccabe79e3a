import { InternalError, toAutodError } from './autod-error.js';

/** What a compensating transaction did, handed to the audit sink once it ends. */
export interface CompensationAudit {
  /** The transaction's name (e.g. `ingest:<sha256>`). */
  name: string;
  /** `rolled_back` when every compensation succeeded, `rollback_incomplete` when at least one failed. */
  outcome: 'committed' | 'rolled_back' | 'rollback_incomplete';
  /** ISO-8601 UTC time the transaction was created. */
  startedAt: string;
  /** ISO-8601 UTC time it was committed or its rollback finished. */
  finishedAt: string;
  /** Why it rolled back (normalised with `toAutodError`). */
  cause?: { code: string; message: string };
  /** The compensations that ran, in the order they ran (last registered first). Empty on commit. */
  steps: { name: string; ok: boolean; error?: string; durationMs: number }[];
}

/** Options of `CompensatingTransaction`. */
export interface CompensatingTransactionOptions {
  /** Name in the audit record and logs (default `transaction`). */
  name?: string;
  /** Receives the audit record on commit and rollback; its own failures are logged, never thrown. */
  sink?: (record: CompensationAudit) => void | Promise<void>;
  /** Pino-compatible logger for failed compensations and sink failures. */
  logger?: { warn(obj: object, msg: string): void };
  /** Time source for `startedAt`/`finishedAt`/`durationMs` (default `Date`). */
  clock?: { now(): number };
}

/** Lifecycle of a `CompensatingTransaction`. */
export type CompensationState = 'open' | 'committed' | 'rolled_back';

/**
 * Undo side effects that cannot join a database transaction (an uploaded file, a
 * vector-store entry) when a later step fails. Register a compensation after each
 * side effect succeeds; on failure they run last-in-first-out, and a failing
 * compensation does not stop the others. Single use: once committed or rolled back,
 * further `register`/`commit`/`rollback` calls throw `InternalError`.
 *
 * Unlike the Python original, the original error is always the one rethrown by `run`;
 * compensation failures go to the audit record and the log.
 */
export class CompensatingTransaction {
  readonly #name: string;
  readonly #sink: CompensatingTransactionOptions['sink'];
  readonly #logger: CompensatingTransactionOptions['logger'];
  readonly #clock: { now(): number };
  readonly #startedAt: number;
  #steps: { name: string; compensate: () => unknown }[] = [];
  #state: CompensationState = 'open';

  constructor(options: CompensatingTransactionOptions = {}) {
    this.#name = options.name ?? 'transaction';
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date;
    this.#startedAt = this.#clock.now();
  }

  /** Register how to undo a side effect that just succeeded (sync or async; a returned promise is awaited). */
  register(name: string, compensate: () => unknown): void {
    this.#assertOpen('register');
    this.#steps.push({ name, compensate });
  }

  /** Number of registered compensations still pending. */
  get size(): number {
    return this.#steps.length;
  }

  /** `open` until `commit` or `rollback` is called. */
  get state(): CompensationState {
    return this.#state;
  }

  /** Success: forget the compensations and report `{ outcome: 'committed' }` to the sink. */
  commit(): void {
    this.#assertOpen('commit');
    this.#state = 'committed';
    this.#steps = [];
    void this.#emit(this.#audit('committed', []));
  }

  /**
   * Failure: run every compensation, last registered first, continuing past failures;
   * then hand the audit record to the sink and return it. Never throws for a failed compensation.
   */
  async rollback(cause?: unknown): Promise<CompensationAudit> {
    this.#assertOpen('rollback');
    this.#state = 'rolled_back';
    const pending = this.#steps.reverse();
    this.#steps = [];
    const steps: CompensationAudit['steps'] = [];
    for (const step of pending) {
      const t0 = this.#clock.now();
      try {
        await step.compensate();
        steps.push({ name: step.name, ok: true, durationMs: this.#clock.now() - t0 });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        steps.push({ name: step.name, ok: false, error: message, durationMs: this.#clock.now() - t0 });
        this.#logger?.warn(
          { transaction: this.#name, step: step.name, err: error },
          'Compensation failed; continuing with the rest',
        );
      }
    }
    const incomplete = steps.some((s) => !s.ok);
    const record = this.#audit(incomplete ? 'rollback_incomplete' : 'rolled_back', steps, cause);
    if (incomplete) {
      this.#logger?.warn(
        { transaction: this.#name, failed: steps.filter((s) => !s.ok).map((s) => s.name) },
        'Rollback incomplete: some side effects were not undone and need manual cleanup',
      );
    }
    await this.#emit(record);
    return record;
  }

  /** Run `fn`; commit when it resolves, otherwise roll back and rethrow the original error. */
  async run<T>(fn: (tx: CompensatingTransaction) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn(this);
    } catch (error) {
      // `fn` may have finished the transaction itself; then there is nothing left to undo.
      if (this.#state === 'open') await this.rollback(error);
      throw error;
    }
    if (this.#state === 'open') this.commit();
    return result;
  }

  #audit(outcome: CompensationAudit['outcome'], steps: CompensationAudit['steps'], cause?: unknown): CompensationAudit {
    const record: CompensationAudit = {
      name: this.#name,
      outcome,
      startedAt: new Date(this.#startedAt).toISOString(),
      finishedAt: new Date(this.#clock.now()).toISOString(),
      steps,
    };
    if (cause !== undefined) {
      const e = toAutodError(cause);
      record.cause = { code: e.code, message: e.message };
    }
    return record;
  }

  /** Hand the record to the sink; an audit failure must not replace the error being handled. */
  async #emit(record: CompensationAudit): Promise<void> {
    if (!this.#sink) return;
    try {
      await this.#sink(record);
    } catch (error) {
      this.#logger?.warn(
        { transaction: this.#name, outcome: record.outcome, err: error },
        'Compensation audit sink failed',
      );
    }
  }

  #assertOpen(action: string): void {
    if (this.#state !== 'open') {
      throw new InternalError(
        'INTERNAL',
        `Cannot ${action} transaction "${this.#name}": it is already ${this.#state.replace('_', ' ')}.`,
      );
    }
  }
}
