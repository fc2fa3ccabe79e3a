import { RateLimiter } from '@autod/api-client';
import { delay, errorFor } from '@autod/errors';
import type { Redis } from 'ioredis';

// Pacing on the Redis clock: a grant is allowed when the stored "next free slot" has passed; it then moves the slot
// one interval on. Returns 0 (granted) or how many ms to wait.
const PACE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nextSlot = tonumber(redis.call('GET', KEYS[1]) or '0')
if nextSlot <= now then
  redis.call('SET', KEYS[1], tostring(now + interval), 'PX', interval * 2 + 1000)
  return 0
end
return nextSlot - now
`;

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** Shared key, e.g. `<prefix>:rate:openai`; every process using it shares one budget. */
  key: string;
  rpm: number;
}

/**
 * A requests-per-minute limiter shared by every process on the same Redis key: requests are paced one per
 * `60000 / rpm` ms on Redis's clock, so no 60 s window (nor any shorter window, proportionally) ever holds more than
 * `rpm` requests across all workers — HTTP retries and repair calls included. Pass it to `ApiClient` as `limiter`.
 */
export class RedisRateLimiter extends RateLimiter {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #interval: number;
  readonly #rpm: number;

  constructor(options: RedisRateLimiterOptions) {
    super({});
    if (!(options.rpm > 0)) throw errorFor('CFG_INVALID', `rpm must be positive (got ${options.rpm}).`);
    this.#redis = options.redis;
    this.#key = options.key;
    this.#rpm = options.rpm;
    this.#interval = Math.ceil(60_000 / options.rpm);
  }

  override get currentRpm(): number {
    return this.#rpm;
  }

  override async acquire(_tokens: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted)
        throw errorFor('ABORTED', 'Cancelled while waiting for the rate limiter.', { cause: signal.reason });
      let wait: number;
      try {
        wait = Number(await this.#redis.eval(PACE, 1, this.#key, String(this.#interval)));
      } catch (cause) {
        throw errorFor('QUEUE_UNAVAILABLE', 'The shared rate limiter in Redis cannot be reached.', { cause });
      }
      if (wait <= 0) return;
      await delay(wait + Math.floor(Math.random() * 3), signal);
    }
  }

  override onRateLimited(): void {}
  override onSuccess(): void {}
}
