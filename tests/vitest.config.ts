import { autodProject } from '../vitest.shared.js';

// End-to-end tests spawn the built CLI and servers; they run after `turbo run build`.
export default autodProject('@autod/tests', {
  include: ['**/*.test.ts'],
  exclude: ['node_modules/**'],
  testTimeout: 120_000,
});
