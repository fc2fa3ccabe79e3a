import {
  DocumentMetadataSchema,
  createEmptyMetadata,
  emptyFieldEvidence,
  sanitizeFileNamePart,
  stripExtension,
  type Category,
  type DocumentMetadata,
  type FieldEvidenceMap,
  type LineItem,
  type Subcategory,
  type TaxLine,
} from '@autod/core';
import { classify, detectLanguage, headOf, type Classification, type DocTypeRule } from './classify.js';
import type { PdfPage } from './pdf.js';
import { amountFacts, type AmountCandidate } from './rules/amounts.js';
import {
  clamp,
  customerConfidence,
  dateConfidence,
  dueDateConfidence,
  invoiceNumberConfidence,
  issuerConfidence,
  totalConfidence,
} from './rules/confidence.js';
import { decideCurrency, type CurrencyFact } from './rules/currency.js';
import { dateFacts } from './rules/dates.js';
import { describe, pageSummaries } from './rules/describe.js';
import { EvidenceLocator, type EvidenceLine } from './rules/evidence.js';
import { recordDeadline } from './rules/deadline.js';
import { recordIdentifiers } from './rules/record-ids.js';
import type { IdFact } from './rules/identifiers.js';
import { inferLocale, type LocaleFacts } from './rules/locale.js';
import { canonicalIssuer, findParties, type Parties } from './rules/parties.js';
import { LineIndex, formatMoney, squash, truncate } from './text.js';

export type { BoxInput, EvidenceLine } from './rules/evidence.js';

/**
 * A page of input: its text and, when known, its lines with boxes in page coordinates 0..1
 * (`PdfPage` from `readPdf` is one).
 */
export interface ExtractPage {
  page: number;
  text: string;
  source: PdfPage['source'];
  lines?: readonly EvidenceLine[] | undefined;
}

export interface OfflineExtractInput {
  /** The document text (all pages). */
  text: string;
  /** Per-page texts, for page summaries and evidence (default: the whole text as page 1). */
  pages?: readonly ExtractPage[];
  fileName: string;
  /** ISO timestamp of processing; also the "today" for due-date urgency. */
  processedAt: string;
  sourceFileId: string;
  pageCount?: number;
}

export interface EvidenceItem {
  field: string;
  value: string;
  rule: string;
}

/** The headline facts in plain form (also inside `metadata`), for callers that want them typed. */
export interface OfflineFacts {
  /** Stable key of the recognised document type (e.g. `utility_bill`), null when unknown. */
  docTypeKey: string | null;
  /** The document's main amount: gross total, amount due, closing balance, net pay or premium. */
  totalAmount: number | null;
  currency: string | null;
  /** The gross total incl. tax (receipts and invoices alike), null when none is printed. */
  grossTotal: number | null;
  /** The party the document is addressed or billed to. */
  customer: string | null;
  netAmount: number | null;
  taxAmount: number | null;
  taxLines: TaxLine[];
  orderNumber: string | null;
  sellerTaxId: string | null;
  customerTaxId: string | null;
  iban: string | null;
  bic: string | null;
  paymentTerms: string | null;
  lineItems: LineItem[];
  /** Per key field: calibrated confidence and where the value was read. */
  fieldEvidence: FieldEvidenceMap;
  /** ISO 3166 country the document appears to come from (null when unclear). */
  country: string | null;
}

export interface OfflineExtraction {
  metadata: DocumentMetadata;
  evidence: EvidenceItem[];
  facts: OfflineFacts;
}

/** Text beyond this many characters is not analysed (it still goes into the excerpt). */
const ANALYSIS_LIMIT = 60_000;
const EXCERPT_LIMIT = 40_000;
const SIGNATURE_CHARS = 512;

