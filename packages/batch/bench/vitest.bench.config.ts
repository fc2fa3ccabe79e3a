import { defineConfig } from 'vitest/config';

// The bench stops starting new steps after AUTOD_BENCH_BUDGET_S (default 180 s); the timeout leaves room for the last
// step and the teardown, so a loaded machine gets a shorter report, not a timeout.
const budgetS = Number(process.env['AUTOD_BENCH_BUDGET_S'] ?? 180);

const conditions = ['@autod/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ['@autod/source', 'node'], externalConditions: ['@autod/source'] } },
  test: { include: ['bench/**/*.bench.ts'], testTimeout: (budgetS + 240) * 1000, hookTimeout: 60_000 },
});
