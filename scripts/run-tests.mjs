// The README's test command ends here: build every package (turbo, cached), run every vitest project,
// then print one plain summary line ("N passed, N failed, N skipped") that CI can read.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

const build = run('turbo', ['run', 'build', '--output-logs=errors-only']);
if (build !== 0) {
  console.error('build failed');
  process.exit(build);
}
mkdirSync('test-results', { recursive: true });
rmSync('test-results/vitest.json', { force: true });
const code = run('vitest', [
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest.json',
  ...process.argv.slice(2),
]);
if (existsSync('test-results/vitest.json')) {
  const r = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
}
process.exit(code);
