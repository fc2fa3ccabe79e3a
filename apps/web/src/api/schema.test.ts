// @vitest-environment node
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM build script without types
import { currentOpenApi, enumsFrom, schemaFrom } from '../../scripts/openapi.mjs';

const read = (rel: string) => readFile(new URL(rel, import.meta.url), 'utf8');
const HOW = 'is stale: run `pnpm --filter @autod/web run gen-api` and commit it (the server routes changed)';

describe('the typed client', () => {
  it("is generated from the server's current OpenAPI document", async () => {
    const json = (await currentOpenApi()) as string;
    expect((await read('../../openapi.json')) === json, `apps/web/openapi.json ${HOW}`).toBe(true);
    expect((await read('./schema.d.ts')) === ((await schemaFrom(json)) as string), `src/api/schema.d.ts ${HOW}`).toBe(
      true,
    );
    expect((await read('./enums.ts')) === (enumsFrom(json) as string), `src/api/enums.ts ${HOW}`).toBe(true);
    // Every route the page calls is in the document, with request and response schemas where the page relies on them.
    const doc = JSON.parse(json) as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
    for (const path of [
      '/v1/session',
      '/v1/events/recent',
      '/v1/budget',
      '/v1/system',
      '/v1/documents/{id}/corrections',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths['/v1/session']!['post']!.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '401']),
    );
  });
});
