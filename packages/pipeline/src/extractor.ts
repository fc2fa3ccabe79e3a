import type { DocumentMetadata, ProviderName, TokenUsage } from '@autod/core';
import { ZERO_USAGE } from '@autod/core';
import type { PdfContent } from '@autod/extract';
import { extractOffline } from '@autod/extract';
import type { ApiClient } from '@autod/api-client';

/** What an extractor is given for one document. */
export interface ExtractionInput {
  bytes: Uint8Array;
  content: PdfContent;
  fileName: string;
  sha256: string;
  processedAt: string;
  signal?: AbortSignal;
}

/** What an extractor returns: validated metadata plus what it cost. */
export interface ExtractionOutput {
  metadata: DocumentMetadata;
  usage: TokenUsage;
  costUsd: number;
  model: string;
  latencyMs: number;
}

/** A provider of metadata: the OpenAI Responses API or the offline rules. */
export interface Extractor {
  readonly provider: ProviderName;
  readonly model: string;
  /** Whether image-only pages should be OCR'd before extraction (the model reads the PDF itself). */
  readonly needsOcr: boolean;
  extract(input: ExtractionInput): Promise<ExtractionOutput>;
}

/** The offline extractor: PDF text (+ OCR) and rules. Free, deterministic, no network. */
export class LocalExtractor implements Extractor {
  readonly provider = 'local' as const;
  readonly model = 'autod-rules-v1';
  readonly needsOcr = true;

  async extract(input: ExtractionInput): Promise<ExtractionOutput> {
    const started = performance.now();
    const { metadata } = extractOffline({
      text: input.content.text,
      pages: input.content.pages,
      fileName: input.fileName,
      processedAt: input.processedAt,
      sourceFileId: input.sha256,
      pageCount: input.content.pageCount,
    });
    return { metadata, usage: ZERO_USAGE, costUsd: 0, model: this.model, latencyMs: performance.now() - started };
  }
}

/** The OpenAI provider (or any OpenAI-compatible server) through @autod/api-client. */
export class OpenAIExtractor implements Extractor {
  readonly provider = 'openai' as const;
  readonly needsOcr = false;

  constructor(
    private readonly client: ApiClient,
    readonly model: string,
  ) {}

  async extract(input: ExtractionInput): Promise<ExtractionOutput> {
    const result = await this.client.extractMetadata({
      pdf: input.bytes,
      fileName: input.fileName,
      sourceFileId: input.sha256,
      processedAt: input.processedAt,
      pageCount: input.content.pageCount,
      model: this.model,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    return {
      metadata: result.metadata,
      usage: result.usage,
      costUsd: result.costUsd,
      model: result.model,
      latencyMs: result.latencyMs,
    };
  }
}
