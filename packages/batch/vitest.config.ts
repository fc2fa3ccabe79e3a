import { autodProject } from '../../vitest.shared.js';

const config = autodProject('@autod/batch', { testTimeout: 60_000 });

// As in @autod/db: with the shared preset's `import` condition, Node's require() of pg picks its ESM build and
// knex's PostgreSQL client breaks (`require('pg-pool')` → module namespace). Keep only what the tests need.
config.ssr = { ...config.ssr, resolve: { ...config.ssr?.resolve, conditions: ['@autod/source', 'node'] } };

export default config;
