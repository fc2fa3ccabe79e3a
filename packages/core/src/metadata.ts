import type { z } from 'zod';
import { sanitizeFileNamePart, stripExtension } from './filenames.js';
import { DEFAULT_CATEGORY, EVIDENCE_FIELDS, SCHEMA_VERSION } from './enums.js';
import type { DocumentMetadata, FieldEvidenceMap } from './schema.js';

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
    customer: null,
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
      total_amount: null,
      net_amount: null,
      tax_amount: null,
      tax_lines: [],
      order_number: null,
      seller_tax_id: null,
      customer_tax_id: null,
      iban: null,
      bic: null,
      payment_terms: null,
      line_items: [],
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
    field_evidence: emptyFieldEvidence(),
    errors: [],
  };
}

/** `field_evidence` with every key field null. */
export function emptyFieldEvidence(): FieldEvidenceMap {
  return Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, null])) as FieldEvidenceMap;
}

/**
 * Brings stored metadata written under an older schema version up to the current shape: fields added since
 * (1.1: `customer`, `field_evidence`, invoice detail in `extracted_fields`) get their empty values, nothing
 * else changes. Values that are not objects are returned as they are (callers validate separately).
 */
export function upgradeMetadata<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (v['schema_version'] === SCHEMA_VERSION) return value;
  const empty = createEmptyMetadata({
    processedDate: 'x',
    originalFileName: 'x',
    sourceFileId: 'x',
  }) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...v };
  for (const [key, fallback] of Object.entries(empty)) if (!(key in out)) out[key] = fallback;
  const ef = out['extracted_fields'];
  if (ef !== null && typeof ef === 'object' && !Array.isArray(ef)) {
    const fields = { ...(ef as Record<string, unknown>) };
    for (const [key, fallback] of Object.entries(empty['extracted_fields'] as Record<string, unknown>)) {
      if (!(key in fields)) fields[key] = fallback;
    }
    out['extracted_fields'] = fields;
  }
  out['schema_version'] = SCHEMA_VERSION;
  return out as T;
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
  customer: string | null;
  invoiceNumber: string | null;
  /** YYYY-MM-DD */
  dueDate: string | null;
}

/**
 * Columns for the DB: `issuer` = canonical issuer ?? issuer; `primaryDate` = primary_date ??
 * statement_date ?? due_date; `totalAmount` = total_amount ?? amount_due ?? balance.
 */
export function indexedFields(m: DocumentMetadata): IndexedFields {
  const f = m.extracted_fields;
  return {
    category: m.category,
    subcategory: m.subcategory,
    docType: m.doc_type,
    issuer: m.normalization.canonical_issuer ?? m.issuer,
    primaryDate: m.primary_date ?? f.statement_date ?? f.due_date,
    totalAmount: f.total_amount ?? f.amount_due ?? f.balance,
    currency: f.currency,
    title: m.title,
    confidence: m.confidence_score,
    customer: m.customer ?? f.customer_name,
    invoiceNumber: f.invoice_number,
    dueDate: f.due_date,
  };
}