/**
 * Confidence formula (documented in the README): a sum of evidence weights, capped at 0.95.
 *
 *   0.05  text present at all (+0.05 when it has at least 200 characters)
 *   0.25  document type × strength, strength = min(1, score / 8) × margin, margin = 1 - runnerUp / score / 2
 *   0.15  issuer × the issuer rule's strength (labelled "From:" ≈ 0.9, letterhead with suffix ≈ 0.85, plain top line ≈ 0.45)
 *   0.15  primary date: labelled statement/invoice/issue date 0.15, bare "Date:" 0.12, unlabelled 0.07
 *   0.15  total: labelled "amount due/total/balance" 0.15, unlabelled fallback 0.06; for document types
 *         without a payable total (letters, policies...), 0.1 when nothing is claimed
 *   0.10  identifiers: account/invoice/policy/claim/loan number (0.05 each, max 0.10)
 *   0.05  due date found (or no due date expected)
 *
 * Empty text gives 0.0; text with no recognisable fields stays ≤ 0.3; a bill with labelled
 * issuer, date, total and account number reaches 0.85+.
 */
export function confidenceFrom(parts: {
  textChars: number;
  typeScore: number;
  typeRunnerUp: number;
  typeFound: boolean;
  issuerStrength: number;
  dateKind: 'labelled' | 'bare' | 'unlabelled' | 'none';
  totalKind: 'labelled' | 'fallback' | 'none';
  payable: boolean;
  ids: number;
  due: boolean;
}): number {
  if (parts.textChars === 0) return 0;
  let c = 0.05 + (parts.textChars >= 200 ? 0.05 : 0);
  if (parts.typeFound && parts.typeScore > 0) {
    const margin = 1 - Math.min(1, parts.typeRunnerUp / parts.typeScore) / 2;
    c += 0.25 * Math.min(1, parts.typeScore / 8) * margin;
  }
  c += 0.15 * Math.max(0, Math.min(1, parts.issuerStrength));
  c +=
    parts.dateKind === 'labelled'
      ? 0.15
      : parts.dateKind === 'bare'
        ? 0.12
        : parts.dateKind === 'unlabelled'
          ? 0.07
          : 0;
  if (parts.totalKind === 'labelled') c += 0.15;
  else if (parts.totalKind === 'fallback') c += 0.06;
  else if (parts.typeFound && !parts.payable) c += 0.1;
  c += Math.min(0.1, parts.ids * 0.05);
  if (parts.due || (parts.typeFound && !parts.payable)) c += 0.05;
  return Math.round(Math.min(0.95, c) * 100) / 100;
}

function normaliseSignature(text: string): string | null {
  const s = squash(text.toLowerCase()).slice(0, SIGNATURE_CHARS);
  return s.length > 0 ? s : null;
}

function emptyFacts(): OfflineFacts {
  return {
    docTypeKey: null,
    totalAmount: null,
    currency: null,
    grossTotal: null,
    customer: null,
    netAmount: null,
    taxAmount: null,
    taxLines: [],
    orderNumber: null,
    sellerTaxId: null,
    customerTaxId: null,
    iban: null,
    bic: null,
    paymentTerms: null,
    lineItems: [],
    fieldEvidence: emptyFieldEvidence(),
    country: null,
  };
}

/**
 * Fill the metadata schema from text with rules only (no model). Pure and fast; the result always
 * passes `DocumentMetadataSchema`. `evidence` lists, per field, the value and the rule that found
 * it; `facts.fieldEvidence` gives each key field a calibrated confidence and its source.
 */
