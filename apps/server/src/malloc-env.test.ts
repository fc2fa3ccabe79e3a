import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

// The glibc malloc settings of `autod serve` (scripts/malloc-env.sh, sourced by the ./autod launcher): see the
// README's "Memory" section for why and what they change.
const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const script = join(repo, 'scripts/malloc-env.sh');
const DEFAULTS = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_TRIM_THRESHOLD_: '131072' };
/** Prints the MALLOC_* variables a Node process started from there sees. */
const PRINT = `process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_')))))`;
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() };

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('scripts/malloc-env.sh', () => {
  it('passes the settings to the node process started after it', async () => {
    const { stdout } = await run(
      'bash',
      ['-c', '. "$1" && exec "$2" -e "$3"', 'malloc-env', script, process.execPath, PRINT],
      { env: baseEnv },
    );
    expect(JSON.parse(stdout)).toEqual(DEFAULTS);
  });

  it('keeps a value that is already set', async () => {
    const { stdout } = await run(
      'bash',
      ['-c', '. "$1" && exec "$2" -e "$3"', 'malloc-env', script, process.execPath, PRINT],
      { env: { ...baseEnv, MALLOC_ARENA_MAX: '4' } },
    );
    expect(JSON.parse(stdout)).toEqual({ ...DEFAULTS, MALLOC_ARENA_MAX: '4' });
  });
});

describe('the ./autod launcher', () => {
  /**
   * The real launcher in a scratch copy of the repository that looks installed and built (stamps newer than every
   * source), whose CLI entry prints its environment: what `./autod serve` runs with.
   */
  async function scratchRepo(): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'autod-launcher-'));
    dirs.push(root);
    for (const d of ['scripts', 'packages', 'apps/cli/dist', 'tests', 'node_modules'])
      await mkdir(join(root, d), { recursive: true });
    await copyFile(join(repo, 'autod'), join(root, 'autod'));
    await copyFile(script, join(root, 'scripts/malloc-env.sh'));
    // Node 24 is already on PATH here: the tool bootstrap is not under test.
    await writeFile(join(root, 'scripts/env.sh'), '# test stand-in: node is on PATH\n');
    await writeFile(join(root, 'apps/cli/dist/bin.js'), `${PRINT};\n`);
    for (const f of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'turbo.json', 'tsconfig.base.json'])
      await writeFile(join(root, f), '{}\n');
    const later = new Date(Date.now() + 60_000);
    for (const stamp of ['.autod-install-stamp', '.autod-build-stamp']) {
      const path = join(root, 'node_modules', stamp);
      await writeFile(path, '');
      await utimes(path, later, later);
    }
    return root;
  }

  it('runs `serve` with the malloc settings, keeping those already set; other commands keep glibc defaults', async () => {
    const root = await scratchRepo();
    const launcher = join(root, 'autod');
    const plain = await run('bash', [launcher, 'serve'], { env: baseEnv });
    expect(JSON.parse(plain.stdout)).toEqual(DEFAULTS);
    const set = await run('bash', [launcher, 'serve'], { env: { ...baseEnv, MALLOC_MMAP_THRESHOLD_: '65536' } });
    expect(JSON.parse(set.stdout)).toEqual({ ...DEFAULTS, MALLOC_MMAP_THRESHOLD_: '65536' });
    const other = await run('bash', [launcher, 'process'], { env: baseEnv });
    expect(JSON.parse(other.stdout)).toEqual({});
  });
});
