import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempPostgres, requirePostgresUnlessLocal } from '@autod/testkit';
import { offlineDataDir, REPO, runCli } from './helpers.js';

// The built `autod` (apps/cli/dist/bin.js) is a bundle (apps/cli/rolldown.config.ts): knex, zod, commander and the
// workspace packages a read-only command needs are in its chunks; the database drivers knex requires by name, and the
// heavy packages, are imported from node_modules when used.

let work: string;
let hook: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-e2e-bundle-'));
  // Records the URL of every module node loads (import and require) into $AUTOD_TEST_MODULE_LOG at exit.
  hook = join(work, 'record-modules.mjs');
  await writeFile(
    hook,
    [
      "import { registerHooks } from 'node:module';",
      "import { writeFileSync } from 'node:fs';",
      'const seen = [];',
      'registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });',
      "process.on('exit', () => writeFileSync(process.env.AUTOD_TEST_MODULE_LOG, seen.join('\\n')));",
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const dataDir = (name: string) => offlineDataDir(work, name);

describe('the bundled autod CLI', () => {
  it('list loads its code from the bundle, the SQLite driver from node_modules, and no runtime package', async () => {
    const { dir, env } = await dataDir('modules');
    const log = join(work, 'modules.txt');
    const r = await runCli(
      ['list', '--json'],
      { ...env, NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`, AUTOD_TEST_MODULE_LOG: log },
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 0, items: [] });
    const urls = (await readFile(log, 'utf8')).split('\n').filter((u) => u.startsWith('file:'));
    const cliDist = pathToFileURL(join(REPO, 'apps/cli/dist')).href;
    // The CLI's own modules: the entry and its chunks, nothing of tsc's per-file output.
    expect(
      urls
        .filter((u) => u.startsWith(`${cliDist}/`))
        .every((u) => u === `${cliDist}/bin.js` || u.startsWith(`${cliDist}/chunks/`)),
    ).toBe(true);
    // knex (with lodash), zod and commander come from the bundle, not their packages.
    expect(urls.filter((u) => /\/node_modules\/(knex|lodash|zod|commander)\//.test(u))).toEqual([]);
    // The workspace packages in the bundle are not loaded again from their builds; the runtime parts not at all.
    expect(
      urls.filter((u) =>
        /\/packages\/(core|config|db|runtime|pipeline|extract|batch|vector-store|api-client)\//.test(u),
      ),
    ).toEqual([]);
    // knex's SQLite dialect requires its driver by name: the real package, resolved from the CLI.
    expect(urls.some((u) => /\/node_modules\/better-sqlite3\/lib\//.test(u))).toBe(true);
    // Nor does it build the metadata schemas (@autod/core's schema module, ~25 ms of zod at start): no chunk it loads
    // holds them. One of their descriptions stands for them.
    const loaded = urls.filter((u) => u.startsWith(`${cliDist}/`));
    const withSchemas = [];
    for (const u of loaded) if ((await readFile(new URL(u), 'utf8')).includes('Evidence for ')) withSchemas.push(u);
    expect(withSchemas).toEqual([]);
    const all = await readdir(join(REPO, 'apps/cli/dist/chunks'));
    const schemaChunks = [];
    for (const f of all)
      if ((await readFile(join(REPO, 'apps/cli/dist/chunks', f), 'utf8')).includes('Evidence for '))
        schemaChunks.push(f);
    expect(schemaChunks.length).toBeGreaterThan(0); // the marker is still there to be found
  });

  it('process loads the libraries of images, PDF writing, queue mode, pretty logs, the OpenAI SDK, token counting and e-mail only when it needs them', async () => {
    const { dir, env } = await dataDir('lazy');
    const log = join(work, 'lazy-modules.txt');
    const r = await runCli(
      ['process'],
      { ...env, NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`, AUTOD_TEST_MODULE_LOG: log },
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const urls = (await readFile(log, 'utf8')).split('\n').filter((u) => u.startsWith('file:'));
    // The runtime was loaded (the check below is not vacuous)…
    expect(urls.some((u) => /\/node_modules\/better-sqlite3\/lib\//.test(u))).toBe(true);
    expect(urls.some((u) => /\/node_modules\/\.pnpm\/knex@/.test(u) || /\/packages\/pipeline\//.test(u))).toBe(true);
    expect(urls.some((u) => /\/packages\/api-client\/dist\/tokens\.js$/.test(u))).toBe(true);
    expect(urls.some((u) => /\/packages\/ops\/dist\/channels\.js$/.test(u))).toBe(true);
    // …but not sharp, pdf-lib, BullMQ, ioredis, pino-pretty or openai: an empty inbox, no queue, output to a pipe, the
    // local provider (the SDK is ~240 modules, loaded on the first API call); nor the 2.3 MB of token ranks (loaded by
    // the first token count) or nodemailer (by the first alert e-mail).
    const lazy = urls.filter((u) =>
      /\/node_modules\/(sharp|pdf-lib|bullmq|ioredis|pino-pretty|openai|js-tiktoken\/dist\/ranks|nodemailer)\//.test(u),
    );
    expect(lazy).toEqual([]);
  });

  it('opens SQLite through the sqlite3 driver too (AUTOD_SQLITE_DRIVER)', async () => {
    const { dir, env } = await dataDir('sqlite3');
    const r = await runCli(['list', '--json'], { ...env, AUTOD_SQLITE_DRIVER: 'sqlite3' }, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 0 });
  });

  it('opens PostgreSQL (knex requires pg by name from the bundle)', async () => {
    if (!(await requirePostgresUnlessLocal())) return;
    const pg = await createTempPostgres();
    try {
      const { dir, env } = await dataDir('pg');
      const migrate = await runCli(['migrate', '--json', '--db-url', pg.url], env, dir);
      expect(migrate.code, migrate.stderr).toBe(0);
      const list = await runCli(['list', '--json', '--db-url', pg.url], env, dir);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toMatchObject({ total: 0, items: [] });
    } finally {
      await pg.drop();
    }
  });
});
