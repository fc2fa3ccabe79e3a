import type { z } from 'zod';
import { DEFAULT_CATEGORY, SCHEMA_VERSION } from './enums.js';
import { sanitizeFileNamePart, stripExtension } from './filenames.js';
import { DocumentMetadataSchema, type DocumentMetadata } from './schema.js';

export type ParseResult = { ok: true; data: DocumentMetadata } | { ok: false; issues: string[] };

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '<root>';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Formats zod issues as `path.to.field: message` (`items[2].field`, `<root>` for the root). */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `${formatPath(issue.path)}: unknown field(s) ${issue.keys.join(', ')}`;
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
}

/** Validates a value (e.g. parsed model output) against {@link DocumentMetadataSchema}. */
export function parseDocumentMetadata(value: unknown): ParseResult {
  const result = DocumentMetadataSchema.safeParse(value);
  return result.success ? { ok: true, data: result.data } : { ok: false, issues: formatIssues(result.error) };
}

export interface EmptyMetadataInput {
  processedDate: string;
  originalFileName: string;
  sourceFileId: string;
  pageCount?: number | null;
}

/**
 * Schema-valid metadata with nothing extracted: every field present, nulls and empty arrays,
 * category `Creative & Miscellaneous`, `suggested_file_name` derived from the file name.
 */
export function createEmptyMetadata(input: EmptyMetadataInput): DocumentMetadata {
  const pageCount =
    input.pageCount != null && Number.isInteger(input.pageCount) && input.pageCount >= 1 ? input.pageCount : null;
  return {
    schema_version: SCHEMA_VERSION,
    processed_date: input.processedDate,
    original_file_name: input.originalFileName,
    source_file_id: input.sourceFileId,
    title: null,
    brief_description: null,
    long_description: null,
    summary: null,
    summary_long: null,
    email_subject: null,
    email_preview_text: null,
    email_body_markdown: null,
    category: DEFAULT_CATEGORY,
    subcategory: null,
    doc_type: null,
    confidence_score: null,
    issuer: null,
    primary_date: null,
    period_start_date: null,
    period_end_date: null,
    key_points: [],
    action_items: [],
    deadline: null,
    deadline_source: null,
    urgency_score: null,
    urgency_reason: null,
    extracted_fields: {
      amount_due: null,
      due_date: null,
      account_number: null,
      invoice_number: null,
      statement_date: null,
      period_start_date: null,
      period_end_date: null,
      balance: null,
      currency: null,
      policy_number: null,
      claim_number: null,
      loan_number: null,
      service_address: null,
      property_address: null,
      tax_id: null,
      customer_name: null,
      email: null,
      phone: null,
      meter_readings: null,
    },
    suggested_file_name: sanitizeFileNamePart(stripExtension(input.originalFileName), 150),
    suggested_relative_path: null,
    tags: [],
    language: null,
    page_count: pageCount,
    ocr_text_excerpt: null,
    ocr_page_summaries: [],
    content_signature: null,
    cross_doc_matches: [],
    normalization: { canonical_issuer: null, canonical_account_label: null, property_identifier: null },
    errors: [],
  };
}

/** Denormalised columns stored next to the metadata JSON. */
export interface IndexedFields {
  category: string;
  subcategory: string | null;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
  currency: string | null;
  title: string | null;
  confidence: number | null;
}

/**
 * Columns for the DB: `issuer` = canonical issuer ?? issuer; `primaryDate` = primary_date ??
 * statement_date ?? due_date; `totalAmount` = amount_due ?? balance.
 */
export function indexedFields(m: DocumentMetadata): IndexedFields {
  const f = m.extracted_fields;
  return {
    category: m.category,
    subcategory: m.subcategory,
    docType: m.doc_type,
    issuer: m.normalization.canonical_issuer ?? m.issuer,
    primaryDate: m.primary_date ?? f.statement_date ?? f.due_date,
    totalAmount: f.amount_due ?? f.balance,
    currency: f.currency,
    title: m.title,
    confidence: m.confidence_score,
  };
}