export function extractOffline(input: OfflineExtractInput): OfflineExtraction {
  const fileName = input.fileName.trim().length > 0 ? input.fileName.slice(0, 255) : 'document.pdf';
  const processedDate = input.processedAt.trim().length > 0 ? input.processedAt : new Date(0).toISOString();
  const sourceFileId = input.sourceFileId.trim().length > 0 ? input.sourceFileId : 'unknown';
  const pageCount = input.pageCount ?? (input.pages && input.pages.length > 0 ? input.pages.length : undefined);
  const meta = createEmptyMetadata({
    processedDate,
    originalFileName: fileName,
    sourceFileId,
    ...(pageCount ? { pageCount } : {}),
  });
  const evidence: EvidenceItem[] = [];
  const facts = emptyFacts();
  const note: Note = (field, value, rule) => {
    evidence.push({ field, value: value.slice(0, 200), rule });
  };

  // eslint-disable-next-line no-control-regex -- drop NULs and other control characters from extracted text
  const fullText = input.text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ');
  const text = fullText.slice(0, ANALYSIS_LIMIT);
  const textChars = text.replace(/\s+/g, '').length;
  const pages: readonly ExtractPage[] =
    input.pages && input.pages.length > 0
      ? input.pages
      : textChars > 0
        ? [{ page: 1, text: fullText, source: 'text' as const }]
        : [];

  if (textChars === 0) {
    meta.errors.push('No text could be read from the document (no text layer, and OCR found nothing or was off).');
    meta.confidence_score = 0;
    meta.suggested_file_name = sanitizeFileNamePart(stripExtension(fileName), 150);
    meta.ocr_page_summaries = pageSummaries(pages, pageCount);
    return finish(meta, evidence, facts);
  }

  const lines = new LineIndex(text);
  const head = headOf(text);
  const ocr = pages.length > 0 && pages.every((p) => p.source !== 'text');
  const r: Reading = { meta, facts, text, lines, head, ocr, note };

  const type = readDocumentType(r);
  const readYear = Number(input.processedAt.slice(0, 4));
  const dates = readDates(r, type.locale, Number.isFinite(readYear) && readYear > 1990 ? readYear : undefined);
  const money = readAmounts(r, type, dates.facts);
  const parties = readParties(r, type.rule);

  // --- identifiers and contact details
  const { invoiceNo, ids } = recordIdentifiers(
    meta,
    facts,
    text,
    lines,
    parties.customer,
    type.rule?.key ?? null,
    note,
  );

  // --- deadline and actions
  const { amountDue, currency } = money;
  recordDeadline(
    meta,
    dates.facts.due?.iso ?? null,
    amountDue ? { amount: amountDue.amount, due: amountDue.kind === 'due' } : null,
    currency,
    type.payable,
    processedDate,
  );

  // --- text, signature, descriptive fields
  meta.ocr_text_excerpt = truncate(fullText.trim(), EXCERPT_LIMIT);
  meta.content_signature = normaliseSignature(fullText);
  meta.ocr_page_summaries = pageSummaries(pages, pageCount);
  describe(
    meta,
    {
      total: money.total ? { amount: money.total.amount, label: labelName(money.total) } : null,
      currency,
      dueDate: dates.facts.due?.iso ?? null,
    },
    lines,
    pages,
    pageCount,
    fileName,
  );

  recordFieldEvidence(r, new EvidenceLocator(text, lines, pages), { parties, dates: dates.facts, money, invoiceNo });
  recordSchemaFields(meta, facts, money.headlineTotal);

  // The document is as sure as its weakest expected key field.
  const fe = facts.fieldEvidence;
  const expected: (keyof FieldEvidenceMap)[] = ['issuer', 'primary_date'];
  if (type.rule?.amountExpected) expected.push('total_amount', 'currency');
  const weakest = Math.min(...expected.map((f) => fe[f]?.confidence ?? 0.2));
  const overall = confidenceFrom({
    textChars,
    typeScore: type.cls.score,
    typeRunnerUp: type.cls.runnerUp,
    typeFound: type.rule !== undefined,
    issuerStrength: parties.issuer?.strength ?? 0,
    dateKind: dates.kind,
    totalKind: money.totalKind,
    payable: type.payable,
    ids,
    due: dates.facts.due !== undefined,
  });
  meta.confidence_score = clamp(Math.min(overall, weakest + 0.05), 0, 0.95);
  note('confidence_score', String(meta.confidence_score), `evidence ${overall}, weakest key field ${weakest}`);
  return finish(meta, evidence, facts);
}

type Note = (field: string, value: string, rule: string) => void;

/** One document being read: what every field step reads, and the metadata, facts and evidence notes it writes. */
interface Reading {
  readonly meta: DocumentMetadata;
  readonly facts: OfflineFacts;
  readonly text: string;
  readonly lines: LineIndex;
  readonly head: string;
  readonly ocr: boolean;
  readonly note: Note;
}

interface DocumentType {
  readonly cls: Classification;
  readonly rule: DocTypeRule | undefined;
  readonly payable: boolean;
  readonly locale: LocaleFacts;
}

