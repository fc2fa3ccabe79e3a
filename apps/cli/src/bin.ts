#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Cache the compiled code of every module loaded after this line (node's compile cache, on disk in the OS temp
// folder or NODE_COMPILE_CACHE): later runs skip parsing and compiling. Before the import, so it covers the CLI.
enableCompileCache();
const { main } = await import('./main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`autod: unexpected failure: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
