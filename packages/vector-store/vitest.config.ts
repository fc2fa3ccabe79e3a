import { autodProject } from '../../vitest.shared.js';

const config = autodProject('@autod/vector-store');

// Same as packages/db: vitest passes ssr.resolve.conditions to workers as `node --conditions …`;
// the shared preset's `import` condition makes require('pg-pool') return an ES module namespace,
// which breaks pg. Keep only the conditions these tests need.
config.ssr = { ...config.ssr, resolve: { ...config.ssr?.resolve, conditions: ['@autod/source', 'node'] } };

export default config;
