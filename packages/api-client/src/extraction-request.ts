import { errorFor } from '@autod/errors';
import { buildExtractionPrompt, responseTextFormat } from '@autod/core';
import { requestParams, type ReasoningEffort, type Verbosity } from './model-params.js';
import type { ExtractionRequestInput } from './types.js';
import type { Warnings } from './warnings.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

let extractionTextFormat: ReturnType<typeof responseTextFormat> | undefined;

/**
 * The strict JSON-schema text format is the same for every extraction (no per-file consts), and generating it clones
 * the whole schema: build it once and share it, frozen so that no caller can change it for the next request.
 */
function sharedTextFormat(): ReturnType<typeof responseTextFormat> {
  extractionTextFormat ??= deepFreeze(responseTextFormat());
  return extractionTextFormat;
}

/** The request settings of a client, applied to every extraction body. */
export interface ExtractionRequestSettings {
  /** Model of an input that names none. */
  model: string;
  maxOutputTokens?: number | undefined;
  reasoningEffort?: ReasoningEffort | undefined;
  verbosity?: Verbosity | undefined;
  /** Told once per parameter the model does not take as configured. */
  warnings: Warnings;
}

/**
 * The `/v1/responses` body for one extraction: system + developer + user messages (the user
 * message carries the PDF inline or by file id) and the strict JSON-schema text format.
 * Batch mode sends exactly this per JSONL line.
 */
export function buildExtractionRequestBody(
  input: ExtractionRequestInput,
  settings: ExtractionRequestSettings,
): Record<string, unknown> {
  const prompt = buildExtractionPrompt({
    processedAt: input.processedAt,
    originalFileName: input.fileName,
    sourceFileId: input.sourceFileId,
    ...(input.pageCount !== undefined ? { pageCount: input.pageCount } : {}),
    ...(input.extraContext !== undefined ? { extraContext: input.extraContext } : {}),
  });
  const file = pdfPart(input);
  const model = input.model ?? settings.model;
  const params = requestParams(model, {
    maxOutputTokens: settings.maxOutputTokens,
    reasoningEffort: settings.reasoningEffort,
    verbosity: settings.verbosity,
  });
  for (const adjustment of params.adjustments) settings.warnings.once(`param:${adjustment}`, adjustment, { model });
  return {
    model,
    input: [
      { role: 'system', content: prompt.system },
      { role: 'developer', content: prompt.developer },
      { role: 'user', content: [{ type: 'input_text', text: prompt.user }, file] },
    ],
    // No per-file `const`s: the schema stays byte-identical across files so the prompt cache
    // hits; the echo fields are overwritten locally instead (see `pinEchoFields`).
    text: { format: sharedTextFormat(), ...(params.verbosity ? { verbosity: params.verbosity } : {}) },
    ...(params.reasoningEffort ? { reasoning: { effort: params.reasoningEffort } } : {}),
    ...(params.maxOutputTokens !== undefined ? { max_output_tokens: params.maxOutputTokens } : {}),
    store: false,
    metadata: {
      source_file_id: input.sourceFileId,
      processed_at: input.processedAt,
      original_file_name: input.fileName.slice(0, 512),
    },
  };
}

/** The PDF of the user message: by uploaded file id, else inline base64. */
function pdfPart(input: ExtractionRequestInput): Record<string, unknown> {
  if (input.fileId) return { type: 'input_file', file_id: input.fileId };
  if (input.pdf) {
    const b64 = Buffer.from(input.pdf.buffer, input.pdf.byteOffset, input.pdf.byteLength).toString('base64');
    return { type: 'input_file', filename: input.fileName, file_data: `data:application/pdf;base64,${b64}` };
  }
  throw errorFor('VALIDATION_FAILED', 'An extraction request needs the PDF bytes or an uploaded file id.', {
    details: { fileName: input.fileName },
  });
}