/** Document type, category, language and country. */
function readDocumentType({ meta, facts, text, head, note }: Reading): DocumentType {
  const cls = classify(text, head);
  const rule = cls.rule;
  if (rule) {
    meta.doc_type = rule.docType;
    meta.category = rule.category;
    meta.subcategory = rule.subcategory;
    facts.docTypeKey = rule.key;
    note(
      'doc_type',
      rule.docType,
      `keywords (score ${cls.score.toFixed(1)} vs ${cls.runnerUp.toFixed(1)}): ${cls.hits.slice(0, 4).join(', ')}`,
    );
  } else {
    meta.doc_type = 'document';
    meta.subcategory = 'Misc';
    note('doc_type', 'document', 'no document-type keywords found');
  }
  meta.language = detectLanguage(text);
  const locale = inferLocale(text, meta.language);
  facts.country = locale.country;
  if (locale.country) note('country', locale.country, `cues: ${locale.cues.slice(0, 4).join(', ')}`);
  return { cls, rule, payable: rule?.payable ?? false, locale };
}

type DateFacts = ReturnType<typeof dateFacts>;

/** The issue date, the period, the statement and due dates. */
function readDates(
  { meta, text, lines, note }: Reading,
  locale: LocaleFacts,
  readYear: number | undefined,
): { facts: DateFacts; kind: 'labelled' | 'bare' | 'unlabelled' | 'none' } {
  const dates = dateFacts(text, lines, locale, meta.language, readYear);
  let kind: 'labelled' | 'bare' | 'unlabelled' | 'none' = 'none';
  if (dates.primary) {
    meta.primary_date = dates.primary.iso;
    kind = dates.primary.kind === 'primary' ? 'labelled' : dates.primary.kind === 'bare' ? 'bare' : 'unlabelled';
    note(
      'primary_date',
      dates.primary.iso,
      dates.primary.label ? `labelled "${squash(dates.primary.label).slice(-40)}"` : 'first unlabelled date',
    );
  }
  if (dates.dayFirst !== undefined)
    note('date_order', dates.dayFirst ? 'day first' : 'month first', `evidence ${dates.orderEvidence}`);
  if (dates.periodStart && dates.periodEnd) {
    meta.period_start_date = dates.periodStart;
    meta.period_end_date = dates.periodEnd;
    meta.extracted_fields.period_start_date = dates.periodStart;
    meta.extracted_fields.period_end_date = dates.periodEnd;
    note('period', `${dates.periodStart}..${dates.periodEnd}`, 'date range');
  }
  if (dates.statementDate) meta.extracted_fields.statement_date = dates.statementDate;
  if (dates.due) {
    meta.extracted_fields.due_date = dates.due.iso;
    note('due_date', dates.due.iso, `labelled "${squash(dates.due.label).slice(-40)}"`);
  }
  return { facts: dates, kind };
}

interface Money {
  readonly amounts: ReturnType<typeof amountFacts>;
  readonly total: AmountCandidate | undefined;
  readonly totalKind: 'labelled' | 'fallback' | 'none';
  readonly currencyFact: CurrencyFact | null;
  readonly currency: string | null;
  /** `total_amount`: the amount that heads the document (see below). */
  readonly headlineTotal: AmountCandidate | undefined;
  readonly amountDue: AmountCandidate | undefined;
}

