import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Expand a leading `~/` and resolve against `cwd`. */
export function resolvePath(value: string, cwd: string): string {
  const expanded = value === '~' ? homedir() : value.startsWith('~/') ? `${homedir()}${value.slice(1)}` : value;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(cwd, expanded);
}

/** Replace the password of a URL's user-info with `***`, leaving the rest of the text as written. */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/[^/?#@:\s]*):[^/?#@\s]+@/g, '$1:***@');
}

/** The password of a URL's user-info, raw and decoded (both may appear in text), or `[]`. */
export function urlPasswords(value: string): string[] {
  try {
    const url = new URL(value);
    if (url.password === '') return [];
    const raw = url.password;
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // keep raw
    }
    return raw === decoded ? [raw] : [raw, decoded];
  } catch {
    const m = /\/\/[^/@:\s]*:([^/@\s]+)@/.exec(value);
    return m?.[1] ? [m[1]] : [];
  }
}

export type DbTarget =
  | { readonly client: 'sqlite'; readonly url: string; readonly filename: string }
  | { readonly client: 'postgres'; readonly url: string };

const MEMORY = { client: 'sqlite', url: 'sqlite::memory:', filename: ':memory:' } as const;

/**
 * Understand a database setting: a plain file path, `sqlite:<path>`, SQLAlchemy's `sqlite:///rel.db` /
 * `sqlite:////abs.db`, `file:` URLs, `:memory:`, or `postgres://` / `postgresql(+driver)://`.
 * Returns an error message (without the value) when it cannot be used.
 */
export function parseDbUrl(input: string, cwd: string): DbTarget | { readonly error: string } {
  const value = input.trim();
  if (value === ':memory:') return MEMORY;
  const pg = /^(postgres|postgresql)(\+[a-z0-9_]+)?:\/\//i.exec(value);
  if (pg) {
    const url = `postgres://${value.slice(pg[0].length)}`;
    try {
      new URL(url);
    } catch {
      return { error: 'is not a valid PostgreSQL URL (postgres://user:password@host:5432/database)' };
    }
    return { client: 'postgres', url };
  }
  if (/^sqlite:/i.test(value)) {
    let rest = value.slice('sqlite:'.length);
    if (rest.startsWith('///')) rest = rest.slice(3);
    else if (rest.startsWith('//')) {
      if (rest === '//') return MEMORY;
      return { error: 'is not a valid SQLite URL (use sqlite:<path> or sqlite:///<relative path>)' };
    }
    if (rest === ':memory:') return MEMORY;
    if (rest === '') return { error: 'needs a file path after "sqlite:"' };
    const filename = resolvePath(rest, cwd);
    return { client: 'sqlite', url: `sqlite:${filename}`, filename };
  }
  if (/^file:/i.test(value)) {
    try {
      const filename = fileURLToPath(value);
      return { client: 'sqlite', url: `sqlite:${filename}`, filename };
    } catch {
      return { error: 'is not a valid file: URL' };
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value);
  if (scheme?.[1]) {
    return {
      error: `uses an unsupported database "${scheme[1].toLowerCase()}": use a SQLite file path, sqlite:<path> or postgres://…`,
    };
  }
  const filename = resolvePath(value, cwd);
  return { client: 'sqlite', url: `sqlite:${filename}`, filename };
}
