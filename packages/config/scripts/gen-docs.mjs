// Regenerates <repo>/.env.example and <repo>/docs/configuration.md from the settings table.
// Run: pnpm --filter @autod/config run gen-docs (builds dist first).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigurationDoc, renderEnvExample } from '../dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const files = [
  [resolve(root, '.env.example'), renderEnvExample()],
  [resolve(root, 'docs/configuration.md'), renderConfigurationDoc()],
];
for (const [file, text] of files) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
