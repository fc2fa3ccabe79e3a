/**
 * Version of the metadata schema, stored with every document. 1.0.0 = the seed schema v1; 1.1.0 adds `customer`,
 * `field_evidence` and invoice detail (net/tax/lines, tax ids, IBAN/BIC, order number, payment terms).
 */
export const SCHEMA_VERSION = '1.1.0';
/** Name sent as `text.format.name` to the Responses API (a-z, 0-9, `_`, max 64 chars). */
export const SCHEMA_NAME = 'autod_document_metadata_v1_1';

/** Top-level document categories (seed schema §3.4, 7 values, order kept). */
export const CATEGORIES = [
  'Financial & Administrative',
  'Property & Assets',
  'Personal & Family',
  'Business & Professional',
  'Legal & Government',
  'Household & Lifestyle',
  'Creative & Miscellaneous',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Category used when nothing better is known. */
export const DEFAULT_CATEGORY: Category = 'Creative & Miscellaneous';

/** Subcategories (seed schema §3.4, 21 values). Not coupled to a category. */
export const SUBCATEGORIES = [
  'Bills',
  'Invoices',
  'Receipts',
  'Banking',
  'Taxes',
  'Investments',
  'Loans & Mortgages',
  'Insurance',
  'Legal',
  'Government',
  'Medical',
  'Education',
  'Property Management',
  'Utilities',
  'Telecom',
  'Subscriptions',
  'Payroll',
  'HR',
  'Travel',
  'Vehicle',
  'Misc',
] as const;
export type Subcategory = (typeof SUBCATEGORIES)[number];

/** Action-item priorities. */
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Where a deadline came from. */
export const DEADLINE_SOURCES = ['explicit_due_date', 'implied_in_text', 'inferred_from_context', 'none'] as const;
export type DeadlineSource = (typeof DEADLINE_SOURCES)[number];

/**
 * Lifecycle of a document row: `processing` (claimed by a worker right now), `waiting` (deferred: a transient upstream
 * problem, the per-document deadline, a shutdown or a crash; the row says why and when it is tried next), `completed`,
 * `failed` (set aside in `failed/` with its reason).
 */
export type DocumentStatus = 'processing' | 'waiting' | 'completed' | 'failed';
export const DOCUMENT_STATUSES: readonly DocumentStatus[] = ['processing', 'waiting', 'completed', 'failed'];

/**
 * Metadata providers (architecture §2). `einvoice`: read from a structured e-invoice (Factur-X/ZUGFeRD/XRechnung
 * XML) instead of the configured provider, no model involved.
 */
export type ProviderName = 'openai' | 'local' | 'einvoice';
export const PROVIDER_NAMES: readonly ProviderName[] = ['openai', 'local', 'einvoice'];

/** The key fields that carry evidence (and decide whether a document needs review). */
export const EVIDENCE_FIELDS = [
  'issuer',
  'customer',
  'primary_date',
  'total_amount',
  'currency',
  'invoice_number',
  'due_date',
] as const;
export type EvidenceField = (typeof EVIDENCE_FIELDS)[number];
