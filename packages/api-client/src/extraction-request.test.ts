import { responseTextFormat } from '@autod/core';
import { expect, test } from 'vitest';
import { ApiClient } from './api-client.js';
import { tinyPdf } from './__tests__/helpers.js';

const pdf = tinyPdf([['Invoice 7', 'Total 1.00']]);

test('every extraction body shares one frozen copy of the strict text format', () => {
  const a = new ApiClient({ apiKey: 'sk-test', model: 'gpt-4o' });
  const b = new ApiClient({ apiKey: 'sk-test', model: 'gpt-4o' });
  const input = { pdf, fileName: 'a.pdf', sourceFileId: 'sha256:1', processedAt: '2026-11-25T10:00:00Z' };
  const first = a.buildExtractionRequestBody(input).text as { format: Record<string, unknown> };
  const second = b.buildExtractionRequestBody({ ...input, fileName: 'b.pdf' }).text as {
    format: Record<string, unknown>;
  };
  expect(first.format).toEqual(responseTextFormat());
  expect(second.format).toBe(first.format);
  expect(Object.isFrozen(first.format)).toBe(true);
  expect(Object.isFrozen(first.format.schema)).toBe(true);
  // A caller cannot change the schema that the next request sends.
  expect(() => {
    (first.format.schema as Record<string, unknown>).title = 'changed';
  }).toThrow(TypeError);
  a.close();
  b.close();
});
