import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../e2e/helpers.js';
import { LIBRARIES, filesOf, installPacked, readmeExample, type PackedManifest } from './packed.js';

const run = promisify(execFile);

/**
 * The published packages, as a user gets them: every library packed into a tarball (`pnpm pack`, what `pnpm
 * publish` uploads) and installed into a project outside the workspace, then each README's example run there with
 * node (type stripping), offline. A README example that no longer runs against the package, or a package that
 * resolves only inside the workspace (the `@autod/source` condition, a `workspace:` version, a file left out of
 * `files`), fails here.
 */
let root: string;
let project: string;
let manifests: PackedManifest[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'autod-packed-'));
  ({ project, manifests } = await installPacked(root));
}, 300_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('packed libraries', () => {
  it('publish only the dist exports, with real versions, public, and no tests', async () => {
    for (const m of manifests) {
      expect(m.private, m.name).toBeUndefined();
      expect(m.version, m.name).toMatch(/^\d+\.\d+\.\d+/);
      expect(JSON.stringify(m.exports), m.name).not.toContain('@autod/source');
      expect(m.exports['.'], m.name).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
      for (const [dep, range] of Object.entries(m.dependencies ?? {}))
        expect(range, `${m.name} → ${dep}`).not.toMatch(/^(workspace|catalog):/);
      const files = await filesOf(join(project, 'node_modules', m.name));
      expect(files, m.name).toContain('dist/index.js');
      expect(files, m.name).toContain('dist/index.d.ts');
      expect(files, m.name).toContain('README.md');
      expect(
        files.filter((f) => /\.test\.(ts|js)$|__tests__/.test(f)),
        m.name,
      ).toEqual([]);
    }
  });

  it.each(LIBRARIES)('@autod/%s: the README example runs against the packed package', async (lib) => {
    const example = readmeExample(await readFile(join(REPO, 'packages', lib, 'README.md'), 'utf8'));
    expect(example, `packages/${lib}/README.md has no \`\`\`ts block under "## Example"`).toBeDefined();
    const file = join(project, `${lib}-example.ts`);
    await writeFile(file, example ?? '');
    const env = { PATH: process.env['PATH'] ?? '', HOME: project, NO_COLOR: '1' };
    const result = await run(process.execPath, [file], { cwd: project, env, timeout: 120_000 }).catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    const code = 'code' in result ? result.code : 0;
    expect(code, `${lib} example failed:\n${result.stderr ?? ''}`).toBe(0);
    expect(result.stdout?.trim().length ?? 0, `${lib} example printed nothing`).toBeGreaterThan(0);
  });
});
