import { describe, expect, it, vi } from 'vitest';
import { errorFor } from './autod-error.js';
import { CompensatingTransaction, type CompensationAudit } from './compensating-transaction.js';
import { fakeTime } from './__tests__/fake-time.js';

function setup(name = 'ingest:abc') {
  const t = fakeTime(Date.parse('2025-03-01T10:00:00.000Z'));
  const records: CompensationAudit[] = [];
  const logger = { warn: vi.fn() };
  const tx = new CompensatingTransaction({ name, sink: (r) => void records.push(r), logger, clock: t.clock });
  return { t, tx, records, logger };
}

describe('CompensatingTransaction', () => {
  it('runs compensations last-in-first-out, awaiting async ones', async () => {
    const { tx } = setup();
    const order: string[] = [];
    tx.register('delete upload', () => void order.push('upload'));
    tx.register('remove vector entry', async () => {
      await Promise.resolve();
      order.push('vector');
    });
    tx.register('delete row', () => void order.push('row'));
    expect(tx.size).toBe(3);
    await tx.rollback(new Error('db commit failed'));
    expect(order).toEqual(['row', 'vector', 'upload']);
    expect(tx.size).toBe(0);
    expect(tx.state).toBe('rolled_back');
  });

  it('keeps going past a failing compensation and reports it in the audit record', async () => {
    const { t, tx, records, logger } = setup();
    const ran: string[] = [];
    tx.register('delete file', () => {
      t.advance(30);
      ran.push('file');
    });
    tx.register('delete vector entry', async () => {
      t.advance(5);
      throw new Error('vector store unreachable');
    });
    tx.register('drop temp', () => {
      ran.push('temp');
    });
    t.advance(100);
    const audit = await tx.rollback(errorFor('DB_UNAVAILABLE', 'commit failed'));

    expect(ran).toEqual(['temp', 'file']);
    expect(audit).toEqual({
      name: 'ingest:abc',
      outcome: 'rollback_incomplete',
      startedAt: '2025-03-01T10:00:00.000Z',
      finishedAt: '2025-03-01T10:00:00.135Z',
      cause: { code: 'DB_UNAVAILABLE', message: 'commit failed' },
      steps: [
        { name: 'drop temp', ok: true, durationMs: 0 },
        { name: 'delete vector entry', ok: false, error: 'vector store unreachable', durationMs: 5 },
        { name: 'delete file', ok: true, durationMs: 30 },
      ],
    });
    expect(records).toEqual([audit]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ transaction: 'ingest:abc', step: 'delete vector entry' }),
      expect.stringContaining('Compensation failed'),
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ failed: ['delete vector entry'] }),
      expect.any(String),
    );
  });

  it('reports rolled_back when every compensation succeeds, normalising a non-Autod cause', async () => {
    const { tx, records } = setup();
    tx.register('a', () => undefined);
    const audit = await tx.rollback(new TypeError('boom'));
    expect(audit.outcome).toBe('rolled_back');
    expect(audit.cause).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(audit.steps).toEqual([{ name: 'a', ok: true, durationMs: 0 }]);
    expect(records).toHaveLength(1);
  });

  it('omits the cause when none is given and records a non-Error throw as text', async () => {
    const { tx } = setup();
    tx.register('weird', () => {
      throw 'nope';
    });
    const audit = await tx.rollback();
    expect(audit).not.toHaveProperty('cause');
    expect(audit.steps[0]).toMatchObject({ ok: false, error: 'nope' });
  });

  it('commit forgets the compensations and tells the sink', () => {
    const { tx, records } = setup('tx1');
    const undo = vi.fn();
    tx.register('undo', undo);
    tx.commit();
    expect(undo).not.toHaveBeenCalled();
    expect(tx.size).toBe(0);
    expect(records).toEqual([
      {
        name: 'tx1',
        outcome: 'committed',
        startedAt: '2025-03-01T10:00:00.000Z',
        finishedAt: '2025-03-01T10:00:00.000Z',
        steps: [],
      },
    ]);
  });

  it('is single-use: register, commit and rollback after the end throw INTERNAL', async () => {
    const { tx } = setup();
    tx.commit();
    expect(() => tx.register('late', () => undefined)).toThrow(/already committed/);
    expect(() => tx.commit()).toThrow(/already committed/);
    await expect(tx.rollback()).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('logs but never throws when the sink fails (sync or async)', async () => {
    const logger = { warn: vi.fn() };
    const tx = new CompensatingTransaction({
      logger,
      sink: async () => {
        throw new Error('audit table missing');
      },
    });
    tx.register('a', () => undefined);
    await expect(tx.rollback(new Error('x'))).resolves.toMatchObject({ outcome: 'rolled_back', name: 'transaction' });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ outcome: 'rolled_back' }),
      expect.stringContaining('sink failed'),
    );

    const tx2 = new CompensatingTransaction({
      logger,
      sink: () => {
        throw new Error('sync sink failure');
      },
    });
    expect(() => tx2.commit()).not.toThrow();
    await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(2));
  });

  describe('run', () => {
    it('commits and returns the result on success', async () => {
      const { tx, records } = setup();
      const undo = vi.fn();
      const result = await tx.run(async (t) => {
        t.register('undo', undo);
        return 'done';
      });
      expect(result).toBe('done');
      expect(undo).not.toHaveBeenCalled();
      expect(records.map((r) => r.outcome)).toEqual(['committed']);
    });

    it('rolls back and rethrows the original error, even when a compensation fails', async () => {
      const { tx, records } = setup();
      const original = errorFor('DB_UNAVAILABLE', 'insert failed');
      const undone: string[] = [];
      const err: unknown = await tx
        .run(async (t) => {
          t.register('delete file', () => void undone.push('file'));
          t.register('delete vector', () => {
            throw new Error('compensation broke');
          });
          throw original;
        })
        .catch((e: unknown) => e);
      expect(err).toBe(original);
      expect(undone).toEqual(['file']);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        outcome: 'rollback_incomplete',
        cause: { code: 'DB_UNAVAILABLE', message: 'insert failed' },
      });
    });

    it('does not finish twice when fn already committed or rolled back', async () => {
      const { tx, records } = setup();
      await expect(
        tx.run(async (t) => {
          await t.rollback(new Error('manual'));
          throw new Error('after manual rollback');
        }),
      ).rejects.toThrow('after manual rollback');
      expect(records).toHaveLength(1);

      const second = setup();
      await expect(second.tx.run(async (t) => (t.commit(), 7))).resolves.toBe(7);
      expect(second.records).toHaveLength(1);
    });
  });
});
