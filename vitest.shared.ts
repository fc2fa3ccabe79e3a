/**
 * Shared vitest project preset. Workspace packages resolve to their TypeScript
 * sources through the `@autod/source` export condition, so tests never need a
 * build of their dependencies.
 */
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

// Only these: vitest passes the list to Node as --conditions, and 'import'/'module' there break CJS packages
// (pg-pool, helmet) that are required from CJS.
const conditions = ['@autod/source', 'node'];

export function autodProject(name: string, overrides: UserWorkspaceConfig['test'] = {}): UserWorkspaceConfig {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@autod/source'] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      restoreMocks: true,
      clearMocks: true,
      testTimeout: 20_000,
      hookTimeout: 30_000,
      ...overrides,
    },
  });
}
