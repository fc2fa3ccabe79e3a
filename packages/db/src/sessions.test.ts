import { createTempPostgres, requirePostgresUnlessLocal, tempSqliteUrl } from '@autod/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from './index.js';

const pgOk = await requirePostgresUnlessLocal();
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

describe.each([
  { name: 'SQLite', pg: false },
  { name: 'PostgreSQL', pg: true },
])('sessions on $name', (target) => {
  const skip = target.pg && !pgOk;
  let db: Database;
  let dispose: () => Promise<void>;
  let now = T0;

  beforeAll(async () => {
    if (skip) return;
    const t = target.pg ? await createTempPostgres() : await tempSqliteUrl();
    dispose = 'drop' in t ? t.drop : t.cleanup;
    db = await createDatabase({ url: t.url, clock: () => now });
    await db.migrate.latest();
  });
  afterAll(async () => {
    if (skip) return;
    await db.close();
    await dispose();
  });

  it.skipIf(skip)('stores a session, finds it until it expires, then drops it', async () => {
    now = T0;
    const created = await db.sessions.create({
      idHash: 'a'.repeat(64),
      expiresAt: new Date(T0 + HOUR),
      userAgent: 'x'.repeat(400),
    });
    expect(created.userAgent).toHaveLength(255);
    expect((await db.sessions.findActive('a'.repeat(64)))?.expiresAt.getTime()).toBe(T0 + HOUR);
    expect(await db.sessions.findActive('b'.repeat(64))).toBeUndefined();
    now = T0 + HOUR;
    expect(await db.sessions.findActive('a'.repeat(64))).toBeUndefined();
    // the expired row was deleted on the way
    expect(Number((await db.knex('web_sessions').count({ n: '*' }).first())?.['n'])).toBe(0);
  });

  it.skipIf(skip)('signs out and purges expired sessions', async () => {
    now = T0;
    await db.sessions.create({ idHash: 'c'.repeat(64), expiresAt: new Date(T0 + HOUR) });
    await db.sessions.create({ idHash: 'd'.repeat(64), expiresAt: new Date(T0 + 2 * HOUR) });
    expect(await db.sessions.delete('c'.repeat(64))).toBe(true);
    expect(await db.sessions.delete('c'.repeat(64))).toBe(false);
    now = T0 + 3 * HOUR;
    expect(await db.sessions.purgeExpired()).toBe(1);
    expect(await db.sessions.findActive('d'.repeat(64))).toBeUndefined();
  });
});
