// The `autod` executable (dist/bin.js) as a bundle: a handful of files instead of the ~560 modules (knex and its
// lodash, zod, commander, the workspace packages) a read-only command used to load one by one. Why rolldown:
// docs/adr/0010-cli-bundle.md. `tsc` still builds the library export (dist/index.js, types); this file runs after it.
import { rmSync } from 'node:fs';
import { defineConfig, type Plugin } from 'rolldown';

/**
 * Kept out of the bundle and imported from the package at run time:
 * - `@autod/errors`, so there is one copy of the error classes (`instanceof AutodError` keeps working across the
 *   bundle and the packages loaded below);
 * - the heavy parts only some commands load, each when that command runs (runtime: OpenAI client, pdf.js, OCR,
 *   queues, vector index; server; batch...). They resolve their own dependencies from their own folders;
 * - native addons and the database drivers knex requires by name (dependencies of this package, so they resolve
 *   from dist/), and knex's drivers for databases autod does not support (not installed; never required).
 */
const EXTERNAL_PACKAGES = [
  '@autod/errors',
  '@autod/runtime',
  '@autod/pipeline',
  '@autod/server',
  '@autod/extract',
  '@autod/batch',
  '@autod/web',
  '@autod/ops',
  '@autod/vector-store',
  '@autod/api-client',
  'better-sqlite3',
  'sqlite3',
  'pg',
  'pg-native',
  'pg-query-stream',
  'mysql',
  'mysql2',
  'mariadb',
  'oracledb',
  'tedious',
];

const isExternal = (id: string): boolean => EXTERNAL_PACKAGES.some((p) => id === p || id.startsWith(`${p}/`));

/**
 * `const require = createRequire(import.meta.url)` in a workspace package's build (e.g. @autod/db reaching knex's
 * SQLite dialect classes) would resolve from the bundle's folder at run time and load a second knex. Dropping the
 * declaration turns those calls into plain `require()`s, which the bundler follows and bundles like any other.
 */
const bundleCreateRequire: Plugin = {
  name: 'autod:bundle-create-require',
  transform: {
    filter: { id: /[\\/](packages|apps)[\\/][^\\/]+[\\/]dist[\\/]/, code: 'createRequire(import.meta.url)' },
    handler(code) {
      const declaration = /^const require = createRequire\(import\.meta\.url\);$/m;
      return declaration.test(code) ? { code: code.replace(declaration, ''), map: null } : null;
    },
  },
};

/** Chunks carry content hashes: drop the previous build's before writing (dist/ itself also holds tsc's output). */
const cleanChunks: Plugin = {
  name: 'autod:clean-chunks',
  buildStart() {
    rmSync(new URL('./dist/chunks', import.meta.url), { recursive: true, force: true });
  },
};

export default defineConfig({
  input: { bin: 'src/bin.ts' },
  platform: 'node',
  external: isExternal,
  plugins: [cleanChunks, bundleCreateRequire],
  output: {
    dir: 'dist',
    format: 'esm',
    // Every chunk one folder below dist/, as tsc's dist/commands/*.js are.
    chunkFileNames: 'chunks/[name]-[hash].js',
  },
});
