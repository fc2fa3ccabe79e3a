import { SETTINGS, type Config } from './settings.js';
import { redactUrl, urlPasswords } from './urls.js';

/** What a set secret looks like in printouts. */
export const REDACTED = '***set***';

function getPath(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/**
 * A printable copy of the config: secrets become `"***set***"` (absent when unset), passwords in
 * URLs (database, Redis, webhooks) become `***`. Safe for `autod config`, logs and `--json`.
 */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const { meta, path } of SETTINGS) {
    const value = getPath(copy, path);
    if (value === undefined) continue;
    if (meta.secret) setPath(copy, path, REDACTED);
    else if ((meta.urlCredentials || meta.kind === 'dbUrl') && typeof value === 'string') {
      setPath(copy, path, redactUrl(value));
    }
  }
  return copy;
}

/** Every secret string held by the config (secret values and URL passwords), longest first. */
export function secretValues(config: Config): string[] {
  const found = new Set<string>();
  for (const { meta, path } of SETTINGS) {
    const value = getPath(config, path);
    if (typeof value !== 'string') continue;
    if (meta.secret) found.add(value);
    if (meta.urlCredentials || meta.kind === 'dbUrl') for (const p of urlPasswords(value)) found.add(p);
  }
  return [...found].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Secrets shorter than this are not searched for in free text (they would match ordinary words). */
export const MIN_SECRET_LENGTH = 4;

/** Replace every occurrence of any secret held by `config` in `text` with `***`. */
export function redactSecrets(text: string, config: Config): string {
  let out = text;
  for (const secret of secretValues(config)) out = out.split(secret).join('***');
  return out;
}
