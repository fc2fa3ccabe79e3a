/** Map a parsed e-invoice onto the document metadata schema, with the cross-check against the text reading. */
import {
  DocumentMetadataSchema,
  createEmptyMetadata,
  sanitizeFileNamePart,
  stripExtension,
  type DocumentMetadata,
  type FieldEvidence,
} from '@autod/core';
import { detectLanguage } from '../classify.js';
import { daysBetween } from '../dates.js';
import type { PdfPage } from '../pdf.js';
import { formatMoney, monthYear, squash, titleCase, truncate } from '../text.js';
import { XML_CONFIDENCE, crossCheck, type CrossCheckFinding } from './cross-check.js';
import { renderedText } from './render.js';
import {
  COLLECTED_MEANS_CODES,
  CREDIT_NOTE_CODES,
  SELF_BILLED_CODES,
  typeLabel,
  type EInvoice,
  type EInvoiceParty,
} from './model.js';
import {
  action,
  canonicalIssuer,
  normaliseSignature,
  pageSummaries,
  processedDay,
  tagify,
  urgencyFor,
} from './offline-helpers.js';

export interface EInvoiceMetadataInput {
  fileName: string;
  /** ISO timestamp of processing; also the "today" for due-date urgency. */
  processedAt: string;
  sourceFileId: string;
  pageCount?: number;
  /**
   * The text-based reading of the same document (the offline rules over the PDF text), for the cross-check. Absent
   * for a bare XML file (its PDF is rendered from the XML, so there is nothing independent to compare).
   */
  textResult?: DocumentMetadata;
  /** The document's text (PDF text layer, or the text rendered from a bare XML); default `textResult`'s excerpt. */
  text?: string;
  /** Per-page texts for the page summaries; default `textResult`'s page summaries. */
  pages?: PdfPage[];
}

export interface EInvoiceMetadataResult {
  metadata: DocumentMetadata;
  /** Key fields where the text reading disagreed with the XML (the XML value was kept). */
  findings: CrossCheckFinding[];
}

const EXCERPT_LIMIT = 40_000;
/** Confidence of a due date found as a date inside the payment-terms text (not a date element). */
const TERMS_DUE_CONFIDENCE = 0.9;

/** Language by the seller's country, when the texts do not tell (official or dominant business language). */
const COUNTRY_LANGUAGE: Readonly<Record<string, string>> = {
  DE: 'de',
  AT: 'de',
  CH: 'de',
  LI: 'de',
  FR: 'fr',
  MC: 'fr',
  LU: 'fr',
  NL: 'nl',
  ES: 'es',
  IT: 'it',
  SM: 'it',
  PT: 'pt',
  GB: 'en',
  IE: 'en',
  US: 'en',
  CA: 'en',
  AU: 'en',
  NZ: 'en',
  PL: 'pl',
  CZ: 'cs',
  SK: 'sk',
  SE: 'sv',
  DK: 'da',
  NO: 'no',
  FI: 'fi',
  HU: 'hu',
  RO: 'ro',
  BG: 'bg',
  GR: 'el',
  CY: 'el',
  HR: 'hr',
  SI: 'sl',
  EE: 'et',
  LV: 'lv',
  LT: 'lt',
  MT: 'mt',
};

const FLAVOR_NAME: Readonly<Record<EInvoice['flavor'], string>> = {
  'factur-x': 'Factur-X/ZUGFeRD 2 (CII)',
  'zugferd-1': 'ZUGFeRD 1.0 (CII)',
  'xrechnung-cii': 'XRechnung (CII)',
  'xrechnung-ubl': 'XRechnung (UBL)',
  ubl: 'UBL',
};

function partyName(p: EInvoiceParty): string | null {
  return p.name ?? p.tradingName;
}

function evidence(sourceText: string | undefined, confidence = XML_CONFIDENCE): FieldEvidence {
  return { confidence, page: null, source_text: sourceText ?? null, box: null };
}

