import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseDbUrl, redactUrl } from './index.js';

const cwd = '/srv/app';

describe('parseDbUrl', () => {
  it.each([
    ['autod.sqlite', '/srv/app/autod.sqlite'],
    ['./data/a.db', '/srv/app/data/a.db'],
    ['/var/lib/autod.db', '/var/lib/autod.db'],
    ['sqlite:data/a.db', '/srv/app/data/a.db'],
    ['sqlite:/abs/a.db', '/abs/a.db'],
    ['sqlite:///paper_autopilot.db', '/srv/app/paper_autopilot.db'],
    ['sqlite:////abs/paper.db', '/abs/paper.db'],
    ['file:///abs/f.db', '/abs/f.db'],
    ['~/autod.db', `${homedir()}/autod.db`],
  ])('%s is the SQLite file %s', (input, filename) => {
    expect(parseDbUrl(input, cwd)).toEqual({ client: 'sqlite', url: `sqlite:${filename}`, filename });
  });

  it.each([':memory:', 'sqlite::memory:', 'sqlite:///:memory:', 'sqlite://'])('%s is in memory', (input) => {
    expect(parseDbUrl(input, cwd)).toEqual({ client: 'sqlite', url: 'sqlite::memory:', filename: ':memory:' });
  });

  it.each([
    ['postgres://u:p@h:5432/db', 'postgres://u:p@h:5432/db'],
    ['postgresql://u@h/db?sslmode=require', 'postgres://u@h/db?sslmode=require'],
    ['POSTGRESQL+psycopg2://u:p@h/db', 'postgres://u:p@h/db'],
  ])('%s is PostgreSQL', (input, url) => {
    expect(parseDbUrl(input, cwd)).toEqual({ client: 'postgres', url });
  });

  it.each(['mysql://u:p@h/db', 'sqlite:', 'sqlite://host/db', 'postgres://[bad'])('%s is rejected', (input) => {
    const result = parseDbUrl(input, cwd);
    expect('error' in result).toBe(true);
    if ('error' in result) expect(result.error).not.toContain('p@h');
  });
});

describe('redactUrl', () => {
  it('hides passwords and keeps everything else', () => {
    expect(redactUrl('postgres://u:pw@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('redis://:pw@h:6379')).toBe('redis://:***@h:6379');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactUrl('not a url //u:pw@x')).toBe('not a url //u:***@x');
  });
});
