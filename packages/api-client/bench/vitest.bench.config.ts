import { defineConfig } from 'vitest/config';

const conditions = ['@autod/source', 'node', 'import', 'module', 'default'];

// Runs bench/*.bench.ts as one long "test" (not part of `pnpm test`).
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@autod/source'] } },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    testTimeout: 600_000,
  },
});
