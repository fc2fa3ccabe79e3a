import { describe, expect, it } from 'vitest';
import { isAutodError } from '@autod/errors';
import { isMigrationRace, withMigrationRetry } from './migrate-retry.js';

describe('withMigrationRetry', () => {
  it('retries while another process holds the migration lock', async () => {
    let calls = 0;
    const result = await withMigrationRetry(async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('Migration table is already locked'), { name: 'MigrationLocked' });
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('rethrows other errors at once', async () => {
    let calls = 0;
    await expect(
      withMigrationRetry(async () => {
        calls++;
        throw new Error('syntax error at or near "CREATE"');
      }),
    ).rejects.toThrow('syntax error');
    expect(calls).toBe(1);
  });

  it('gives up with DB_UNAVAILABLE after the attempts', async () => {
    const error = await withMigrationRetry(async () => {
      throw new Error('duplicate key value violates unique constraint "pg_type_typname_nsp_index"');
    }, 2).catch((e: unknown) => e);
    expect(isAutodError(error) && error.code).toBe('DB_UNAVAILABLE');
  });
});

describe('isMigrationRace', () => {
  it.each([
    ['MigrationLocked', 'Migration table is already locked', true],
    ['Error', 'SQLITE_BUSY: database is locked', true],
    ['error', 'relation "knex_migrations" already exists', true],
    ['error', 'duplicate key value violates unique constraint "pg_type_typname_nsp_index"', true],
    ['Error', 'SQLITE_CONSTRAINT: UNIQUE constraint failed: knex_migrations.id', true],
    [
      'SqliteError',
      'ALTER TABLE documents ADD COLUMN strikes integer NOT NULL DEFAULT 0 - duplicate column name: strikes',
      true,
    ],
    ['error', 'syntax error at or near "CREATE"', false],
    ['Error', 'SQLITE_FULL: database or disk is full', false],
  ])('%s: %s -> %s', (name, message, race) => {
    expect(isMigrationRace(Object.assign(new Error(message), { name }))).toBe(race);
  });
});
