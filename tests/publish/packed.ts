import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, realpath, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../e2e/helpers.js';

const run = promisify(execFile);

/** The libraries published to npm (apps and the test kit stay private). */
export const LIBRARIES = [
  'errors',
  'core',
  'config',
  'ops',
  'api-client',
  'db',
  'extract',
  'vector-store',
  'pipeline',
  'batch',
  'runtime',
] as const;

export interface PackedManifest {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, unknown>;
  files?: string[];
  dependencies?: Record<string, string>;
}

/**
 * `pnpm pack` every library (as `pnpm publish` would: publishConfig applied, workspace: and catalog: versions
 * replaced) and unpack the tarballs into `<project>/node_modules`, outside the workspace. Third-party dependencies are
 * linked from the workspace's installed copies (no network), so the project sees exactly what a user's install would.
 */
export async function installPacked(root: string): Promise<{ project: string; manifests: PackedManifest[] }> {
  const tarballs = join(root, 'tarballs');
  const project = join(root, 'project');
  await mkdir(tarballs, { recursive: true });
  await mkdir(join(project, 'node_modules', '@autod'), { recursive: true });
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(join(project, 'package.json'), JSON.stringify({ name: 'readme-examples', type: 'module' }) + '\n'),
  );
  const manifests: PackedManifest[] = [];
  const linked = new Map<string, string>();
  for (const lib of LIBRARIES) {
    const dir = join(REPO, 'packages', lib);
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', tarballs, '--json'], { cwd: dir });
    const tgz = (JSON.parse(stdout) as { filename: string }).filename;
    const target = join(project, 'node_modules', '@autod', lib);
    await mkdir(target, { recursive: true });
    await run('tar', ['-xzf', tgz, '-C', target, '--strip-components=1']);
    const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as PackedManifest;
    manifests.push(manifest);
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      if (dep.startsWith('@autod/') || linked.has(dep)) continue;
      const installed = await realpath(join(dir, 'node_modules', dep));
      const link = join(project, 'node_modules', dep);
      await mkdir(dirname(link), { recursive: true });
      await symlink(installed, link, 'dir');
      linked.set(dep, installed);
    }
  }
  return { project, manifests };
}

/** The first ```ts block under `## Example` of a README. */
export function readmeExample(readme: string): string | undefined {
  const section = readme.split(/^## Example\s*$/m)[1]?.split(/^## /m)[0];
  return section?.match(/```ts\n([\s\S]*?)```/)?.[1];
}

/** Every file of a folder, relative, recursively. */
export async function filesOf(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await filesOf(join(dir, e.name), `${prefix}${e.name}/`)));
    else out.push(prefix + e.name);
  }
  return out;
}
