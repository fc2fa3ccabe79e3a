import type { DocumentMetadata, LineItem } from '@autod/core';
import { squash, type LineIndex } from '../text.js';
import {
  findBic,
  findEmail,
  findIban,
  findId,
  findInvoiceNumber,
  findLabelledLine,
  findOrderNumber,
  findPaymentTerms,
  findPhone,
  findTaxIds,
  type IdFact,
} from './identifiers.js';
import { lineItems } from './line-items.js';
import type { PartyFact } from './parties.js';

const SERVICE_ADDRESS = /\bservice (?:address|location)\b/;
const PROPERTY_ADDRESS = /\bproperty address\b|\bpremises\b/;
const CUSTOMER_NAME =
  /\b(?:customer name|account holder|account name|employee name|employee|policyholder|insured|patient name|patient|taxpayer|name)\b(?=\s*:)/;

/** The part of the extractor's `OfflineFacts` this rule reads (`customer`) and fills in (the rest). */
export interface RecordIdFacts {
  customer: string | null;
  orderNumber: string | null;
  sellerTaxId: string | null;
  customerTaxId: string | null;
  iban: string | null;
  bic: string | null;
  paymentTerms: string | null;
  lineItems: LineItem[];
}

/**
 * Writes the identifiers and contact details into `meta.extracted_fields` and the invoice detail
 * into `facts`: account/invoice/policy/claim/loan numbers, tax id, email, phone, addresses,
 * customer name, meter readings, order number, seller and customer tax ids (a tax id inside the
 * customer's block is the customer's), IBAN, BIC, payment terms and line items.
 */
export function recordIdentifiers(
  meta: DocumentMetadata,
  facts: RecordIdFacts,
  text: string,
  lines: LineIndex,
  customer: PartyFact | undefined,
  docTypeKey: string | null,
  note: (field: string, value: string, rule: string) => void,
): { invoiceNo: IdFact | null; ids: number } {
  const ef = meta.extracted_fields;
  const invoiceNo = findInvoiceNumber(text);
  ef.account_number = findId(text, 'account');
  // The older, looser rule only when it read a number, not a word ("FACTURA SIMPLIFICADA 0012").
  const looseInvoice = findId(text, 'invoice');
  ef.invoice_number = invoiceNo?.value ?? (looseInvoice && !/\p{L}{5,}/u.test(looseInvoice) ? looseInvoice : null);
  ef.policy_number = findId(text, 'policy');
  ef.claim_number = findId(text, 'claim');
  ef.loan_number = findId(text, 'loan');
  ef.tax_id = findId(text, 'tax')?.slice(0, 64) ?? null;
  // Insurers and lenders use the policy/loan number as the account number.
  ef.account_number ??= ef.policy_number ?? ef.loan_number;
  ef.email = findEmail(text);
  ef.phone = findPhone(text);
  ef.service_address = findLabelledLine(text, SERVICE_ADDRESS, 512);
  ef.property_address = findLabelledLine(text, PROPERTY_ADDRESS, 512);
  ef.customer_name = findLabelledLine(text, CUSTOMER_NAME, 256) ?? facts.customer ?? dearName(text);
  const meter =
    /\b(?:meter|reading|usage|consumption)\b[^\n]{0,80}?\b\d[\d,.]*\s?(?:kwh|m3|m³|ccf|therms?|gallons|gal|liters?|l)\b/i.exec(
      text,
    );
  ef.meter_readings = meter ? squash(meter[0]).slice(0, 512) : null;
  for (const [field, value] of Object.entries(ef)) {
    if (
      typeof value === 'string' &&
      ['account_number', 'invoice_number', 'policy_number', 'claim_number', 'loan_number'].includes(field)
    ) {
      note(field, value, 'labelled identifier');
    }
  }
  facts.orderNumber = findOrderNumber(text)?.value ?? null;
  const taxIds = findTaxIds(text);
  const customerLineNos = new Set<number>();
  if (customer) {
    const start = lines.lineAt(customer.index).no;
    for (let n = start; n < start + 8; n++) customerLineNos.add(n);
  }
  facts.sellerTaxId = taxIds.find((t) => !customerLineNos.has(lines.lineAt(t.index).no))?.value ?? null;
  facts.customerTaxId = taxIds.find((t) => customerLineNos.has(lines.lineAt(t.index).no))?.value ?? null;
  facts.iban = findIban(text)?.value ?? null;
  facts.bic = findBic(text)?.value ?? null;
  facts.paymentTerms = findPaymentTerms(text, lines)?.value ?? null;
  facts.lineItems = docTypeKey === 'invoice' || docTypeKey === 'receipt' ? lineItems(lines) : [];
  const ids = [ef.account_number, ef.invoice_number, ef.policy_number, ef.claim_number, ef.loan_number].filter(
    (v) => v !== null,
  ).length;
  if (ef.account_number) {
    const tail = ef.account_number.replace(/[^A-Za-z0-9]/g, '').slice(-4);
    meta.normalization.canonical_account_label =
      `${meta.normalization.canonical_issuer ?? meta.issuer ?? 'Account'} ****${tail}`.slice(0, 256);
  }
  meta.normalization.property_identifier = ef.property_address ?? ef.service_address;
  return { invoiceNo, ids };
}

function dearName(text: string): string | null {
  const m = /^\s*(?:dear|hello|hi)\s+([^,\n]{2,60}),/im.exec(text);
  const v = m?.[1]?.trim();
  return v && !/^(?:customer|sir|madam|sir or madam|valued customer|member)$/i.test(v) ? v.slice(0, 256) : null;
}
