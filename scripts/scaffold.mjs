// One-off scaffolder: writes identical package.json/tsconfig/vitest files for each workspace package.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const pkgs = {
  'packages/errors': {
    deps: [],
    dev: ['fast-check'],
    desc: 'AutodError hierarchy, retry with backoff, compensating transactions',
  },
  'packages/core': { deps: ['zod'], dev: [], desc: 'Document metadata schema, JSON schema export, extraction prompt' },
  'packages/config': {
    deps: ['@autod/errors', 'zod', 'dotenv'],
    dev: [],
    desc: 'Typed configuration from CLI, env, .env and config file',
  },
  'packages/ops': {
    deps: ['@autod/errors', 'pino', 'pino-pretty', 'prom-client', 'nodemailer'],
    dev: ['smtp-server', '@types/smtp-server', '@types/nodemailer'],
    desc: 'Logging, metrics, health checks and alerts',
  },
  'packages/testkit': {
    deps: ['@autod/core', 'openai', 'pdf-lib', '@napi-rs/canvas', 'zod'],
    dev: [],
    desc: 'OpenAI-compatible emulator and PDF fixtures for tests',
  },
  'packages/api-client': {
    deps: ['@autod/errors', '@autod/core', 'openai', 'opossum', 'js-tiktoken', 'zod'],
    dev: ['@autod/testkit', '@types/opossum'],
    desc: 'Resilient, cost-aware OpenAI client',
  },
  'packages/db': {
    deps: ['@autod/errors', '@autod/core', 'knex', 'better-sqlite3', 'sqlite3', 'pg'],
    dev: ['@autod/testkit', '@types/better-sqlite3'],
    desc: 'Database: migrations and repositories (SQLite, PostgreSQL)',
  },
  'packages/extract': {
    deps: ['@autod/errors', '@autod/core', 'pdfjs-dist', 'tesseract.js', '@tesseract.js-data/eng', '@napi-rs/canvas'],
    dev: ['@autod/testkit'],
    desc: 'PDF reading, OCR and the offline extractor',
  },
  'packages/vector-store': {
    deps: ['@autod/errors', '@autod/core', '@autod/api-client', 'knex', 'sqlite-vec'],
    dev: ['@autod/testkit', 'better-sqlite3'],
    desc: 'Embeddings, cache, local vector index and hybrid search',
  },
  'packages/pipeline': {
    deps: [
      '@autod/errors',
      '@autod/core',
      '@autod/db',
      '@autod/extract',
      '@autod/api-client',
      '@autod/ops',
      'chokidar',
      'p-limit',
    ],
    dev: ['@autod/testkit'],
    desc: 'Intake-to-filing document pipeline',
  },
  'packages/batch': {
    deps: [
      '@autod/errors',
      '@autod/core',
      '@autod/db',
      '@autod/pipeline',
      '@autod/api-client',
      '@autod/ops',
      'bullmq',
      'ioredis',
      'p-limit',
    ],
    dev: ['@autod/testkit'],
    desc: 'Bulk runs: live, OpenAI Batch API and queue modes',
  },
  'packages/runtime': {
    deps: [
      '@autod/errors',
      '@autod/core',
      '@autod/config',
      '@autod/ops',
      '@autod/api-client',
      '@autod/db',
      '@autod/extract',
      '@autod/pipeline',
      'tsyringe',
      'reflect-metadata',
    ],
    dev: ['@autod/testkit'],
    desc: 'tsyringe composition root shared by the apps',
  },
  'apps/cli': {
    deps: [
      '@autod/errors',
      '@autod/core',
      '@autod/config',
      '@autod/ops',
      '@autod/db',
      '@autod/pipeline',
      '@autod/runtime',
      'commander',
      'cli-progress',
    ],
    dev: ['@autod/testkit', '@types/cli-progress'],
    desc: 'The autod command-line interface',
    bin: true,
  },
  'apps/server': {
    deps: [
      '@autod/errors',
      '@autod/core',
      '@autod/config',
      '@autod/ops',
      '@autod/db',
      '@autod/pipeline',
      '@autod/runtime',
      'fastify',
      'fastify-type-provider-zod',
      '@fastify/swagger',
      '@fastify/swagger-ui',
      '@fastify/multipart',
      '@fastify/rate-limit',
      '@fastify/helmet',
      'zod',
    ],
    dev: ['@autod/testkit', 'autocannon', '@types/autocannon'],
    desc: 'The autod HTTP service',
  },
};

const ver = (d) => (d.startsWith('@autod/') ? 'workspace:^' : 'catalog:');
for (const [dir, p] of Object.entries(pkgs)) {
  const name = '@autod/' + dir.split('/')[1];
  mkdirSync(join(dir, 'src'), { recursive: true });
  const pj = {
    name,
    version: '0.0.0',
    private: true,
    description: p.desc,
    type: 'module',
    exports: {
      '.': { '@autod/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    ...(p.bin ? { bin: { autod: './dist/bin.js' } } : {}),
    files: ['dist'],
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      lint: 'eslint src',
      test: 'vitest run',
    },
    dependencies: Object.fromEntries(p.deps.map((d) => [d, ver(d)])),
    devDependencies: Object.fromEntries(['@types/node', 'typescript', 'vitest', ...p.dev].map((d) => [d, ver(d)])),
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pj, null, 2) + '\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      { extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src', 'test', '*.ts'] },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { outDir: 'dist', rootDir: 'src' },
        include: ['src'],
        exclude: ['src/**/*.test.ts', 'src/__tests__'],
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(
    join(dir, 'vitest.config.ts'),
    `import { autodProject } from '../../vitest.shared.js';\n\nexport default autodProject('${name}');\n`,
  );
  if (!existsSync(join(dir, 'src/index.ts')))
    writeFileSync(join(dir, 'src/index.ts'), `export const PACKAGE_NAME = '${name}';\n`);
}
