import { describe, expect, it } from 'vitest';
import { parseBatchOutput } from './batch-results.js';
import { mapOpenAIError } from './map-openai-error.js';
import { loadOpenAI } from './sdk.js';

const price = () => 0;

describe('parseBatchOutput: failed lines', () => {
  it('maps an error line as the SDK maps the same HTTP answer (without loading the SDK)', async () => {
    const lines = [
      {
        custom_id: 'bad',
        response: {
          status_code: 400,
          request_id: 'req_1',
          body: { error: { message: 'bad input', type: 'invalid_request_error', code: 'bad_pdf', param: 'input' } },
        },
      },
      {
        custom_id: 'slow',
        response: { status_code: 429, request_id: 'req_2', body: { error: { message: 'slow down' } } },
      },
      {
        custom_id: 'oops',
        response: { status_code: 500, request_id: 'req_3' },
        error: { code: 'server_error', message: 'oops' },
      },
      { custom_id: 'expired', response: null, error: { code: 'batch_expired', message: 'not done in 24 h' } },
    ];
    const results = parseBatchOutput(lines.map((l) => JSON.stringify(l)).join('\n'), price);
    const errorOf = (id: string) => {
      const r = results.get(id);
      if (!r || r.ok) throw new Error(`${id}: expected a failed line`);
      return r.error;
    };
    expect(errorOf('expired')).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });

    // The same answers through the SDK's own error classes and mapOpenAIError (what this mapping replaced).
    const { APIError } = await loadOpenAI();
    const viaSdk = (status: number, body: unknown, message: string, requestId: string) =>
      mapOpenAIError(APIError.generate(status, body as object, message, new Headers({ 'x-request-id': requestId })));
    const expected = {
      bad: viaSdk(400, lines[0]!.response!.body, 'status 400', 'req_1'),
      slow: viaSdk(429, lines[1]!.response!.body, 'status 429', 'req_2'),
      oops: viaSdk(500, lines[2]!.error, 'oops', 'req_3'),
    };
    for (const [id, want] of Object.entries(expected)) {
      const got = errorOf(id);
      expect({ code: got.code, message: got.message, retryable: got.retryable, details: got.details }).toEqual({
        code: want.code,
        message: want.message,
        retryable: want.retryable,
        details: want.details,
      });
    }
    expect(errorOf('bad')).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      details: {
        status: 400,
        requestId: 'req_1',
        type: 'invalid_request_error',
        providerCode: 'bad_pdf',
        param: 'input',
      },
    });
    expect(errorOf('slow')).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
  });
});
