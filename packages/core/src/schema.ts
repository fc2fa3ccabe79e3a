import { z } from 'zod';
import { ISO_DATE_PATTERN, isIsoDate } from './dates.js';
import {
  CATEGORIES,
  DEADLINE_SOURCES,
  EVIDENCE_FIELDS,
  PRIORITIES,
  SCHEMA_VERSION,
  SUBCATEGORIES,
  type EvidenceField,
} from './enums.js';
import { formatIssues, type ParseResult } from './metadata.js';

/** ISO 4217 currency code: three upper-case letters. */
export const CURRENCY_PATTERN = '^[A-Z]{3}$';
/** ISO 639-1 language code: two lower-case letters. */
export const LANGUAGE_PATTERN = '^[a-z]{2}$';

/**
 * String with a maximum length. The length is enforced by zod; the generated strict JSON
 * schema drops `maxLength` (not in OpenAI's strict-mode subset) and keeps the hint in the
 * description instead.
 */
function text(max: number, description: string) {
  return z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .describe(`${description} (max ${max} chars)`);
}

function nullableText(max: number, description: string) {
  return text(max, description).nullable();
}

/** `YYYY-MM-DD`, a real calendar date. JSON schema: `pattern` only. */
function isoDate(description: string) {
  return z
    .string()
    .regex(new RegExp(ISO_DATE_PATTERN), { error: 'must be a date in YYYY-MM-DD form', abort: true })
    .refine(isIsoDate, { error: 'must be a real calendar date (YYYY-MM-DD)' })
    .describe(`${description} (YYYY-MM-DD)`);
}

function nullableDate(description: string) {
  return isoDate(description).nullable();
}

function nullableNumber(description: string) {
  return z.number().describe(description).nullable();
}

export const ActionItemSchema = z.strictObject({
  description: text(512, 'What has to be done'),
  assignee_suggestion: nullableText(256, 'Who should do it, if stated or obvious'),
  due: nullableText(128, 'When it is due: YYYY-MM-DD if explicit, else plain language'),
  priority: z.enum(PRIORITIES).nullable().describe('Priority of the action'),
  blocking: z.boolean().nullable().describe('True when other steps depend on this action'),
  rationale: nullableText(1024, 'Why this action is needed'),
});
export type ActionItem = z.infer<typeof ActionItemSchema>;

export const TaxLineSchema = z.strictObject({
  rate: nullableNumber('Tax rate in percent, e.g. 19 for 19%'),
  net_amount: nullableNumber('Amount the rate applies to'),
  tax_amount: nullableNumber('Tax at this rate'),
});
export type TaxLine = z.infer<typeof TaxLineSchema>;

export const LineItemSchema = z.strictObject({
  description: text(512, 'What was sold or billed'),
  quantity: nullableNumber('Quantity'),
  unit_price: nullableNumber('Price per unit'),
  amount: nullableNumber('Line amount'),
});
export type LineItem = z.infer<typeof LineItemSchema>;

export const ExtractedFieldsSchema = z.strictObject({
  amount_due: nullableNumber('Amount to pay, as a plain number'),
  due_date: nullableDate('Payment or response due date'),
  account_number: nullableText(256, 'Account number as printed (keep masking)'),
  invoice_number: nullableText(256, 'Invoice number'),
  statement_date: nullableDate('Statement or issue date'),
  period_start_date: nullableDate('Start of the billing/coverage period'),
  period_end_date: nullableDate('End of the billing/coverage period'),
  balance: nullableNumber('Account balance, as a plain number'),
  currency: z
    .string()
    .regex(new RegExp(CURRENCY_PATTERN), { error: 'must be an ISO 4217 code of three upper-case letters' })
    .describe('ISO 4217 currency code, e.g. USD, EUR')
    .nullable(),
  policy_number: nullableText(256, 'Insurance policy number'),
  claim_number: nullableText(256, 'Insurance claim number'),
  loan_number: nullableText(256, 'Loan or mortgage number'),
  service_address: nullableText(512, 'Service address (utilities, telecom)'),
  property_address: nullableText(512, 'Property address'),
  tax_id: nullableText(64, 'Tax identifier as printed (keep masking)'),
  customer_name: nullableText(256, 'Customer or recipient name'),
  email: nullableText(256, 'Email address printed on the document'),
  phone: nullableText(64, 'Phone number printed on the document'),
  meter_readings: nullableText(512, 'Meter readings, as text'),
  // schema 1.1: invoice detail
  total_amount: nullableNumber('Grand total of the document including tax, as a plain number'),
  net_amount: nullableNumber('Total before tax (net), as a plain number'),
  tax_amount: nullableNumber('Total tax (VAT/GST/sales tax), as a plain number'),
  tax_lines: z.array(TaxLineSchema).describe('Tax breakdown by rate; empty when not printed'),
  order_number: nullableText(256, 'Order or purchase-order number'),
  seller_tax_id: nullableText(64, "Issuer's VAT/GST/tax number as printed"),
  customer_tax_id: nullableText(64, "Customer's VAT/GST/tax number as printed"),
  iban: nullableText(64, 'IBAN to pay to, as printed'),
  bic: nullableText(16, 'BIC/SWIFT code'),
  payment_terms: nullableText(512, 'Payment terms as printed, e.g. "30 days net"'),
  line_items: z.array(LineItemSchema).describe('Line items in document order; empty when there are none'),
});
export type ExtractedFields = z.infer<typeof ExtractedFieldsSchema>;

