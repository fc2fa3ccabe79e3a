import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from './database.js';
import { prepareMigrationTables } from './migration-tables.js';
import { MIGRATIONS } from './migrations/index.js';
import { startChildWorker } from './__tests__/child-worker.js';

const WORKER = fileURLToPath(new URL('./__tests__/migrate-worker.ts', import.meta.url));

/** migrate-worker.ts in its own Node process (its own SQLite connection). */
function startWorker(url: string) {
  return startChildWorker<{ applied: number; error?: string }>(WORKER, [url], 60_000);
}

const LOCK = 'autod_test_migrations_lock';
let dir: string | undefined;
const open: Database[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function fresh(n: number): Promise<Database[]> {
  dir = await mkdtemp(join(tmpdir(), 'autod-migration-tables-'));
  const url = `sqlite:${join(dir, 'db.sqlite')}`;
  const dbs = await Promise.all(Array.from({ length: n }, () => createDatabase({ url })));
  open.push(...dbs);
  return dbs;
}

describe('prepareMigrationTables', () => {
  it('three processes migrating a fresh database at once: all succeed, one lock row (three fresh databases)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'autod-migration-tables-'));
    for (let round = 0; round < 3; round++) {
      const url = `sqlite:${join(dir, `db-${round}.sqlite`)}`;
      const workers = [0, 1, 2].map(() => startWorker(url));
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const reports = await Promise.all(workers.map((w) => w.report));
      expect(reports.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
      // The migrations ran once in all: one process applied them, the others found nothing left.
      expect(reports.reduce((n, r) => n + r.applied, 0)).toBe(MIGRATIONS.length);
      const db = await createDatabase({ url });
      open.push(db);
      expect(await db.knex('autod_migrations_lock').select('*')).toEqual([{ index: 1, is_locked: 0 }]);
    }
  });

  it('repairs a lock table that got a second row (knex could never take its lock again)', async () => {
    const [db] = await fresh(1);
    await prepareMigrationTables(db!.knex, 'autod_test_migrations');
    await db!.knex(LOCK).insert({ is_locked: 0 });
    expect(await db!.knex(LOCK).count({ n: '*' })).toEqual([{ n: 2 }]);
    await prepareMigrationTables(db!.knex, 'autod_test_migrations');
    expect(await db!.knex(LOCK).select('*')).toEqual([{ index: 1, is_locked: 0 }]);
  });

  it('lets the documents migrations run after such a repair', async () => {
    const [db] = await fresh(1);
    await db!.migrate.latest();
    await db!.knex('autod_migrations_lock').insert({ is_locked: 0 });
    await db!.migrate.rollback();
    expect((await db!.migrate.latest()).length).toBeGreaterThan(0);
  });
});
