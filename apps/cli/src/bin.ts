#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Cache the compiled code of every module loaded after this line (node's compile cache, on disk in the OS temp
// folder or NODE_COMPILE_CACHE): later runs skip parsing and compiling. Before the import, so it covers the CLI.
enableCompileCache();

// A reader that goes away (`autod list | head`, a closed terminal, a supervisor that stopped reading) ends autod's
// output, not the command: the write fails with EPIPE, which would otherwise be an unhandled 'error' event and a crash
// (a server's shutdown, a run halfway through its files). Later writes to the closed stream are dropped.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
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
