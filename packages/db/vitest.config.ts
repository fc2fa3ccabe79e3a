import { autodProject } from '../../vitest.shared.js';

const config = autodProject('@autod/db');

// vitest hands ssr.resolve.conditions to its workers as `node --conditions …`. With the shared
// preset's `import` condition, Node's require() of dual packages picks their ESM build
// (require(esm)), which breaks pg (`require('pg-pool')` → module namespace, not a class).
// Keep only the conditions this package's tests need.
config.ssr = { ...config.ssr, resolve: { ...config.ssr?.resolve, conditions: ['@autod/source', 'node'] } };

export default config;