/** Totals, net, tax, amount due, balance and currency. */
function readAmounts({ meta, facts, text, lines, note }: Reading, type: DocumentType, dates: DateFacts): Money {
  const { rule, payable } = type;
  const amounts = amountFacts(text, lines, rule?.amountExpected ?? false, payable, dates.all);
  let totalKind: Money['totalKind'] = 'none';
  const total = amounts.total;
  const currencyFact = decideCurrency(text, amounts.all, total, type.locale, meta.language);
  const currency = currencyFact?.code ?? null;
  if (total) {
    totalKind = total.cls === 'none' || total.cls === 'other' ? 'fallback' : 'labelled';
    note(
      'total',
      formatMoney(total.amount, currency),
      (total.label ? `labelled "${squash(total.label).slice(-40)}"` : 'largest amount with a currency') +
        (total.checks.length > 0 ? ` (${total.checks.join(', ')})` : ''),
    );
  }
  if (currencyFact) {
    meta.extracted_fields.currency = currency;
    note('currency', currencyFact.code, currencyFact.how);
  }
  facts.totalAmount = total ? round2(total.amount) : null;
  facts.currency = currency;
  const gross =
    amounts.gross ??
    (total && total.cls !== 'balance' && total.cls !== 'netpay' && total.cls !== 'premium' ? total : undefined);
  facts.grossTotal = gross ? round2(gross.amount) : null;
  // `total_amount`: on invoices and receipts (and unknown documents) the gross grand total, which
  // a prepayment does not lower; on other documents their headline amount (a bill's amount due,
  // a payslip's net pay, an explanation of benefits' patient responsibility, a premium).
  const invoiceLike = !rule || rule.key === 'invoice' || rule.key === 'receipt';
  // A bill whose labelled gross total is at least its amount due (instalments or a credit were
  // paid) is headed by that gross total too; one whose amount due adds a previous balance is not.
  const grossHeads =
    gross !== undefined &&
    gross.cls === 'gross' &&
    (amounts.due === undefined || amounts.due.amount <= gross.amount + 0.005);
  const headlineTotal = invoiceLike || grossHeads ? (gross ?? total) : (total ?? gross);
  facts.netAmount = amounts.net ? round2(amounts.net.amount) : null;
  facts.taxAmount = amounts.tax ? round2(amounts.tax.amount) : null;
  facts.taxLines = amounts.taxLines;
  // An amount due belongs to payable documents (and to unclassified ones that say so), not to
  // receipts: their total is `total_amount`.
  const amountDue = payable ? (amounts.due ?? total) : rule ? undefined : amounts.due;
  if (amountDue) meta.extracted_fields.amount_due = round2(amountDue.amount);
  if (amounts.balance) meta.extracted_fields.balance = round2(amounts.balance.amount);
  else if (total && (total.cls === 'balance' || rule?.key === 'bank_statement'))
    meta.extracted_fields.balance = round2(total.amount);
  return { amounts, total, totalKind, currencyFact, currency, headlineTotal, amountDue };
}

/** Issuer and customer; a letter takes its category from its sender. */
function readParties({ meta, facts, text, lines, head, ocr, note }: Reading, rule: DocTypeRule | undefined): Parties {
  const parties = findParties(text, lines, { ocr });
  const issuerFact = parties.issuer;
  if (issuerFact) {
    meta.issuer = issuerFact.name.slice(0, 512);
    meta.normalization.canonical_issuer = canonicalIssuer(issuerFact.name) || null;
    note('issuer', issuerFact.name, issuerFact.rule);
  }
  if (parties.customer) {
    facts.customer = parties.customer.name.slice(0, 256);
    note('customer', parties.customer.name, parties.customer.rule);
  }
  if (rule?.key === 'letter') {
    const sender = `${meta.issuer ?? ''}\n${head}`;
    const refined = LETTER_SENDERS.find(([re]) => re.test(sender));
    if (refined) {
      meta.category = refined[1];
      meta.subcategory = refined[2];
      note('category', `${refined[1]} / ${refined[2]}`, 'letter sender keywords');
    }
  }
  return parties;
}

/** Per-field evidence (where in the document) and calibrated confidence of the key fields. */
function recordFieldEvidence(
  { meta, facts, text, ocr }: Reading,
  locator: EvidenceLocator,
  found: { parties: Parties; dates: DateFacts; money: Money; invoiceNo: IdFact | null },
): void {
  const { parties, dates, money, invoiceNo } = found;
  const fe = facts.fieldEvidence;
  const put = (field: keyof FieldEvidenceMap, index: number | null, confidence: number): void => {
    fe[field] = locator.at(index, confidence);
  };
  const issuer = parties.issuer;
  if (issuer) put('issuer', issuer.index, issuerConfidence(issuer, parties.issuerRunnerUp, ocr));
  if (parties.customer) put('customer', parties.customer.index, customerConfidence(parties.customer, ocr));
  if (dates.primary) {
    const p = dates.primary;
    const repeated = dates.all.some((d) => d !== p && d.iso === p.iso && !d.repaired);
    put('primary_date', p.index, dateConfidence(p, dates.orderEvidence, ocr, repeated));
  }
  const headline = money.headlineTotal;
  if (headline) put('total_amount', headline.index, totalConfidence(headline, money.amounts.margin, ocr));
  if (money.currencyFact) put('currency', money.currencyFact.index, money.currencyFact.confidence);
  const invoiceNumber = meta.extracted_fields.invoice_number;
  if (invoiceNumber)
    put(
      'invoice_number',
      invoiceNo?.index ?? text.indexOf(invoiceNumber),
      invoiceNumberConfidence(invoiceNo?.strength ?? 0.6, ocr),
    );
  if (dates.due) put('due_date', dates.due.index, dueDateConfidence(dates.due, dates.orderEvidence));
  meta.field_evidence = { ...fe };
}

