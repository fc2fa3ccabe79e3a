// The README's test command ends here: build every package (turbo, cached), check formatting, typecheck (one program
// over every package's sources, no build needed), lint, then run every vitest project and print one plain summary
// line ("N passed, N failed, N skipped") that CI can read. `--tests-only` skips the static checks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;
const args = process.argv.slice(2);
const testsOnly = args.includes('--tests-only');
const vitestArgs = args.filter((a) => a !== '--tests-only');

// Every `src` folder under packages/ and apps/, listed here: spawnSync has no shell to expand a glob.
function sourceDirs() {
  return ['packages', 'apps'].flatMap((top) =>
    readdirSync(top)
      .map((name) => `${top}/${name}/src`)
      .filter((dir) => existsSync(dir)),
  );
}

const steps = [['build', 'turbo', ['run', 'build', '--output-logs=errors-only']]];
if (!testsOnly) {
  steps.push(
    ['format check', 'prettier', ['--check', '--log-level=warn', '.']],
    ['typecheck', 'tsc', ['-p', 'tsconfig.check.json']],
    ['lint', 'eslint', sourceDirs()],
  );
}
for (const [name, cmd, cmdArgs] of steps) {
  const started = Date.now();
  const code = run(cmd, cmdArgs);
  console.log(`${name}: ${code === 0 ? 'ok' : 'FAILED'} (${Math.round((Date.now() - started) / 1000)} s)`);
  if (code !== 0) process.exit(code);
}

mkdirSync('test-results', { recursive: true });
rmSync('test-results/vitest.json', { force: true });
const code = run('vitest', [
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest.json',
  ...vitestArgs,
]);
if (existsSync('test-results/vitest.json')) {
  const r = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
}
process.exit(code);
