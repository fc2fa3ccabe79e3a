// Flat ESLint config: type-aware typescript-eslint rules for every package.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Packages each layer may import (architecture §3: nothing imports upward). */
const layers = {
  errors: [],
  core: [],
  config: ['errors'],
  ops: ['errors'],
  'api-client': ['errors', 'core', 'ops'],
  db: ['errors', 'core', 'ops'],
  extract: ['errors', 'core', 'ops'],
  'vector-store': ['errors', 'core', 'ops', 'api-client'],
  pipeline: ['errors', 'core', 'ops', 'db', 'extract', 'api-client', 'vector-store'],
  batch: ['errors', 'core', 'ops', 'db', 'extract', 'api-client', 'vector-store', 'pipeline'],
};
const all = [...new Set([...Object.keys(layers), 'config', 'runtime', 'testkit'])];

const layerRules = Object.entries(layers).map(([pkg, allowed]) => ({
  files: [`packages/${pkg}/src/**/*.ts`],
  ignores: ['**/*.test.ts', '**/__tests__/**'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: all.filter((p) => p !== pkg && !allowed.includes(p)).map((p) => `@autod/${p}`),
            message: 'This import points up or sideways in the layer diagram (docs/architecture.md).',
          },
          {
            group: ['tsyringe', 'reflect-metadata'],
            message: 'Only packages/runtime and the apps use the DI container.',
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', '**/*.js', '**/*.mjs', '**/vitest.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['**/*.test.ts', '**/__tests__/**', 'tests/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
  ...layerRules,
);
