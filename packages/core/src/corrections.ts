import { z } from 'zod';
import { CATEGORIES, SUBCATEGORIES } from './enums.js';
import type { EvidenceField } from './enums.js';
import { DocumentMetadataSchema, ExtractedFieldsSchema, type DocumentMetadata } from './schema.js';

/**
 * What a person may correct on a document (from `autod review` or `PATCH /v1/documents/:id`): the key fields
 * and the classification. Each value is validated exactly like the metadata field it replaces.
 */
export const FieldCorrectionsSchema = z.strictObject({
  issuer: DocumentMetadataSchema.shape.issuer.optional(),
  customer: DocumentMetadataSchema.shape.customer.optional(),
  primary_date: DocumentMetadataSchema.shape.primary_date.optional(),
  total_amount: ExtractedFieldsSchema.shape.total_amount.optional(),
  currency: ExtractedFieldsSchema.shape.currency.optional(),
  invoice_number: ExtractedFieldsSchema.shape.invoice_number.optional(),
  due_date: ExtractedFieldsSchema.shape.due_date.optional(),
  doc_type: DocumentMetadataSchema.shape.doc_type.optional(),
  category: z.enum(CATEGORIES).optional(),
  subcategory: z.enum(SUBCATEGORIES).nullable().optional(),
  title: DocumentMetadataSchema.shape.title.optional(),
});
export type FieldCorrections = z.infer<typeof FieldCorrectionsSchema>;
export type CorrectableField = keyof FieldCorrections;
export const CORRECTABLE_FIELDS = Object.keys(FieldCorrectionsSchema.shape) as CorrectableField[];

const EVIDENCE_OF: Partial<Record<CorrectableField, EvidenceField>> = {
  issuer: 'issuer',
  customer: 'customer',
  primary_date: 'primary_date',
  total_amount: 'total_amount',
  currency: 'currency',
  invoice_number: 'invoice_number',
  due_date: 'due_date',
};

/**
 * Parse `field=value` text (the CLI's `--set`) into a correction: numbers for amounts, `null`/empty for "no
 * value", the rest as text. Throws a zod error with the field named when the value is not valid for it.
 */
export function parseCorrectionText(field: string, raw: string): FieldCorrections {
  const value: unknown =
    raw.trim() === '' || raw.trim().toLowerCase() === 'null'
      ? null
      : field === 'total_amount'
        ? Number(raw.replace(/[\s,](?=\d{3}\b)/g, '').replace(',', '.'))
        : field === 'currency'
          ? raw.trim().toUpperCase()
          : raw.trim();
  return FieldCorrectionsSchema.parse({ [field]: value });
}

/**
 * The metadata with a person's corrections applied. A corrected key field's evidence becomes confidence 1 with
 * `source_text` saying who set it; an issuer correction also becomes the canonical issuer.
 */
export function applyCorrections(m: DocumentMetadata, c: FieldCorrections, actor: string): DocumentMetadata {
  const out: DocumentMetadata = structuredClone(m);
  const ef = out.extracted_fields;
  for (const [key, value] of Object.entries(c) as [CorrectableField, unknown][]) {
    if (value === undefined) continue;
    switch (key) {
      case 'issuer':
        out.issuer = value as string | null;
        out.normalization.canonical_issuer = value as string | null;
        break;
      case 'customer':
        out.customer = value as string | null;
        break;
      case 'primary_date':
        out.primary_date = value as string | null;
        break;
      case 'total_amount':
        ef.total_amount = value as number | null;
        break;
      case 'currency':
        ef.currency = value as string | null;
        break;
      case 'invoice_number':
        ef.invoice_number = value as string | null;
        break;
      case 'due_date':
        ef.due_date = value as string | null;
        break;
      case 'doc_type':
        out.doc_type = value as string | null;
        break;
      case 'category':
        out.category = value as DocumentMetadata['category'];
        break;
      case 'subcategory':
        out.subcategory = value as DocumentMetadata['subcategory'];
        break;
      case 'title':
        out.title = value as string | null;
        break;
    }
    const evidenceField = EVIDENCE_OF[key];
    if (evidenceField) {
      out.field_evidence[evidenceField] =
        value === null
          ? null
          : { confidence: 1, page: null, source_text: `corrected by ${actor}`.slice(0, 512), box: null };
    }
  }
  return out;
}

/** The current value of a correctable field (what a correction replaces). */
export function correctableValue(m: DocumentMetadata, field: CorrectableField): string | number | null {
  const ef = m.extracted_fields;
  switch (field) {
    case 'issuer':
      return m.issuer;
    case 'customer':
      return m.customer;
    case 'primary_date':
      return m.primary_date;
    case 'total_amount':
      return ef.total_amount;
    case 'currency':
      return ef.currency;
    case 'invoice_number':
      return ef.invoice_number;
    case 'due_date':
      return ef.due_date;
    case 'doc_type':
      return m.doc_type;
    case 'category':
      return m.category;
    case 'subcategory':
      return m.subcategory;
    case 'title':
      return m.title;
  }
}

/** A person confirmed the extraction as it is: every key field that has a value gets confidence 1. */
export function acceptExtraction(m: DocumentMetadata): DocumentMetadata {
  const out: DocumentMetadata = structuredClone(m);
  for (const [field, evidence] of Object.entries(out.field_evidence) as [
    EvidenceField,
    DocumentMetadata['field_evidence'][EvidenceField],
  ][]) {
    if (evidence) out.field_evidence[field] = { ...evidence, confidence: 1 };
  }
  return out;
}
