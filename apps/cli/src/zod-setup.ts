import { config } from 'zod';

// A command parses each schema (the settings table, the filter definition and flags) once or a few times: zod's
// compiled fast path (generated with `new Function` on an object schema's first parse) costs more to build than it
// saves, ~10 ms for the settings table. Imported, for this side effect, before anything that builds or parses a
// schema: the filter definition (`@autod/core` validates it when loaded) and the command context.
config({ jitless: true });
