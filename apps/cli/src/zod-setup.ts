import { config } from 'zod';

// A command parses each schema (the settings table, the filter definition and flags) once or a few times: zod's
// compiled fast path (generated with `new Function` on an object schema's first parse) costs more to build than it
// saves, ~10 ms for the settings table. Imported, for this side effect, before anything that builds or parses a
// schema: the filter definition (`@autod/core` validates it when loaded) and the command context.
config({ jitless: true });

/**
 * For the commands that load the whole runtime (process, watch, serve, reindex…): they validate every document's
 * metadata against the metadata schema, thousands of times, where the compiled fast path pays (~0.2 ms less per
 * document). Call before the runtime is loaded: a schema keeps the mode it was built in.
 */
export function useCompiledParsers(): void {
  config({ jitless: false });
}