export const PageSummarySchema = z.strictObject({
  page: z.number().int().min(1).describe('1-based page number'),
  text_excerpt: text(8000, 'Text of the page'),
  image_description: text(2000, 'Visual description: layout, logos, stamps, signatures'),
});
export type PageSummary = z.infer<typeof PageSummarySchema>;

export const CrossDocMatchSchema = z.strictObject({
  vector_store_id: nullableText(64, 'Vector store of the related document'),
  file_id: nullableText(64, 'File id of the related document'),
  filename: nullableText(255, 'File name of the related document'),
  score: z.number().min(0).max(1).describe('Similarity 0..1').nullable(),
  rationale: nullableText(1024, 'Why the documents are related'),
});
export type CrossDocMatch = z.infer<typeof CrossDocMatchSchema>;

export const NormalizationSchema = z.strictObject({
  canonical_issuer: nullableText(256, 'Canonical issuer name, stable across documents'),
  canonical_account_label: nullableText(256, 'Canonical account label, e.g. "Electric ****1234"'),
  property_identifier: nullableText(256, 'Property the document is about, if any'),
});
export type Normalization = z.infer<typeof NormalizationSchema>;

/** Where on the page a value was read: a box in 0..1 page coordinates, origin top-left. */
export const EvidenceBoxSchema = z.strictObject({
  x0: z.number().min(0).max(1).describe('Left edge, 0..1 of the page width'),
  y0: z.number().min(0).max(1).describe('Top edge, 0..1 of the page height'),
  x1: z.number().min(0).max(1).describe('Right edge, 0..1 of the page width'),
  y1: z.number().min(0).max(1).describe('Bottom edge, 0..1 of the page height'),
});
export type EvidenceBox = z.infer<typeof EvidenceBoxSchema>;

/** How sure the extractor is about one field, and where it read it. */
export const FieldEvidenceSchema = z.strictObject({
  confidence: z.number().min(0).max(1).describe('Confidence that the field value is right, 0..1'),
  page: z.number().int().min(1).describe('1-based page the value was read from').nullable(),
  source_text: nullableText(512, 'The text span the value was read from, verbatim'),
  box: EvidenceBoxSchema.describe('Position of the span on the page, when known').nullable(),
});
export type FieldEvidence = z.infer<typeof FieldEvidenceSchema>;

export const FieldEvidenceMapSchema = z.strictObject(
  Object.fromEntries(
    EVIDENCE_FIELDS.map((f) => [
      f,
      FieldEvidenceSchema.nullable().describe(`Evidence for ${f}; null when the field is null`),
    ]),
  ) as Record<EvidenceField, z.ZodNullable<typeof FieldEvidenceSchema>>,
);
export type FieldEvidenceMap = z.infer<typeof FieldEvidenceMapSchema>;

/**
 * The document metadata schema: seed schema v1 (38 top-level fields) plus the 1.1 additions (`customer`,
 * `field_evidence`, invoice detail in `extracted_fields`). Every field is required; nullable = `.nullable()`.
 */
