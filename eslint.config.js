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
  // The web app runs in the browser: it reaches the server only through the client generated from the OpenAPI
  // document (src/api), and imports no @autod/* runtime package.
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    ignores: ['**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@autod/*'],
              message: 'The web app talks to the server through src/api only (no @autod/* code).',
            },
            { group: ['node:*'], message: 'The web app runs in the browser.' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    ignores: ['apps/web/src/api/**', '**/*.test.{ts,tsx}', 'apps/web/src/test-*.{ts,tsx}'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['fetch', 'XMLHttpRequest', 'EventSource'].map((name) => ({
          name,
          message: 'Call the server through the generated client in src/api (api.GET/POST/…, uploadFile, use*Events).',
        })),
      ],
    },
  },
);
