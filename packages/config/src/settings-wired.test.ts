import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeSettings } from './index.js';

/**
 * Every documented setting must be read by code outside `packages/config`: a setting nobody reads is a promise the
 * docs make and autod does not keep. A setting may only be missing here with a written reason.
 */
const NOT_READ_OUTSIDE_CONFIG: Readonly<Record<string, string>> = {
  AUTOD_PRICING_FILE:
    'read inside packages/config only: loadConfig reads and validates the file into config.cost.pricingTable (CFG_INVALID on a bad file), which the runtime reads (pricingFromConfig).',
};

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__tests__' && e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const top of ['packages', 'apps']) {
    for (const pkg of readdirSync(join(root, top), { withFileTypes: true })) {
      if (!pkg.isDirectory() || (top === 'packages' && pkg.name === 'config')) continue;
      try {
        walk(join(root, top, pkg.name, 'src'));
      } catch {
        // a package without src/
      }
    }
  }
  return out;
}

/** The source without comments (so a setting named in a doc comment does not count as read). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const access = (segments: readonly string[]): string => segments.map(esc).join('\\??\\.');

/**
 * Is `path` (e.g. `search.relevanceThreshold`) read in `text`? Either as `…config.search.relevanceThreshold`, or
 * through a local alias of part of the config (`const s = config.search; s.relevanceThreshold`, or
 * `const { search } = config; search.relevanceThreshold`).
 */
function readsPath(text: string, path: string): boolean {
  const segments = path.split('.');
  if (new RegExp(`config\\??\\.${access(segments)}\\b`).test(text)) return true;
  const aliases: [string, string[]][] = [];
  for (const m of text.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*[\w.]*?\bconfig((?:\??\.\w+)*)\s*[;\n]/g)) {
    aliases.push([m[1]!, (m[2] ?? '').split(/\??\./).filter(Boolean)]);
  }
  for (const m of text.matchAll(/\b(?:const|let)\s*\{([^}]*)\}\s*=\s*[\w.]*?\bconfig((?:\??\.\w+)*)\s*[;\n]/g)) {
    const prefix = (m[2] ?? '').split(/\??\./).filter(Boolean);
    for (const part of (m[1] ?? '').split(',')) {
      const [key, local] = part.split(':').map((x) => x.trim());
      if (key) aliases.push([local || key, [...prefix, key]]);
    }
  }
  for (const [name, prefix] of aliases) {
    if (prefix.length > segments.length || prefix.some((p, i) => segments[i] !== p)) continue;
    const rest = segments.slice(prefix.length);
    if (rest.length === 0) {
      if (new RegExp(`\\b${esc(name)}\\b(?!\\s*=)`).test(text.replace(/\b(?:const|let)\s*\{[^}]*\}/g, ''))) return true;
      continue;
    }
    if (new RegExp(`\\b${esc(name)}\\??\\.${access(rest)}\\b`).test(text)) return true;
  }
  return false;
}

describe('every setting is read by code outside packages/config', () => {
  const files = sourceFiles().map((f) => ({ file: relative(root, f), text: code(readFileSync(f, 'utf8')) }));
  const settings = describeSettings();

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.file.startsWith('apps/cli/src/'))).toBe(true);
  });

  it('the scanner follows aliases and ignores comments', () => {
    expect(readsPath('const a = config.alerts;\nuse(a.email.smtpHost);', 'alerts.email.smtpHost')).toBe(true);
    expect(readsPath('const { search } = rt.config;\nf(search.maxTopK);', 'search.maxTopK')).toBe(true);
    expect(readsPath('f(rt.config.search.maxTopK)', 'search.maxTopK')).toBe(true);
    expect(readsPath(code('// config.search.maxTopK\n/* config.search.defaultTopK */'), 'search.maxTopK')).toBe(false);
    expect(readsPath('f(config.search.maxTopKs)', 'search.maxTopK')).toBe(false);
  });

  for (const s of settings) {
    const reason = NOT_READ_OUTSIDE_CONFIG[s.name];
    it(`${s.name} (${s.path})${reason ? ' is allow-listed with a reason' : ''}`, () => {
      const readers = files.filter((f) => readsPath(f.text, s.path)).map((f) => f.file);
      if (reason) {
        expect(reason.length).toBeGreaterThan(20);
        expect(
          readers,
          `${s.name} is read now (${readers.join(', ')}): remove it from NOT_READ_OUTSIDE_CONFIG`,
        ).toEqual([]);
      } else {
        expect(
          readers.length,
          `${s.name} (config.${s.path}) is documented but no code outside packages/config reads it: implement it as documented, or remove it from settings.ts`,
        ).toBeGreaterThan(0);
      }
    });
  }

  it('the allow-list names only existing settings', () => {
    const names = new Set(settings.map((s) => s.name));
    for (const name of Object.keys(NOT_READ_OUTSIDE_CONFIG)) expect(names.has(name), name).toBe(true);
  });
});
