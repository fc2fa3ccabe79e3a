import { errorFor } from '@autod/errors';

/** Where a database URL points. */
export type ParsedDatabaseUrl =
  | { readonly dialect: 'sqlite'; /** File path or `:memory:`. */ readonly filename: string; readonly memory: boolean }
  | {
      readonly dialect: 'postgres';
      readonly connectionString: string;
      readonly host: string;
      readonly database: string;
    };

/**
 * Parse a database URL. Accepted forms:
 * - a plain file path (`data/autod.db`) or `:memory:` → SQLite;
 * - `sqlite:<path>`, `sqlite://<path>`, SQLAlchemy style `sqlite:///relative.db` and `sqlite:////abs/path.db`,
 *   `sqlite::memory:` → SQLite;
 * - `postgres://…` / `postgresql://…` → PostgreSQL.
 * Any other `scheme://` is rejected with CFG_INVALID.
 */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const raw = url.trim();
  if (raw === '')
    throw errorFor('CFG_INVALID', 'The database URL is empty; set AUTOD_DB_URL to a file path or a postgres:// URL.');
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch (cause) {
      throw errorFor('CFG_INVALID', `The database URL ${redactDatabaseUrl(raw)} is not a valid URL.`, { cause });
    }
    return {
      dialect: 'postgres',
      connectionString: raw,
      host: parsed.hostname,
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    };
  }
  if (/^sqlite:/i.test(raw)) {
    let rest = raw.slice('sqlite:'.length);
    if (rest.startsWith('//')) {
      rest = rest.slice(2);
      // SQLAlchemy: sqlite:///relative.db, sqlite:////absolute.db
      if (rest.startsWith('/')) rest = rest.slice(1);
    }
    rest = rest.split('?')[0] ?? '';
    if (rest === '' || rest === ':memory:') return { dialect: 'sqlite', filename: ':memory:', memory: true };
    return { dialect: 'sqlite', filename: decodeURIComponent(rest), memory: false };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw errorFor(
      'CFG_INVALID',
      `Unsupported database URL ${redactDatabaseUrl(raw)}; use a SQLite file path (or sqlite:<path>) or a postgres:// URL.`,
    );
  }
  if (raw === ':memory:') return { dialect: 'sqlite', filename: ':memory:', memory: true };
  return { dialect: 'sqlite', filename: raw, memory: false };
}

/** The URL with any password replaced by `***` (safe for logs and error messages). */
export function redactDatabaseUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i.exec(url);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const userinfo = m[2];
    const colon = userinfo.indexOf(':');
    const safe = colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`;
    url = `${m[1]}${safe}@${url.slice(m[0].length)}`;
  }
  // password=... in a query string (libpq style)
  return url.replace(/([?&]password=)[^&#]*/gi, '$1***');
}
