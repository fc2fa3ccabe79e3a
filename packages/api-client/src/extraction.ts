import type OpenAI from 'openai';
import { CompensatingTransaction, ValidationError, errorFor, isAutodError } from '@autod/errors';
import { ZERO_USAGE, addUsage, type DocumentMetadata, type TokenUsage } from '@autod/core';
import type { FilesApi } from './files.js';
import type { Pricer } from './pricer.js';
import { extractOutput, usageFromResponses } from './response-output.js';
import {
  CHARS_PER_TOKEN,
  countPdfPages,
  estimatePdfTokens,
  EXTRACTION_OUTPUT_TOKENS,
  EXTRACTION_PROMPT_TOKENS,
} from './tokens.js';
import type { Call } from './transport.js';
import type { ExtractionInput, ExtractionRequestInput, ExtractionResult } from './types.js';
import { repairPrompt, validateAnswer } from './validate-answer.js';

export interface ExtractorOptions {
  call: Call;
  pricer: Pricer;
  files: FilesApi;
  /** The `/v1/responses` body of one extraction (see `buildExtractionRequestBody`). */
  buildBody: (input: ExtractionRequestInput) => Record<string, unknown>;
  /** Model of an input that names none. */
  model: string;
  /** Upload the PDF and reference it by id instead of sending it inline. */
  useFilesApi: boolean;
  clock: { now(): number };
}

/** Extracts metadata from PDFs (see `ApiClient.extractMetadata`). */
export type Extractor = (input: ExtractionInput) => Promise<ExtractionResult>;

/**
 * Metadata extraction: one `/v1/responses` call with the strict JSON schema, validated locally; an invalid answer
 * gets one repair call. With `useFilesApi` the PDF is uploaded first and deleted again afterwards, also on failure.
 */
export function createExtractor(options: ExtractorOptions): Extractor {
  const { files, clock } = options;
  return async (input) => {
    const started = performance.now();
    if (!options.useFilesApi) return extract(options, { input, fileId: undefined, started });
    const tx = new CompensatingTransaction({ name: `extract:${input.sourceFileId}`, clock });
    const { id } = await files.upload(input.pdf, input.fileName, 'user_data', input.signal);
    tx.register('files.delete', () => files.delete(id));
    let result: ExtractionResult;
    try {
      result = await extract(options, { input, fileId: id, started });
    } catch (error) {
      await tx.rollback(error);
      throw error;
    }
    tx.commit();
    // The file is only needed for the call; a failed cleanup must not fail the extraction.
    await files.delete(id).catch(() => undefined);
    return result;
  };
}

/** The answers of one extraction so far: what they used and how many HTTP attempts they took. */
interface Tally {
  usage: TokenUsage;
  attempts: number;
}

/** One extraction: the first answer and, when it is invalid, one repair round. */
async function extract(
  options: ExtractorOptions,
  { input, fileId, started }: { input: ExtractionInput; fileId: string | undefined; started: number },
): Promise<ExtractionResult> {
  const { pricer } = options;
  const model = input.model ?? options.model;
  const pageCount = input.pageCount ?? countPdfPages(input.pdf);
  const body = options.buildBody({ ...input, pageCount, ...(fileId ? { fileId } : {}) });
  const tally: Tally = { usage: ZERO_USAGE, attempts: 0 };
  const respond = (requestBody: Record<string, unknown>, extraInputTokens = 0) =>
    createResponse(options, { input, model, pageCount, requestBody, extraInputTokens, tally });
  const finish = (
    response: OpenAI.Responses.Response,
    rawText: string,
    metadata: DocumentMetadata,
    repaired: boolean,
  ): ExtractionResult => ({
    metadata,
    usage: tally.usage,
    costUsd: pricer.price(tally.usage, model),
    model,
    responseId: response.id,
    latencyMs: performance.now() - started,
    attempts: tally.attempts,
    repaired,
    rawText,
    ...(fileId ? { uploadedFileId: fileId } : {}),
  });

  const first = await respond(body);
  const firstOut = extractOutput(first);
  const firstParsed = validateAnswer(firstOut.text, firstOut.problem, input);
  if (firstParsed.ok) return finish(first, firstOut.text, firstParsed.data, false);

  // One repair round: the model sees its own answer and exactly what was wrong with it.
  const answer = firstOut.text || '(no answer)';
  const repairBody = {
    ...body,
    input: [
      ...(body.input as unknown[]),
      { role: 'assistant', content: answer },
      { role: 'user', content: repairPrompt(firstParsed.issues) },
    ],
  };
  // The repair call also sends the first answer and the issues (chars/4 is plenty for an estimate).
  const repairChars = answer.length + repairPrompt(firstParsed.issues).length;
  let second: OpenAI.Responses.Response;
  try {
    second = await respond(repairBody, Math.ceil(repairChars / CHARS_PER_TOKEN));
  } catch (error) {
    // The first answer was billed: the caller's books need its cost whatever stopped the repair.
    throw withSpend(error, tally.usage, pricer.price(tally.usage, model));
  }
  const secondOut = extractOutput(second);
  const secondParsed = validateAnswer(secondOut.text, secondOut.problem, input);
  if (secondParsed.ok) return finish(second, secondOut.text, secondParsed.data, true);
  throw new ValidationError(
    'MODEL_OUTPUT_INVALID',
    `The model's answer for "${input.fileName}" failed validation twice (${secondParsed.issues.slice(0, 3).join('; ')}).`,
    {
      details: {
        rawText: secondOut.text,
        issues: secondParsed.issues,
        firstIssues: firstParsed.issues,
        responseId: second.id,
        model,
        usage: tally.usage,
        costUsd: pricer.price(tally.usage, model),
      },
    },
  );
}

/** One paid `responses.create` call of an extraction, its usage and attempts added to `tally`. */
async function createResponse(
  { call, pricer }: ExtractorOptions,
  request: {
    input: ExtractionInput;
    model: string;
    pageCount: number;
    requestBody: Record<string, unknown>;
    /** Input beyond the first request's (the repair round's answer and issues). */
    extraInputTokens: number;
    tally: Tally;
  },
): Promise<OpenAI.Responses.Response> {
  const { input, model, pageCount, requestBody, extraInputTokens, tally } = request;
  const promptTokens = EXTRACTION_PROMPT_TOKENS + estimatePdfTokens(pageCount);
  const { data } = await call<OpenAI.Responses.Response>(
    {
      operation: 'responses.create',
      model,
      tokens: promptTokens + EXTRACTION_OUTPUT_TOKENS,
      signal: input.signal,
      paid: {
        estimatedUsd: pricer.estimate(model, promptTokens + extraInputTokens),
        source: input.sourceFileId,
      },
      usage: (r) => usageFromResponses(r.usage),
      onAttempt: () => tally.attempts++,
    },
    (s, sdk) =>
      sdk.responses.create(
        requestBody as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming,
        s ? { signal: s } : {},
      ),
  );
  tally.usage = addUsage(tally.usage, usageFromResponses(data.usage));
  return data;
}

/** `error` with the usage and cost of the calls already billed before it (for the caller's books). */
function withSpend(error: unknown, usage: TokenUsage, costUsd: number): unknown {
  if (!isAutodError(error) || usage.totalTokens <= 0) return error;
  return errorFor(error.code, error.message, {
    cause: error,
    retryable: error.retryable,
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    details: { ...error.details, usage, costUsd },
  });
}
