import { defineConfig } from 'vitest/config';

const conditions = ['@autod/source', 'node', 'import', 'module', 'default'];

// Runs bench/*.accuracy.ts (the real-documents accuracy benchmark, `pnpm bench:accuracy`): slow,
// so neither part of `pnpm test` nor of `pnpm bench`.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@autod/source'] } },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['bench/**/*.accuracy.ts'],
    environment: 'node',
    testTimeout: 3_600_000,
  },
});
