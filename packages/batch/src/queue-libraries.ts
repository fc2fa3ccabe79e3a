/**
 * BullMQ and ioredis, loaded on first use: only queue mode (AUTOD_QUEUE=redis, `autod worker`) needs them, and loading
 * them up front cost every command ~90 ms of start-up. `require` keeps first use synchronous (both are CommonJS).
 */
import { createRequire } from 'node:module';
import type * as BullMq from 'bullmq';
import type * as IoRedis from 'ioredis';

const load = createRequire(import.meta.url);

let bullMqModule: typeof BullMq | undefined;
let ioRedisModule: typeof IoRedis | undefined;

/** BullMQ's exports. */
export function bullmq(): typeof BullMq {
  return (bullMqModule ??= load('bullmq') as typeof BullMq);
}

/** ioredis's exports. */
export function ioredis(): typeof IoRedis {
  return (ioRedisModule ??= load('ioredis') as typeof IoRedis);
}
