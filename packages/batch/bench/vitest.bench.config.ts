import { defineConfig } from 'vitest/config';

const conditions = ['@autod/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ['@autod/source', 'node'], externalConditions: ['@autod/source'] } },
  test: { include: ['bench/**/*.bench.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
});