/** The schema 1.1 fields, from the facts the steps gathered. */
function recordSchemaFields(
  meta: DocumentMetadata,
  facts: OfflineFacts,
  headlineTotal: AmountCandidate | undefined,
): void {
  const ef = meta.extracted_fields;
  meta.customer = facts.customer;
  ef.total_amount = headlineTotal ? round2(headlineTotal.amount) : null;
  ef.net_amount = facts.netAmount;
  ef.tax_amount = facts.taxAmount;
  ef.tax_lines = facts.taxLines.map((t) => ({ rate: t.rate, net_amount: t.net_amount, tax_amount: t.tax_amount }));
  ef.order_number = facts.orderNumber;
  ef.seller_tax_id = facts.sellerTaxId;
  ef.customer_tax_id = facts.customerTaxId;
  ef.iban = facts.iban;
  ef.bic = facts.bic;
  ef.payment_terms = facts.paymentTerms;
  ef.line_items = facts.lineItems.map((l) => ({ ...l, description: l.description.slice(0, 512) }));
}

function labelName(t: AmountCandidate): string {
  switch (t.kind) {
    case 'due':
      return 'Amount due';
    case 'balance':
      return 'Balance';
    case 'net':
      return 'Net pay';
    case 'premium':
      return 'Premium';
    default:
      return 'Total';
  }
}

/** Sender keywords that decide a letter's category (first match wins). */
const LETTER_SENDERS: readonly (readonly [RegExp, Category, Subcategory])[] = [
  [
    /\b(?:department of|ministry|city of|county|district|municipal\w*|state of|federal|government|agency|authority|council|administration|revenue|tax office|court|embassy|consulate|finanzamt|behörde|stadt|mairie|préfecture|ayuntamiento)\b/i,
    'Legal & Government',
    'Government',
  ],
  [/\b(?:attorneys?|law (?:firm|office)|solicitors?|notary|legal)\b/i, 'Legal & Government', 'Legal'],
  [/\b(?:bank|credit union|savings|sparkasse|banque|banco)\b/i, 'Financial & Administrative', 'Banking'],
  [/\b(?:insurance|assurance|versicherung|insurer)\b/i, 'Financial & Administrative', 'Insurance'],
  [/\b(?:hospital|clinic|medical|health|dental|pharmacy|doctor|physician)\b/i, 'Personal & Family', 'Medical'],
  [/\b(?:school|university|college|academy)\b/i, 'Personal & Family', 'Education'],
  [/\b(?:human resources|hr department|employer|payroll)\b/i, 'Business & Professional', 'HR'],
];

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Validate; if a rule ever produced something out of schema, keep the schema-valid empty shell instead. */
function finish(meta: DocumentMetadata, evidence: EvidenceItem[], facts: OfflineFacts): OfflineExtraction {
  const parsed = DocumentMetadataSchema.safeParse(meta);
  if (parsed.success) return { metadata: parsed.data, evidence, facts };
  const fallback = createEmptyMetadata({
    processedDate: meta.processed_date,
    originalFileName: meta.original_file_name,
    sourceFileId: meta.source_file_id,
    ...(meta.page_count ? { pageCount: meta.page_count } : {}),
  });
  fallback.errors.push(
    ...parsed.error.issues
      .slice(0, 5)
      .map((i) => truncate(`Offline extraction produced an invalid field ${i.path.join('.')}: ${i.message}`, 512, '…')),
  );
  fallback.confidence_score = 0;
  return { metadata: fallback, evidence, facts };
}