/** Text the readers can check the language on: notes, item names, payment terms. */
function xmlProse(inv: EInvoice): string {
  return [...inv.notes, ...inv.lines.map((l) => l.description), inv.paymentTerms ?? ''].join('\n');
}

/**
 * The metadata of an e-invoice, read from its XML: parties (for a self-billed invoice, code 389, the issuer is the
 * buyer and the customer the seller), number, dates, totals, tax lines, payment details and line items, plus the
 * usual titles, summaries, tags and actions. With `textResult` the key fields are cross-checked (see
 * `crossCheck`): the XML wins, a disagreement lowers that field's confidence and adds a note to `errors`.
 * The result always passes `DocumentMetadataSchema`.
 */
export function eInvoiceToMetadata(inv: EInvoice, input: EInvoiceMetadataInput): EInvoiceMetadataResult {
  const fileName = input.fileName.trim().length > 0 ? input.fileName.slice(0, 255) : 'invoice.xml';
  const processedDate = input.processedAt.trim().length > 0 ? input.processedAt : new Date(0).toISOString();
  const sourceFileId = input.sourceFileId.trim().length > 0 ? input.sourceFileId : 'unknown';
  const pageCount = input.pageCount ?? input.textResult?.page_count ?? undefined;
  const meta = createEmptyMetadata({
    processedDate,
    originalFileName: fileName,
    sourceFileId,
    ...(pageCount ? { pageCount } : {}),
  });

  const code = inv.typeCode;
  const credit = code !== null && CREDIT_NOTE_CODES.has(code);
  const selfBilled = code !== null && SELF_BILLED_CODES.has(code);
  const label = typeLabel(code);
  const issuerParty = selfBilled ? inv.buyer : inv.seller;
  const customerParty = selfBilled ? inv.seller : inv.buyer;
  const issuer = partyName(issuerParty);
  const customer = partyName(customerParty);
  const currency = inv.currency && /^[A-Z]{3}$/.test(inv.currency) ? inv.currency : null;
  const t = inv.totals;
  const total = t.gross ?? t.due;
  const due = t.due ?? t.gross;
  const money = (n: number): string => formatMoney(n, currency);

  // --- classification and parties
  meta.doc_type = credit ? 'credit note' : 'invoice';
  meta.category = 'Financial & Administrative';
  meta.subcategory = 'Invoices';
  meta.issuer = issuer?.slice(0, 512) ?? null;
  meta.customer = customer?.slice(0, 512) ?? null;
  meta.primary_date = inv.issueDate;
  meta.period_start_date = inv.periodStart;
  meta.period_end_date = inv.periodEnd;
  if (issuer) meta.normalization.canonical_issuer = canonicalIssuer(issuer) || null;

  // --- fields
  const ef = meta.extracted_fields;
  ef.invoice_number = inv.number?.slice(0, 256) ?? null;
  ef.due_date = inv.dueDate;
  ef.period_start_date = inv.periodStart;
  ef.period_end_date = inv.periodEnd;
  ef.currency = currency;
  ef.total_amount = total;
  ef.amount_due = due;
  ef.net_amount = t.net;
  ef.tax_amount = t.tax;
  ef.tax_lines = inv.taxLines.map((l) => ({ rate: l.rate, net_amount: l.net, tax_amount: l.tax }));
  ef.order_number = inv.orderNumber?.slice(0, 256) ?? null;
  ef.seller_tax_id = (issuerParty.vatId ?? issuerParty.taxNumber)?.slice(0, 64) ?? null;
  ef.customer_tax_id = (customerParty.vatId ?? customerParty.taxNumber)?.slice(0, 64) ?? null;
  ef.tax_id = ef.seller_tax_id;
  ef.iban = inv.ibans[0] ?? null;
  ef.bic = inv.bic;
  ef.payment_terms = inv.paymentTerms?.slice(0, 512) ?? null;
  ef.line_items = inv.lines.slice(0, 1000).map((l) => ({
    description: l.description.slice(0, 512),
    quantity: l.quantity,
    unit_price: l.unitPrice,
    amount: l.amount,
  }));
  ef.customer_name = customer?.slice(0, 256) ?? null;
  ef.email = issuerParty.email?.slice(0, 256) ?? null;
  ef.phone = issuerParty.phone?.slice(0, 64) ?? null;
  ef.service_address = null;
  meta.normalization.property_identifier = null;

  // --- evidence
  const src = inv.sources;
  meta.field_evidence = {
    issuer: issuer ? evidence(selfBilled ? src.buyer : src.seller) : null,
    customer: customer ? evidence(selfBilled ? src.seller : src.buyer) : null,
    primary_date: inv.issueDate ? evidence(src.issueDate) : null,
    total_amount: total !== null ? evidence(t.gross !== null ? src.gross : src.due) : null,
    currency: currency ? evidence(src.currency) : null,
    invoice_number: ef.invoice_number ? evidence(src.number) : null,
    due_date: inv.dueDate ? evidence(src.dueDate, inv.dueDateFromTerms ? TERMS_DUE_CONFIDENCE : XML_CONFIDENCE) : null,
  };

  // --- cross-check against the text reading
  const printed = input.text ?? input.textResult?.ocr_text_excerpt ?? '';
  const findings: CrossCheckFinding[] = [];
  if (input.textResult) {
    const accepted = [t.gross, t.due, t.net].filter((n): n is number => n !== null);
    findings.push(...crossCheck(meta, input.textResult, printed, accepted));
    for (const f of findings) {
      const ev = meta.field_evidence[f.field];
      if (ev) ev.confidence = Math.min(ev.confidence, f.confidence);
      meta.errors.push(truncate(f.note, 512, '…'));
    }
  }

  // --- deadline and actions
  const today = processedDay(processedDate);
  const collected = inv.paymentMeansCodes.some((c) => COLLECTED_MEANS_CODES.has(c));
  const payable = !credit && due !== null && due > 0;
  const issuerName = issuer ?? 'the issuer';
  if (payable && due !== null) {
    const days = inv.dueDate && today ? daysBetween(today, inv.dueDate) : null;
    const urgency = days !== null ? urgencyFor(days) : null;
    let what: string;
    let why: string;
    if (selfBilled) {
      what = `Expect payment of ${money(due)} from ${issuerName}`;
      why = 'Self-billed invoice: the buyer issued it and pays the amount.';
    } else if (collected) {
      what = `${money(due)} will be collected by ${issuerName} (direct debit or card)`;
      why = 'The e-invoice names a direct debit or card payment: nothing to transfer.';
    } else {
      const payee = inv.payee && partyName(inv.payee) && partyName(inv.payee) !== issuer ? partyName(inv.payee) : null;
      what = `Pay ${money(due)} to ${issuerName}${payee ? ` (payee ${payee})` : ''}`;
      why = inv.dueDate
        ? 'Due date stated in the e-invoice.'
        : 'Amount due stated in the e-invoice without a due date.';
    }
    meta.action_items.push(
      action(inv.dueDate ? `${what} by ${inv.dueDate}` : what, inv.dueDate, urgency?.priority ?? 'medium', why),
    );
    if (inv.dueDate) {
      meta.deadline = inv.dueDate;
      meta.deadline_source = inv.dueDateFromTerms ? 'implied_in_text' : 'explicit_due_date';
    } else meta.deadline_source = 'none';
    if (selfBilled || collected) {
      meta.urgency_score = 10;
      meta.urgency_reason = 'Nothing to transfer: the amount is paid by the buyer or collected by the seller.';
    } else if (urgency) {
      meta.urgency_score = urgency.score;
      meta.urgency_reason = urgency.reason;
    } else {
      meta.urgency_score = 30;
      meta.urgency_reason = 'An amount is due but the e-invoice names no due date.';
    }
  } else {
    meta.deadline_source = 'none';
    meta.urgency_score = 0;
    meta.urgency_reason = credit ? 'A credit note: nothing to pay.' : 'Nothing is due for payment.';
  }

  // --- language, text
  const text = printed.trim().length > 0 ? printed : renderedText(inv);
  meta.language =
    detectLanguage(text) ??
    detectLanguage(xmlProse(inv)) ??
    COUNTRY_LANGUAGE[inv.seller.address?.countryCode ?? ''] ??
    null;
  meta.ocr_text_excerpt = truncate(text.trim(), EXCERPT_LIMIT);
  meta.content_signature = normaliseSignature(text);
  if (input.pages && input.pages.length > 0) {
    meta.ocr_page_summaries = pageSummaries(input.pages, pageCount, (p) =>
      p.source === 'ocr' ? 'scanned page (text recognised by OCR)' : 'page with a text layer',
    );
  } else if (input.textResult) {
    meta.ocr_page_summaries = input.textResult.ocr_page_summaries;
  }

  // --- key points, titles, summaries
  const points: string[] = [];
  if (issuer) points.push(`${selfBilled ? 'Issued by (buyer)' : 'Issuer'}: ${issuer}`);
  if (customer) points.push(`${selfBilled ? 'Seller' : 'Customer'}: ${customer}`);
  if (inv.number) points.push(`${titleCase(label)} number: ${inv.number}`);
  if (inv.issueDate) points.push(`Date: ${inv.issueDate}`);
  if (t.net !== null) points.push(`Net: ${money(t.net)}`);
  for (const l of inv.taxLines.slice(0, 6)) {
    if (l.tax !== null)
      points.push(
        `Tax${l.rate !== null ? ` ${l.rate}%` : ''}: ${money(l.tax)}${l.net !== null ? ` on ${money(l.net)}` : ''}`,
      );
  }
  if (total !== null) points.push(`Total: ${money(total)}`);
  if (t.prepaid !== null && t.prepaid !== 0) points.push(`Prepaid: ${money(t.prepaid)}`);
  if (due !== null && total !== null && due !== total) points.push(`Amount due: ${money(due)}`);
  if (inv.dueDate) points.push(`Due: ${inv.dueDate}`);
  if (inv.orderNumber) points.push(`Order number: ${inv.orderNumber}`);
  if (ef.iban) points.push(`IBAN: ${ef.iban}${ef.bic ? ` (BIC ${ef.bic})` : ''}`);
  if (inv.paymentTerms) points.push(`Payment terms: ${inv.paymentTerms}`);
  if (selfBilled) points.push('Self-billed: issued by the buyer on behalf of the seller.');
  points.push(`Read from the ${FLAVOR_NAME[inv.flavor]} e-invoice XML${inv.profile ? ` (${inv.profile})` : ''}.`);
  meta.key_points = points.map((p) => truncate(p, 512, '…'));

  const when = inv.issueDate ? monthYear(inv.issueDate) : null;
  meta.title = [issuer, titleCase(label), inv.number, when]
    .filter((p): p is string => Boolean(p))
    .join(' ')
    .slice(0, 512);
  const article = /^[aeiou]/i.test(label) ? 'An' : 'A';
  let brief = `${article} ${label}`;
  if (issuer) brief += ` from ${issuer}`;
  if (customer) brief += ` to ${customer}`;
  if (inv.issueDate) brief += ` dated ${inv.issueDate}`;
  if (total !== null) brief += ` for ${money(total)}`;
  brief += '.';
  if (payable && due !== null && inv.dueDate) brief += ` ${money(due)} due ${inv.dueDate}.`;
  meta.brief_description = truncate(brief, 512, '…');
  meta.summary = truncate(
    `${brief} ${points.join('; ')}. ${inv.lines.length} line item(s). Pages: ${pageCount ?? 1}.`,
    1500,
  );
  const lineText = inv.lines
    .slice(0, 40)
    .map(
      (l) =>
        `${squash(l.description)}${l.quantity !== null ? ` × ${l.quantity}` : ''}${l.amount !== null ? ` = ${money(l.amount)}` : ''}`,
    )
    .join('; ');
  meta.long_description = truncate(`${meta.summary}${lineText ? ` Lines: ${lineText}.` : ''}`, 2048);
  meta.summary_long = truncate(
    [
      meta.summary,
      lineText ? `Lines: ${lineText}.` : '',
      inv.notes.length > 0 ? `Notes: ${inv.notes.map(squash).join(' / ')}` : '',
      'Read exactly from the structured e-invoice (no OCR, no model); confidence reflects the cross-check with the printed text.',
    ]
      .filter((s) => s.length > 0)
      .join('\n\n'),
    4096,
  );
  meta.email_subject = (meta.title || brief).slice(0, 512);
  meta.email_preview_text = truncate(brief, 160, '…');
  meta.email_body_markdown = truncate(
    [
      `**${meta.title || titleCase(label)}**`,
      '',
      ...points.map((p) => `- ${p}`),
      ...meta.action_items.map((a) => `- [ ] ${a.description}`),
    ].join('\n'),
    10_000,
  );

  // --- filing
  const nameParts = [
    inv.issueDate,
    issuer ? sanitizeFileNamePart(issuer, 60) : null,
    label,
    inv.number ? sanitizeFileNamePart(inv.number, 40) : null,
  ].filter((p): p is string => Boolean(p));
  meta.suggested_file_name = sanitizeFileNamePart(
    nameParts.length > 1 ? nameParts.join(' - ') : stripExtension(fileName),
    150,
  );
  meta.suggested_relative_path = 'Financial & Administrative/Invoices'
    .split('/')
    .map((p) => sanitizeFileNamePart(p, 100))
    .join('/');

  const tags = new Set<string>();
  for (const tag of [
    meta.doc_type,
    'invoices',
    'financial',
    'e-invoice',
    inv.flavor === 'zugferd-1' ? 'zugferd' : inv.flavor.startsWith('xrechnung') ? 'xrechnung' : inv.flavor,
    meta.normalization.canonical_issuer ?? '',
    inv.issueDate?.slice(0, 4) ?? '',
    currency ?? '',
    meta.language ?? '',
    selfBilled ? 'self-billed' : '',
  ]) {
    const v = tagify(tag);
    if (v.length > 0) tags.add(v);
  }
  if (meta.action_items.length > 0) tags.add('action-required');
  meta.tags = [...tags].slice(0, 12);

  const confidences = Object.values(meta.field_evidence)
    .filter((e): e is FieldEvidence => e !== null)
    .map((e) => e.confidence);
  meta.confidence_score = confidences.length > 0 ? Math.min(XML_CONFIDENCE, ...confidences) : 0.5;

  return { metadata: finish(meta), findings };
}

/** Validate; an out-of-schema value (it should not happen) is reported instead of failing the document. */
function finish(meta: DocumentMetadata): DocumentMetadata {
  const parsed = DocumentMetadataSchema.safeParse(meta);
  if (parsed.success) return parsed.data;
  // Drop the offending fields one level deep, note them, and validate again.
  const fixed = structuredClone(meta);
  for (const issue of parsed.error.issues.slice(0, 20)) {
    const [top, sub] = issue.path;
    if (top === 'extracted_fields' && typeof sub === 'string' && sub in fixed.extracted_fields) {
      const key = sub as keyof DocumentMetadata['extracted_fields'];
      (fixed.extracted_fields as Record<string, unknown>)[key] = Array.isArray(fixed.extracted_fields[key]) ? [] : null;
    }
    fixed.errors.push(truncate(`E-invoice field ${issue.path.join('.')} dropped: ${issue.message}`, 512, '…'));
  }
  return DocumentMetadataSchema.parse(fixed);
}