export const DocumentMetadataSchema = z.strictObject({
  // tracking
  schema_version: z.literal(SCHEMA_VERSION).describe('Schema version'),
  processed_date: z.string().min(1, { error: 'must not be empty' }).describe('Echo processed_at exactly'),
  original_file_name: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(255, { error: 'must be at most 255 characters' })
    .describe('Echo original_file_name exactly'),
  source_file_id: z.string().min(1, { error: 'must not be empty' }).describe('Echo source_file_id exactly'),
  // titles
  title: nullableText(512, 'Human title, not a file name'),
  brief_description: nullableText(512, '1-2 sentences'),
  long_description: nullableText(2048, 'One paragraph'),
  summary: nullableText(1500, 'Neutral summary of the content'),
  summary_long: nullableText(4096, 'About half a page'),
  // email
  email_subject: nullableText(512, 'Subject line for a notification email'),
  email_preview_text: nullableText(160, 'Email preview text'),
  email_body_markdown: nullableText(10000, 'Scannable Markdown email body'),
  // classification
  category: z.enum(CATEGORIES).describe('Top-level category'),
  subcategory: z.enum(SUBCATEGORIES).nullable().describe('Subcategory'),
  doc_type: nullableText(256, 'Free-text document type, e.g. "electricity bill"'),
  confidence_score: z.number().min(0).max(1).describe('Confidence in the classification and fields, 0..1').nullable(),
  // parties and dates
  issuer: nullableText(512, 'Organisation or person that issued the document'),
  customer: nullableText(512, 'Organisation or person the document is addressed or billed to'),
  primary_date: nullableDate('Most important date of the document'),
  period_start_date: nullableDate('Start of the period the document covers'),
  period_end_date: nullableDate('End of the period the document covers'),
  // actions
  key_points: z.array(text(512, 'Key point')).describe('Key facts and flags'),
  action_items: z.array(ActionItemSchema).describe('Actions the reader has to take'),
  deadline: nullableText(128, 'YYYY-MM-DD if explicit, else plain language'),
  deadline_source: z.enum(DEADLINE_SOURCES).nullable().describe('Where the deadline came from'),
  urgency_score: z.number().int().min(0).max(100).describe('Urgency 0..100').nullable(),
  urgency_reason: nullableText(1024, '1-3 sentences'),
  // extraction
  extracted_fields: ExtractedFieldsSchema.describe('Structured fields; null when absent'),
  // filing
  suggested_file_name: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(150, { error: 'must be at most 150 characters' })
    .describe('ASCII file name without extension (max 150 chars)'),
  suggested_relative_path: nullableText(1024, 'Folder path relative to the archive root'),
  tags: z.array(text(64, 'Tag')).describe('5-12 lower-case tags'),
  language: z
    .string()
    .regex(new RegExp(LANGUAGE_PATTERN), { error: 'must be an ISO 639-1 code of two lower-case letters' })
    .describe('ISO 639-1 language code of the document')
    .nullable(),
  page_count: z.number().int().min(1).describe('Number of pages').nullable(),
  // OCR
  ocr_text_excerpt: nullableText(40000, 'Document text'),
  ocr_page_summaries: z.array(PageSummarySchema).describe('One entry per page'),
  // dedupe
  content_signature: nullableText(8192, 'First ~512 chars of normalised text'),
  cross_doc_matches: z.array(CrossDocMatchSchema).describe('Related documents found by file search'),
  normalization: NormalizationSchema.describe('Canonical names for de-duplication'),
  // evidence (schema 1.1)
  field_evidence: FieldEvidenceMapSchema.describe('Per key field: confidence, page, source text and box'),
  // diagnostics
  errors: z.array(text(512, 'Problem')).describe('Problems met while reading the document'),
});
export type DocumentMetadata = z.infer<typeof DocumentMetadataSchema>;

/** Top-level field names in schema order. */
export const DOCUMENT_METADATA_FIELDS = Object.keys(DocumentMetadataSchema.shape) as (keyof DocumentMetadata)[];

/** Validates a value (e.g. parsed model output) against {@link DocumentMetadataSchema}. */
export function parseDocumentMetadata(value: unknown): ParseResult {
  const result = DocumentMetadataSchema.safeParse(value);
  return result.success ? { ok: true, data: result.data } : { ok: false, issues: formatIssues(result.error) };
}
