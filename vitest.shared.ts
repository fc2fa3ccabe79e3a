/**
 * Shared vitest project preset. Workspace packages resolve to their TypeScript
 * sources through the `@autod/source` export condition, so tests never need a
 * build of their dependencies.
 */
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const conditions = ['@autod/source', 'node', 'import', 'module', 'default'];

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
