import { ZERO_USAGE, addUsage, type TokenUsage } from '@autod/core';
import type { Pricer } from './pricer.js';
import type { Call, CallSpec, Called, Send } from './transport.js';
import type { BatchItemResult, CallMeter, MeterTicket } from './types.js';
import type { Warnings } from './warnings.js';

/** The spend-ledger handle of a Batch API job. */
export function batchRef(batchId: string): string {
  return `batch:${batchId}`;
}

export interface MeteringOptions {
  /** The caller's spend ledger (none: nothing is metered). */
  meter?: CallMeter | undefined;
  /** The unmetered call path. */
  send: Call;
  pricer: Pricer;
  warnings: Warnings;
}

/**
 * Usage and cost metering: every paid call is reserved through the caller's `CallMeter` before it is sent and settled
 * with its billed usage after (released when it got no answer); a Batch API job is reserved when it is submitted and
 * settled when its results are read. A ledger write that fails is a warning, never a failed call.
 */
export class Metering {
  readonly #meter: CallMeter | undefined;
  readonly #send: Call;
  readonly #pricer: Pricer;
  readonly #warnings: Warnings;

  constructor(options: MeteringOptions) {
    this.#meter = options.meter;
    this.#send = options.send;
    this.#pricer = options.pricer;
    this.#warnings = options.warnings;
  }

  /** Send a call; a paid one with a model is reserved first and settled with its usage after. */
  readonly call: Call = async <T>(spec: CallSpec<T>, send: Send<T>): Promise<Called<T>> => {
    if (!spec.paid || !spec.model || !this.#meter) return this.#send(spec, send);
    // Reserved before anything is sent: a refusal (BUDGET_EXCEEDED) throws here and nothing is billed.
    const ticket = await this.#meter.reserve({
      operation: spec.operation,
      model: spec.model,
      estimatedUsd: spec.paid.estimatedUsd,
      batch: false,
      ...(spec.paid.source !== undefined ? { source: spec.paid.source } : {}),
    });
    let called: Called<T>;
    try {
      called = await this.#send(spec, send);
    } catch (error) {
      // No answer, nothing billed (HTTP errors are not billed; our retries only resend after one).
      await this.#write(ticket, (t) => t.release());
      throw error;
    }
    const usage = spec.usage?.(called.data) ?? ZERO_USAGE;
    await this.#write(ticket, (t) => t.settle({ usage, costUsd: this.#pricer.price(usage, spec.model) }));
    return called;
  };

  /**
   * Create a Batch API job with its whole estimate reserved at Batch API prices (when there is a meter): released
   * when `create` fails, kept under the job's `batchRef` for `settleBatch` when it succeeds.
   */
  async reserveBatch<T extends { batchId: string }>(
    reservation: { model: string; estimatedUsd: () => number },
    create: () => Promise<T>,
  ): Promise<T> {
    const ticket = this.#meter
      ? await this.#meter.reserve({
          operation: 'batches.create',
          model: reservation.model,
          estimatedUsd: reservation.estimatedUsd(),
          batch: true,
        })
      : undefined;
    let created: T;
    try {
      created = await create();
    } catch (error) {
      if (ticket) await this.#write(ticket, (t) => t.release());
      throw error;
    }
    if (ticket) await this.#write(ticket, (t) => t.attach(batchRef(created.batchId)));
    return created;
  }

  /** Settle a batch's reservation with what its lines were billed (idempotent: read twice, settled once). */
  async settleBatch(batchId: string, results: Iterable<BatchItemResult>): Promise<void> {
    if (!this.#meter) return;
    let usage: TokenUsage = ZERO_USAGE;
    let costUsd = 0;
    for (const r of results) {
      if (r.usage) usage = addUsage(usage, r.usage);
      costUsd += r.costUsd ?? 0;
    }
    await this.#meter.settleRef(batchRef(batchId), { usage, costUsd }).catch((error: unknown) => {
      this.#warnings.once(
        'meter:batch',
        'A batch could not be settled in the spend ledger; it is counted at its estimate.',
        {
          batchId,
          error: error instanceof Error ? error.message : String(error),
        },
      );
    });
  }

  /** A ledger write that failed leaves the reservation pending (counted at its estimate): say so, do not fail the call. */
  async #write(ticket: MeterTicket, op: (t: MeterTicket) => Promise<void>): Promise<void> {
    try {
      await op(ticket);
    } catch (error) {
      this.#warnings.say('A paid call could not be settled in the spend ledger; it is counted at its estimate.', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
