import { errorFor, type AutodError } from '@autod/errors';
import type { TokenUsage } from '@autod/core';
import { mapStatusError } from './map-openai-error.js';
import { extractOutput, usageFromResponses, type ResponseLike } from './response-output.js';
import type { BatchItemResult } from './types.js';
import { validateAnswer } from './validate-answer.js';

interface BatchLine {
  custom_id?: string;
  response?: { status_code?: number; request_id?: string; body?: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

/**
 * Parse a Batch API output or error file (JSONL) into one result per `custom_id`.
 * `price(usage, model)` prices a line (the caller applies the Batch discount).
 */
export function parseBatchOutput(
  jsonl: string,
  price: (usage: TokenUsage, model: string | undefined) => number,
): Map<string, BatchItemResult> {
  const out = new Map<string, BatchItemResult>();
  for (const raw of jsonl.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    let parsed: BatchLine;
    try {
      parsed = JSON.parse(line) as BatchLine;
    } catch {
      continue; // a torn line cannot be attributed to any custom_id
    }
    const customId = parsed.custom_id;
    if (!customId) continue;
    out.set(customId, lineResult(parsed, price));
  }
  return out;
}

function lineResult(line: BatchLine, price: (usage: TokenUsage, model: string | undefined) => number): BatchItemResult {
  const status = line.response?.status_code;
  const body = line.response?.body;
  if (line.error && (status === undefined || status < 200 || status >= 300)) {
    return {
      ok: false,
      error: lineError(status, line.error.message ?? 'batch line failed', line.error, line.response?.request_id),
    };
  }
  if (status === undefined || status < 200 || status >= 300 || typeof body !== 'object' || body === null) {
    const message =
      (body as { error?: { message?: string } } | undefined)?.error?.message ?? `status ${status ?? 'unknown'}`;
    return { ok: false, error: lineError(status, message, body, line.response?.request_id) };
  }
  const response = body as ResponseLike & { metadata?: Record<string, string> | null };
  const usage = usageFromResponses(response.usage);
  const costUsd = price(usage, response.model);
  const { text, problem } = extractOutput(response);
  const meta = response.metadata ?? {};
  const result = validateAnswer(text, problem, {
    ...(meta.processed_at ? { processedAt: meta.processed_at } : {}),
    ...(meta.source_file_id ? { sourceFileId: meta.source_file_id } : {}),
    ...(meta.original_file_name ? { fileName: meta.original_file_name } : {}),
  });
  if (result.ok)
    return { ok: true, metadata: result.data, usage, costUsd, responseId: response.id ?? '', rawText: text };
  return {
    ok: false,
    usage,
    costUsd,
    error: errorFor(
      'MODEL_OUTPUT_INVALID',
      `The model's batch answer failed validation (${result.issues.slice(0, 3).join('; ')}).`,
      {
        details: { rawText: text, issues: result.issues, responseId: response.id },
      },
    ),
  };
}

function lineError(
  status: number | undefined,
  message: string,
  body: unknown,
  requestId: string | undefined,
): AutodError {
  if (status === undefined)
    return errorFor('UPSTREAM_ERROR', `Batch line failed: ${message}`, { retryable: true, details: { body } });
  // As the SDK reads an error answer (`APIError.generate`): the body's `error` object holds the message (else ours),
  // its type, code and param.
  const inner = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  const data = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : undefined;
  const own = data?.['message'];
  const text = own ? (typeof own === 'string' ? own : JSON.stringify(own)) : data ? JSON.stringify(data) : message;
  const field = (k: string): string | undefined => (typeof data?.[k] === 'string' ? data[k] : undefined);
  return mapStatusError({
    status,
    message: `${status} ${text}`,
    requestId,
    type: field('type'),
    providerCode: field('code'),
    param: field('param'),
  });
}
