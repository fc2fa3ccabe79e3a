import type { UserWorkspaceConfig } from 'vitest/config';
import { autodProject } from '../../vitest.shared.js';

const project = autodProject('@autod/server');
// vitest hands resolve.conditions to the worker as `node --conditions`, and an explicit "import" condition makes
// CommonJS `require()` pick a package's ESM entry (e.g. @fastify/helmet → helmet/index.mjs → "helmet is not a
// function"). Node adds "import"/"require" by itself, so drop it here.
const conditions = ['@autod/source', 'node', 'module', 'default'];
const config: UserWorkspaceConfig = {
  ...project,
  resolve: { ...project.resolve, conditions },
  ssr: { ...project.ssr, resolve: { ...project.ssr?.resolve, conditions } },
};
export default config;
