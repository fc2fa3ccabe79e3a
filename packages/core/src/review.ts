import type { EvidenceField } from './enums.js';
import type { DocumentMetadata } from './schema.js';

/** Key fields every document is expected to have (a letter has a sender and a date too). */
const ALWAYS_EXPECTED: readonly EvidenceField[] = ['issuer', 'primary_date'];

/** Value of a key field, as the evidence refers to it. */
export function keyFieldValue(m: DocumentMetadata, field: EvidenceField): string | number | null {
  switch (field) {
    case 'issuer':
      return m.issuer;
    case 'customer':
      return m.customer;
    case 'primary_date':
      return m.primary_date;
    case 'total_amount':
      return m.extracted_fields.total_amount ?? m.extracted_fields.amount_due;
    case 'currency':
      return m.extracted_fields.currency;
    case 'invoice_number':
      return m.extracted_fields.invoice_number;
    case 'due_date':
      return m.extracted_fields.due_date;
  }
}

/**
 * Why a person should look at a document: a key field whose evidence confidence is under `threshold`, or an
 * issuer/date that could not be found at all. Empty when the extraction can be trusted as it is.
 */
export function reviewReasons(m: DocumentMetadata, threshold: number): string[] {
  const reasons: string[] = [];
  for (const [field, evidence] of Object.entries(m.field_evidence) as [
    EvidenceField,
    DocumentMetadata['field_evidence'][EvidenceField],
  ][]) {
    const value = keyFieldValue(m, field);
    if (value === null || evidence === null) continue;
    if (evidence.confidence < threshold) {
      reasons.push(`${field} confidence ${evidence.confidence.toFixed(2)} is under ${threshold}`);
    }
  }
  for (const field of ALWAYS_EXPECTED) {
    if (keyFieldValue(m, field) === null) reasons.push(`${field} not found`);
  }
  return reasons;
}
