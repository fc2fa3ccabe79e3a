import { isIsoDate } from './dates.js';
import { indexedFields } from './metadata.js';
import type { DocumentMetadata } from './schema.js';

/** OpenAI vector-store file attribute limits. */
export const MAX_VECTOR_STORE_ATTRIBUTES = 16;
const MAX_ATTRIBUTE_VALUE_CHARS = 512;

export type VectorStoreAttributes = Record<string, string | number | boolean>;

/**
 * The attributes an OpenAI vector-store file carries (in priority order; {@link buildVectorStoreAttributes}).
 * Named like the `documents` columns they copy, so a document filter on one of these columns can be sent to OpenAI.
 */
export const VECTOR_STORE_ATTRIBUTE_KEYS = [
  'document_id',
  'sha256_hex',
  'category',
  'subcategory',
  'doc_type',
  'issuer',
  'primary_date',
  'total_amount',
  'currency',
  'urgency_score',
  'language',
  'processed_date',
  'filename',
] as const;
export type VectorStoreAttributeKey = (typeof VECTOR_STORE_ATTRIBUTE_KEYS)[number];

export interface VectorStoreAttributeInput {
  /** DB id of the document. */
  documentId?: string | number;
  /** SHA-256 of the file bytes, lower-case hex. */
  sha256Hex?: string;
}

/**
 * Attributes for an OpenAI vector-store file (seed §7.3, current schema only): non-null values in
 * priority order, at most 16 keys, strings cut to 512 chars (issuer 100, filename: last 50 chars).
 * Order: document_id, sha256_hex, category, subcategory, doc_type, issuer, primary_date,
 * total_amount, currency, urgency_score, language, processed_date (YYYY-MM-DD), filename.
 */
export function buildVectorStoreAttributes(
  m: DocumentMetadata,
  input: VectorStoreAttributeInput = {},
): VectorStoreAttributes {
  const f = indexedFields(m);
  const processedDay = m.processed_date.slice(0, 10);
  const candidates: [VectorStoreAttributeKey, string | number | boolean | null | undefined][] = [
    ['document_id', input.documentId === undefined ? undefined : String(input.documentId)],
    ['sha256_hex', input.sha256Hex],
    ['category', f.category],
    ['subcategory', f.subcategory],
    ['doc_type', f.docType],
    ['issuer', f.issuer?.slice(0, 100)],
    ['primary_date', f.primaryDate],
    ['total_amount', f.totalAmount],
    ['currency', f.currency],
    ['urgency_score', m.urgency_score],
    ['language', m.language],
    ['processed_date', isIsoDate(processedDay) ? processedDay : null],
    ['filename', m.original_file_name.slice(-50)],
  ];
  const out: VectorStoreAttributes = {};
  for (const [key, value] of candidates) {
    if (value === null || value === undefined || value === '') continue;
    if (Object.keys(out).length >= MAX_VECTOR_STORE_ATTRIBUTES) break;
    out[key] = typeof value === 'string' ? value.slice(0, MAX_ATTRIBUTE_VALUE_CHARS) : value;
  }
  return out;
}

/**
 * The `content_signature` form (seed §7.2): text lower-cased, whitespace collapsed, trimmed,
 * first `maxLen` (512) characters. Equal signatures suggest the same content in different bytes.
 */
export function normalizeContentSignature(text: string, maxLen = 512): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().slice(0, maxLen);
}
