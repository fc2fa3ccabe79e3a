import {
  DocumentMetadataSchema,
  createEmptyMetadata,
  sanitizeFileNamePart,
  stripExtension,
  type ActionItem,
  type Category,
  type DocumentMetadata,
  type Priority,
  type Subcategory,
} from '@autod/core';
import { classify, detectLanguage, headOf, type DocTypeRule } from './classify.js';
import { daysBetween, parseDate } from './dates.js';
import { amountFacts, dateFacts, findEmail, findId, findIssuer, findLabelledLine, findPhone } from './fields.js';
import type { PdfPage } from './pdf.js';
import { LineIndex, formatMoney, monthYear, squash, titleCase, truncate } from './text.js';

export interface OfflineExtractInput {
  /** The document text (all pages). */
  text: string;
  /** Per-page texts, for page summaries (default: the whole text as page 1). */
  pages?: PdfPage[];
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
  /** The document's main amount: amount due, total, closing balance, net pay or premium. */
  totalAmount: number | null;
  currency: string | null;
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

function urgencyFor(days: number): { score: number; priority: Priority; reason: string } {
  if (days < 0)
    return { score: 95, priority: 'critical', reason: `The due date passed ${-days} day(s) before processing.` };
  if (days <= 3) return { score: 85, priority: 'high', reason: `Due in ${days} day(s).` };
  if (days <= 7) return { score: 70, priority: 'high', reason: `Due within a week (${days} days).` };
  if (days <= 14) return { score: 55, priority: 'medium', reason: `Due within two weeks (${days} days).` };
  if (days <= 30) return { score: 40, priority: 'medium', reason: `Due within a month (${days} days).` };
  return { score: 20, priority: 'low', reason: `Due in ${days} days.` };
}

function canonicalIssuer(issuer: string): string {
  return squash(
    issuer
      .replace(
        /,?\s(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|LLP|PLC|plc|Corp\.?|Corporation|Co\.|GmbH(?: & Co\. KG)?|AG|KG|S\.A\.?|SAS|SARL|B\.V\.|N\.V\.)$/,
        '',
      )
      .replace(/[^\p{L}\p{N}&' -]/gu, ' '),
  ).slice(0, 256);
}

function normaliseSignature(text: string): string | null {
  const s = squash(text.toLowerCase()).slice(0, SIGNATURE_CHARS);
  return s.length > 0 ? s : null;
}

function tagify(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

function processedDay(processedAt: string): string | null {
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(processedAt)?.[1];
  if (iso && parseDate(iso)) return iso;
  const t = Date.parse(processedAt);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : null;
}

/**
 * Fill the metadata schema from text with rules only (no model). Pure and fast; the result always
 * passes `DocumentMetadataSchema`. `evidence` lists, per field, the value and the rule that found it.
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
  const facts: OfflineFacts = { docTypeKey: null, totalAmount: null, currency: null };
  const note = (field: string, value: string, rule: string): void => {
    evidence.push({ field, value: value.slice(0, 200), rule });
  };

  // eslint-disable-next-line no-control-regex -- drop NULs and other control characters from extracted text
  const fullText = input.text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ');
  const text = fullText.slice(0, ANALYSIS_LIMIT);
  const textChars = text.replace(/\s+/g, '').length;
  const pages =
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

  // --- classification
  const cls = classify(text, head);
  const rule: DocTypeRule | undefined = cls.rule;
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
  const payable = rule?.payable ?? false;

  // --- dates
  const dates = dateFacts(text, lines);
  let dateKind: 'labelled' | 'bare' | 'unlabelled' | 'none' = 'none';
  if (dates.primary) {
    meta.primary_date = dates.primary.iso;
    dateKind = dates.primary.kind === 'primary' ? 'labelled' : dates.primary.kind === 'bare' ? 'bare' : 'unlabelled';
    note(
      'primary_date',
      dates.primary.iso,
      dates.primary.label ? `labelled "${squash(dates.primary.label).slice(-40)}"` : 'first unlabelled date',
    );
  }
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

  // --- amounts
  const amounts = amountFacts(text, lines, rule?.amountExpected ?? false);
  let totalKind: 'labelled' | 'fallback' | 'none' = 'none';
  const total = amounts.total;
  const currency = amounts.currency;
  if (total) {
    totalKind = total.kind === 'none' || total.kind === 'other' ? 'fallback' : 'labelled';
    note(
      'total',
      formatMoney(total.amount, total.currency ?? currency),
      total.label ? `labelled "${squash(total.label).slice(-40)}"` : 'largest amount with a currency',
    );
  }
  if (currency) meta.extracted_fields.currency = currency;
  facts.totalAmount = total ? round2(total.amount) : null;
  facts.currency = currency;
  const amountDue = amounts.due ?? (payable ? total : undefined);
  if (amountDue) meta.extracted_fields.amount_due = round2(amountDue.amount);
  if (amounts.balance) meta.extracted_fields.balance = round2(amounts.balance.amount);
  else if (total && (total.kind === 'balance' || rule?.key === 'bank_statement'))
    meta.extracted_fields.balance = round2(total.amount);

  // --- issuer
  const issuerFact = findIssuer(text, lines);
  if (issuerFact) {
    meta.issuer = issuerFact.name.slice(0, 512);
    meta.normalization.canonical_issuer = canonicalIssuer(issuerFact.name) || null;
    note('issuer', issuerFact.name, issuerFact.rule);
  }

  // --- letters take their category from the sender
  if (rule?.key === 'letter') {
    const sender = `${meta.issuer ?? ''}\n${head}`;
    const refined = LETTER_SENDERS.find(([re]) => re.test(sender));
    if (refined) {
      meta.category = refined[1];
      meta.subcategory = refined[2];
      note('category', `${refined[1]} / ${refined[2]}`, 'letter sender keywords');
    }
  }

  // --- identifiers and contact details
  const ef = meta.extracted_fields;
  ef.account_number = findId(text, 'account');
  ef.invoice_number = findId(text, 'invoice');
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
  ef.customer_name = findLabelledLine(text, CUSTOMER_NAME, 256) ?? billToName(lines) ?? dearName(text);
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
  const ids = [ef.account_number, ef.invoice_number, ef.policy_number, ef.claim_number, ef.loan_number].filter(
    (v) => v !== null,
  ).length;
  if (ef.account_number) {
    const tail = ef.account_number.replace(/[^A-Za-z0-9]/g, '').slice(-4);
    meta.normalization.canonical_account_label =
      `${meta.normalization.canonical_issuer ?? meta.issuer ?? 'Account'} ****${tail}`.slice(0, 256);
  }
  meta.normalization.property_identifier = ef.property_address ?? ef.service_address;

  // --- deadline and actions
  const today = processedDay(processedDate);
  const issuerName = meta.issuer ?? 'the issuer';
  if (dates.due) {
    meta.deadline = dates.due.iso;
    meta.deadline_source = 'explicit_due_date';
    const days = today ? daysBetween(today, dates.due.iso) : 30;
    const urgency = urgencyFor(days);
    meta.urgency_score = urgency.score;
    meta.urgency_reason = urgency.reason;
    const what = amountDue
      ? `Pay ${formatMoney(amountDue.amount, amountDue.currency ?? currency)} to ${issuerName}`
      : `Respond to ${issuerName}`;
    meta.action_items.push(
      action(
        `${what} by ${dates.due.iso}`,
        dates.due.iso,
        urgency.priority,
        `Explicit due date on the ${meta.doc_type ?? 'document'}.`,
      ),
    );
  } else if (payable && amountDue && amountDue.kind === 'due') {
    meta.deadline_source = 'none';
    meta.urgency_score = 30;
    meta.urgency_reason = 'An amount is due but no due date is printed.';
    meta.action_items.push(
      action(
        `Pay ${formatMoney(amountDue.amount, amountDue.currency ?? currency)} to ${issuerName}`,
        null,
        'medium',
        'Amount due without a printed due date.',
      ),
    );
  } else {
    meta.deadline_source = 'none';
    meta.urgency_score = 0;
  }

  // --- language, text, signature
  meta.language = detectLanguage(text);
  meta.ocr_text_excerpt = truncate(fullText.trim(), EXCERPT_LIMIT);
  meta.content_signature = normaliseSignature(fullText);
  meta.ocr_page_summaries = pageSummaries(pages, pageCount);

  // --- titles, summaries, filing
  const typeName = meta.doc_type ?? 'document';
  const when = meta.primary_date ? monthYear(meta.primary_date) : null;
  meta.title = [meta.issuer, titleCase(typeName), when]
    .filter((p): p is string => Boolean(p))
    .join(' ')
    .slice(0, 512);
  const points: string[] = [];
  if (meta.issuer) points.push(`Issuer: ${meta.issuer}`);
  if (meta.primary_date) points.push(`Date: ${meta.primary_date}`);
  if (total) points.push(`${labelName(total.kind)}: ${formatMoney(total.amount, total.currency ?? currency)}`);
  if (dates.due) points.push(`Due: ${dates.due.iso}`);
  if (meta.period_start_date && meta.period_end_date)
    points.push(`Period: ${meta.period_start_date} to ${meta.period_end_date}`);
  if (ef.account_number) points.push(`Account: ${ef.account_number}`);
  if (ef.invoice_number) points.push(`Invoice number: ${ef.invoice_number}`);
  if (ef.policy_number) points.push(`Policy number: ${ef.policy_number}`);
  meta.key_points = points.map((f) => f.slice(0, 512));

  const article = /^[aeio]|^u(?!ti|ni|s)/i.test(typeName) ? 'An' : 'A';
  let brief = `${article} ${typeName}`;
  if (meta.issuer) brief += ` from ${meta.issuer}`;
  if (meta.primary_date) brief += ` dated ${meta.primary_date}`;
  if (total) brief += ` for ${formatMoney(total.amount, total.currency ?? currency)}`;
  brief += '.';
  if (dates.due) brief += ` Due ${dates.due.iso}.`;
  meta.brief_description = brief.slice(0, 512);
  const firstLines = lines.nonEmpty
    .slice(0, 6)
    .map((l) => squash(l.text))
    .join(' / ');
  meta.summary = truncate(
    `${brief} ${points.length > 0 ? points.join('; ') + '.' : ''} Pages: ${pageCount ?? pages.length}.`.trim(),
    1500,
  );
  meta.long_description = truncate(`${meta.summary} Opening lines: ${firstLines}`, 2048);
  meta.summary_long = truncate(
    `${meta.summary}\n\nOpening lines: ${firstLines}\n\nExtracted offline by rules (no model); confidence reflects the evidence found.`,
    4096,
  );
  meta.email_subject = (meta.title || brief).slice(0, 512);
  meta.email_preview_text = truncate(brief, 160, '…');
  meta.email_body_markdown = truncate(
    [
      `**${meta.title || typeName}**`,
      '',
      ...points.map((f) => `- ${f}`),
      ...meta.action_items.map((a) => `- [ ] ${a.description}`),
    ].join('\n'),
    10_000,
  );

  const datePart = meta.primary_date ?? null;
  const nameParts = [datePart, meta.issuer ? sanitizeFileNamePart(meta.issuer, 60) : null, typeName].filter(
    (p): p is string => Boolean(p),
  );
  meta.suggested_file_name = sanitizeFileNamePart(
    nameParts.length > 1 ? nameParts.join(' - ') : stripExtension(fileName),
    150,
  );
  meta.suggested_relative_path = [meta.category, meta.subcategory]
    .filter((p): p is NonNullable<typeof p> => p !== null)
    .map((p) => sanitizeFileNamePart(p, 100))
    .join('/');

  const tags = new Set<string>();
  for (const t of [
    typeName,
    meta.subcategory ?? '',
    meta.category.split(' & ')[0] ?? '',
    meta.normalization.canonical_issuer ?? '',
    meta.primary_date?.slice(0, 4) ?? '',
    currency ?? '',
    meta.language ?? '',
  ]) {
    const tag = tagify(t);
    if (tag.length > 0) tags.add(tag);
  }
  if (meta.action_items.length > 0) tags.add('action-required');
  if (pages.some((p) => p.source === 'ocr')) tags.add('ocr');
  meta.tags = [...tags].slice(0, 12);

  meta.confidence_score = confidenceFrom({
    textChars,
    typeScore: cls.score,
    typeRunnerUp: cls.runnerUp,
    typeFound: rule !== undefined,
    issuerStrength: issuerFact?.strength ?? 0,
    dateKind,
    totalKind,
    payable,
    ids,
    due: dates.due !== undefined,
  });
  note('confidence_score', String(meta.confidence_score), 'weighted evidence (see confidenceFrom)');
  return finish(meta, evidence, facts);
}

const SERVICE_ADDRESS = /\bservice (?:address|location)\b/;
const PROPERTY_ADDRESS = /\bproperty address\b|\bpremises\b/;
const CUSTOMER_NAME =
  /\b(?:customer name|account holder|account name|employee name|employee|policyholder|insured|patient name|patient|taxpayer|name)\b(?=\s*:)/;

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

function labelName(kind: string): string {
  switch (kind) {
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

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function action(description: string, due: string | null, priority: Priority, rationale: string): ActionItem {
  return {
    description: description.slice(0, 512),
    assignee_suggestion: null,
    due,
    priority,
    blocking: false,
    rationale,
  };
}

function billToName(lines: LineIndex): string | null {
  const i = lines.nonEmpty.findIndex((l) => /^\s*(?:bill(?:ed)? to|sold to|customer|to)\s*:?\s*$/i.test(l.text));
  const next = i >= 0 ? lines.nonEmpty[i + 1] : undefined;
  const inline = lines.nonEmpty.find((l) => /^\s*(?:bill(?:ed)? to|sold to)\s*:\s*\S/i.test(l.text));
  const raw = next?.text ?? inline?.text.replace(/^\s*(?:bill(?:ed)? to|sold to)\s*:\s*/i, '');
  if (!raw) return null;
  const v = squash(raw.split(/\s{3,}/)[0] ?? '');
  return v.length >= 2 && !/\d{3,}/.test(v) ? v.slice(0, 256) : null;
}

function dearName(text: string): string | null {
  const m = /^\s*(?:dear|hello|hi)\s+([^,\n]{2,60}),/im.exec(text);
  const v = m?.[1]?.trim();
  return v && !/^(?:customer|sir|madam|sir or madam|valued customer|member)$/i.test(v) ? v.slice(0, 256) : null;
}

function pageSummaries(
  pages: readonly PdfPage[],
  pageCount: number | undefined,
): DocumentMetadata['ocr_page_summaries'] {
  const out: DocumentMetadata['ocr_page_summaries'] = [];
  for (const p of pages.slice(0, 500)) {
    if (!Number.isInteger(p.page) || p.page < 1) continue;
    const lineCount = p.text.split('\n').filter((l) => l.trim().length > 0).length;
    const how =
      p.source === 'ocr'
        ? 'scanned page (text recognised by OCR)'
        : p.source === 'text'
          ? 'page with a text layer'
          : 'page without readable text';
    out.push({
      page: p.page,
      text_excerpt: truncate(p.text.trim(), 8000),
      image_description: `${how}; ${lineCount} line(s)${pageCount ? ` (page ${p.page} of ${pageCount})` : ''}. No image analysis in offline mode.`,
    });
  }
  return out;
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
