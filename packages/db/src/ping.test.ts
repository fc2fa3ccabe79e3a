import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAutodError } from '@autod/errors';
import { createDatabase, type SqliteDriver } from './database.js';

describe('ping (the readiness probe)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it.each<SqliteDriver>(['better-sqlite3', 'sqlite3'])(
    'answers again and again on the one %s connection, inside a transaction too, and fails once closed',
    async (driver) => {
      dir = await mkdtemp(join(tmpdir(), 'autod-ping-'));
      const db = await createDatabase({ url: `sqlite:${join(dir, 'a.db')}`, sqliteDriver: driver });
      for (let i = 0; i < 20; i++) await db.ping();
      await Promise.all([db.ping(), db.ping(), db.ping()]);
      await db.knex.transaction(async (trx) => {
        await trx.raw('SELECT 1');
      });
      await db.ping();
      await db.close();
      const error = await db.ping().catch((e: unknown) => e);
      expect(isAutodError(error)).toBe(true);
    },
  );
});
