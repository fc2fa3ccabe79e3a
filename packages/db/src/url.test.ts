import { isAutodError } from '@autod/errors';
import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, redactDatabaseUrl } from './url.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['data/autod.db', 'data/autod.db'],
    ['/var/lib/autod.db', '/var/lib/autod.db'],
    ['sqlite:data/x.db', 'data/x.db'],
    ['sqlite:///paper_autopilot.db', 'paper_autopilot.db'],
    ['sqlite:////abs/path.db', '/abs/path.db'],
  ])('%s is a SQLite file %s', (url, filename) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'sqlite', filename, memory: false });
  });

  it.each([':memory:', 'sqlite::memory:', 'sqlite://'])('%s is an in-memory SQLite database', (url) => {
    expect(parseDatabaseUrl(url)).toMatchObject({ dialect: 'sqlite', memory: true, filename: ':memory:' });
  });

  it('recognises PostgreSQL URLs', () => {
    expect(parseDatabaseUrl('postgresql://u:secret@db.example:6543/autod')).toEqual({
      dialect: 'postgres',
      connectionString: 'postgresql://u:secret@db.example:6543/autod',
      host: 'db.example',
      database: 'autod',
    });
    expect(parseDatabaseUrl('postgres://127.0.0.1')).toMatchObject({ dialect: 'postgres', database: 'postgres' });
  });

  it('rejects other schemes without echoing the password', () => {
    let caught: unknown;
    try {
      parseDatabaseUrl('mysql://root:hunter2@localhost/db');
    } catch (error) {
      caught = error;
    }
    expect(isAutodError(caught) && caught.code).toBe('CFG_INVALID');
    expect(String((caught as Error).message)).not.toContain('hunter2');
    expect(() => parseDatabaseUrl('  ')).toThrow(/empty/);
  });
});

describe('redactDatabaseUrl', () => {
  it('hides passwords in the userinfo and in query strings', () => {
    expect(redactDatabaseUrl('postgres://user:p%40ss@host:5432/db')).toBe('postgres://user:***@host:5432/db');
    expect(redactDatabaseUrl('postgres://host/db?sslmode=require&password=x1')).toBe(
      'postgres://host/db?sslmode=require&password=***',
    );
    expect(redactDatabaseUrl('postgres://user@host/db')).toBe('postgres://user@host/db');
    expect(redactDatabaseUrl('data/autod.db')).toBe('data/autod.db');
  });
});
