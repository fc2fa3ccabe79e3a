import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '@autod/ops';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';
import { AUTH, harness, invoicePdf, multipart } from './__tests__/helpers.js';

function logger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const parent = createLogger({ level, destination, pretty: false }) as unknown as FastifyBaseLogger;
  const child = vi.spyOn(parent, 'child');
  return { parent, child, lines };
}

describe('lazyChildLoggerFactory', () => {
  it('makes no child for a request that logs nothing, or only below the level', () => {
    const { parent, child, lines } = logger('info');
    const log = lazyChildLoggerFactory.call(undefined, parent, { requestId: 'r-1' }, {});
    log.debug('not at info');
    log.trace({ a: 1 }, 'nor this');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    expect(log.level).toBe('info');
  });

  it('makes the child on the first line it logs, once, with the bindings and the redaction', () => {
    const { parent, child, lines } = logger('info');
    const log = lazyChildLoggerFactory.call(undefined, parent, { requestId: 'r-2' }, {});
    log.info({ apiKey: 'sk-secret-value-123' }, 'first');
    log.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l['msg'], l['requestId'], l['level']])).toEqual([
      ['first', 'r-2', 'info'],
      ['second', 'r-2', 'warn'],
    ]);
    expect(lines[0]?.['apiKey']).not.toBe('sk-secret-value-123');
    const grandchild = log.child({ step: 'x' });
    grandchild.error('third');
    expect(lines[2]).toMatchObject({ msg: 'third', requestId: 'r-2', step: 'x' });
  });

  it('gives a route with its own log level its child at once', () => {
    const { parent, child } = logger('info');
    const log = lazyChildLoggerFactory.call(undefined, parent, { requestId: 'r-3' }, { level: 'debug' });
    expect(child).toHaveBeenCalledTimes(1);
    expect(log.level).toBe('debug');
  });

  it('still tags what a request logs with its id (the "upload accepted" line of an upload)', async () => {
    const h = await harness();
    try {
      const body = multipart('a.pdf', await invoicePdf('Lazy Logger GmbH'));
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: body.payload,
        headers: { ...AUTH, ...body.headers, 'x-request-id': 'req-lazy-1' },
      });
      expect(res.statusCode).toBe(202);
      const accepted = h.logs
        .flatMap((chunk) => chunk.split('\n'))
        .filter((l) => l.includes('upload accepted'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(accepted).toHaveLength(1);
      expect(accepted[0]?.['requestId']).toBe('req-lazy-1');
    } finally {
      await h.close();
    }
  });
});
