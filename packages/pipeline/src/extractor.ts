import type { DocumentMetadata, ProviderName, TokenUsage } from '@autod/core';
import { ZERO_USAGE } from '@autod/core';
import type { PdfContent } from '@autod/extract';
import {
  locateEvidence,
  extractEInvoice,
  extractOffline,
  readEInvoiceAttachments,
  sniffEInvoiceXml,
  unreadableEInvoiceNote,
} from '@autod/extract';
import type { ApiClient } from '@autod/api-client';
import { LOCAL_PROMPT_VERSION, openAIPromptVersion } from './prompt-version.js';

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
  /** Who produced the metadata when it is not the extractor's own provider (e.g. `einvoice` from a wrapper). */
  provider?: ProviderName;
  /** The prompt (or rules) version that produced it when it is not the extractor's own `promptVersion`. */
  promptVersion?: string;
}

/** A provider of metadata: the OpenAI Responses API or the offline rules. */
export interface Extractor {
  readonly provider: ProviderName;
  readonly model: string;
  /** Whether image-only pages should be OCR'd before extraction (the model reads the PDF itself). */
  readonly needsOcr: boolean;
  /** The prompt or rules version its results come from; kept with every attempt (`prompt_version`). */
  readonly promptVersion?: string | undefined;
  extract(input: ExtractionInput): Promise<ExtractionOutput>;
}

/** The offline extractor: PDF text (+ OCR) and rules. Free, deterministic, no network. */
export class LocalExtractor implements Extractor {
  readonly provider = 'local' as const;
  readonly model = 'autod-rules-v1';
  readonly needsOcr = true;
  readonly promptVersion = LOCAL_PROMPT_VERSION;

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
  readonly promptVersion = openAIPromptVersion();

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
      // The model quotes the span it read each key field from; the reader knows where that line is on the page.
      metadata: locateEvidence(result.metadata, input.content.pages),
      usage: result.usage,
      costUsd: result.costUsd,
      model: result.model,
      latencyMs: result.latencyMs,
    };
  }
}

/**
 * Reads e-invoices exactly: when the document carries a Factur-X / ZUGFeRD / XRechnung XML (embedded in the PDF,
 * or the input is a bare CII/UBL file whose read stage put the XML in `content.attachments`), the metadata comes
 * from the XML (provider `einvoice`, model = the XML dialect, no OCR or model call, cost 0), cross-checked against
 * the offline rules over the PDF text. Everything else, and an e-invoice XML that cannot be read (a note in
 * `metadata.errors` says so), goes to the wrapped extractor.
 */
export class EInvoiceExtractor implements Extractor {
  constructor(private readonly inner: Extractor) {}

  get provider(): ProviderName {
    return this.inner.provider;
  }
  get model(): string {
    return this.inner.model;
  }
  get needsOcr(): boolean {
    return this.inner.needsOcr;
  }
  get promptVersion(): string | undefined {
    return this.inner.promptVersion;
  }

  async extract(input: ExtractionInput): Promise<ExtractionOutput> {
    const attachments = input.content.attachments ?? [];
    const found = attachments.length > 0 ? readEInvoiceAttachments(attachments) : null;
    if (found === null) return this.inner.extract(input);
    if (found.kind === 'unreadable') {
      const out = await this.inner.extract(input);
      return { ...out, metadata: { ...out.metadata, errors: [...out.metadata.errors, unreadableEInvoiceNote(found)] } };
    }
    const started = performance.now();
    const base = { fileName: input.fileName, processedAt: input.processedAt, sourceFileId: input.sha256 };
    // A bare XML file was rendered from the XML itself: its text is no independent reading to compare with.
    const bare = sniffEInvoiceXml(input.bytes) !== null;
    const textResult = bare
      ? undefined
      : extractOffline({
          ...base,
          text: input.content.text,
          pages: input.content.pages,
          pageCount: input.content.pageCount,
        }).metadata;
    const { metadata, model } = extractEInvoice({
      ...base,
      invoice: found.invoice,
      content: input.content,
      ...(textResult ? { textResult } : {}),
    });
    return {
      metadata,
      usage: ZERO_USAGE,
      costUsd: 0,
      model,
      latencyMs: performance.now() - started,
      provider: 'einvoice',
      // Read from the XML, cross-checked against the offline rules.
      promptVersion: `einvoice/${LOCAL_PROMPT_VERSION}`,
    };
  }
}
