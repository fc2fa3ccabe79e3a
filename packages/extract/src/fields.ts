import { CURRENCY_CODES, findAmounts, type FoundAmount } from './amounts.js';
import { findDates, type FoundDate } from './dates.js';
import { squash, type LineIndex } from './text.js';

/**
 * Field rules: labelled values beat unlabelled ones. A value's label is the text before it on
 * its line (last cell when the line has wide column gaps), else the column header above it, else
 * the previous line when that is a short label.
 */

const VALUE_TOKEN = /\d[\d.,/-]*\d|[$€£¥]\s?\d/;

/** Label for a value at `index` (lower-case, '' when none). */
export function labelFor(lines: LineIndex, index: number): string {
  return labelWithSource(lines, index).label;
}

/** Where a label was found: on the value's line, as a column header above it, or as the line above. */
export type LabelSource = 'inline' | 'column' | 'above' | 'none';

export function labelWithSource(lines: LineIndex, index: number): { label: string; source: LabelSource } {
  const label = (text: string, source: LabelSource) => ({ label: text, source });
  const line = lines.lineAt(index);
  const before = line.text.slice(0, index - line.start).trimEnd();
  const cells = before.split(/\s{3,}|\t+/);
  const last = cells.at(-1) ?? '';
  if (last.trim().length > 0 && !VALUE_TOKEN.test(last)) return label(last.toLowerCase(), 'inline');
  if (last.trim().length > 0) {
    // "Label: 03/01/2024 Due: 04/01/2024" on one line without wide gaps: text after the last value.
    const tail = last.split(/\d[\d.,/-]*\d|[$€£¥]\s?\d[\d.,]*/).at(-1) ?? '';
    if (/\p{L}{2,}/u.test(tail)) return label(tail.toLowerCase(), 'inline');
  }
  const prev = lines.previousNonEmpty(line);
  if (!prev) return label('', 'none');
  // Column header: same number of cells on both lines.
  const here = cellsWithPos(line.text);
  const above = cellsWithPos(prev.text);
  const offset = index - line.start;
  const col = here.findIndex((c) => offset >= c.start && offset < c.start + c.text.length + 1);
  if (here.length > 1 && col >= 0) {
    const header =
      above.length === here.length ? above[col] : above.find((c) => Math.abs(c.start - (here[col]?.start ?? 0)) <= 4);
    if (header && !VALUE_TOKEN.test(header.text)) return label(header.text.toLowerCase(), 'column');
    // A row of a table whose header is further up: no usable label.
    return label('', here.length > 2 ? 'column' : 'none');
  }
  if (before.trim().length === 0 && prev.text.trim().length <= 48 && !VALUE_TOKEN.test(prev.text))
    return label(prev.text.trim().toLowerCase(), 'above');
  return label('', 'none');
}

function cellsWithPos(text: string): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  const re = /\S+(?:\s{1,2}\S+)*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push({ text: m[0], start: m.index });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dates

const DUE_LABEL =
  /\b(?:due|pay(?:ment)? by|payable (?:by|on|until)|pay before|pay on or before|please pay by|deadline|respond by|reply by|must be received by|no later than|fällig|zahlbar bis|zahlungsziel|échéance|à payer avant|date limite|vencimiento|pagar antes)\b/;
/** "Please pay $5.00 by", "payment must reach us before": a due date in running text. */
const DUE_SENTENCE =
  /\b(?:pay|payment|paid|remit|respond|reply|return|submit|file)\b.{0,60}\b(?:by|before|until|no later than|on or before)\s*$/;
const PRIMARY_LABEL =
  /\b(?:(?:statement|invoice|bill(?:ing)?|issue|issued|document|notice|letter|receipt|purchase|transaction|order|pay|print(?:ed)?|tax|assessment|report|visit|service|closing|sale|check|cheque|payment advice) date|date of (?:issue|invoice|statement|notice|letter|service|purchase)|dated|issued(?: on)?|as of|rechnungsdatum|ausstellungsdatum|belegdatum|datum|date de (?:facturation|facture|l'avis|émission|la facture)|fecha(?: de (?:emisión|factura|expedición))?)\b/;
const PERIOD_LABEL =
  /\b(?:period|from|through|thru|to|between|coverage|effective|start|begin|end|billing cycle|service dates|zeitraum|période|periodo|bis|du|au|desde|hasta)\b|[-–—]\s*$/;
const WEAK_DATE_LABEL =
  /\b(?:birth|dob|born|previous|last payment|payment received|received|expir\w*|valid (?:until|thru|through)|since|opened|member since|posted|renew\w*|start date|hire date|employed)\b/;
const BARE_DATE_LABEL = /\b(?:date|datum|date|fecha)\b\W*$/;

export interface DateCandidate extends FoundDate {
  label: string;
  score: number;
  kind: 'due' | 'primary' | 'period' | 'weak' | 'bare' | 'none';
}

export interface DateFacts {
  all: DateCandidate[];
  primary: DateCandidate | undefined;
  due: DateCandidate | undefined;
  periodStart: string | undefined;
  periodEnd: string | undefined;
  /** Date labelled statement/invoice/issue date, if any. */
  statementDate: string | undefined;
}

const CONNECTOR = /^\s*(?:-|–|—|to|through|thru|until|till|bis|au|al|a|to the)\s*$/i;

export function dateFacts(text: string, lines: LineIndex): DateFacts {
  const all: DateCandidate[] = findDates(text).map((d) => {
    const { label, source } = labelWithSource(lines, d.index);
    const rank = lines.visibleRank(lines.lineAt(d.index));
    let kind: DateCandidate['kind'];
    let score: number;
    const line = lines.lineAt(d.index);
    const lineBefore = line.text.slice(0, d.index - line.start).toLowerCase();
    if (DUE_LABEL.test(label) || DUE_SENTENCE.test(lineBefore)) [kind, score] = ['due', 1];
    else if (WEAK_DATE_LABEL.test(label)) [kind, score] = ['weak', 1.5];
    else if (PRIMARY_LABEL.test(label))
      [kind, score] = ['primary', 10 + (/statement|invoice|issue|pay date|bill date/.test(label) ? 1 : 0)];
    else if (BARE_DATE_LABEL.test(label)) [kind, score] = source === 'column' ? ['none', 2] : ['bare', 8];
    else if (PERIOD_LABEL.test(label)) [kind, score] = ['period', 3];
    else [kind, score] = ['none', rank < 10 ? 5 : 3];
    return { ...d, label, kind, score: score - Math.min(1, rank / 100) };
  });

  // Periods: "X - Y", "X to Y", "from X through Y" on one line; or "Period start/end" labels.
  let periodStart: string | undefined;
  let periodEnd: string | undefined;
  for (let i = 0; i + 1 < all.length; i++) {
    const a = all[i];
    const b = all[i + 1];
    if (!a || !b) continue;
    const between = text.slice(a.index + a.raw.length, b.index);
    if (CONNECTOR.test(between) && a.iso <= b.iso) {
      periodStart = a.iso;
      periodEnd = b.iso;
      if (a.kind === 'none' || a.kind === 'bare') a.kind = 'period';
      b.kind = 'period';
      a.score = Math.min(a.score, 3);
      b.score = Math.min(b.score, 2.5);
      break;
    }
  }
  if (!periodStart) {
    const start = all.find((d) =>
      /\b(?:period|coverage|service|billing)\s*(?:start|from|begin)|\bstart date\b|\bfrom\b\W*$/.test(d.label),
    );
    const end = all.find((d) =>
      /\b(?:period|coverage|service|billing)\s*(?:end|to|through)|\bend date\b|\b(?:to|through|until)\b\W*$/.test(
        d.label,
      ),
    );
    if (start && end && start.iso <= end.iso) {
      periodStart = start.iso;
      periodEnd = end.iso;
    }
  }

  const due = all.find((d) => d.kind === 'due');
  let primary: DateCandidate | undefined;
  for (const d of all) {
    if (d.kind === 'due') continue;
    if (!primary || d.score > primary.score) primary = d;
  }
  // No labelled issue/statement date but a covered period: a statement is dated at the end of its
  // period. Only due dates: fall back to the period end too, else leave the primary date empty.
  if ((!primary || (primary.kind !== 'primary' && primary.kind !== 'bare')) && periodEnd) {
    primary = all.find((d) => d.iso === periodEnd && d.kind === 'period') ?? primary;
  }
  const statement = all.find(
    (d) => d.kind === 'primary' && /statement|invoice|issue|bill(?:ing)? date|dated/.test(d.label),
  );
  return { all, primary, due, periodStart, periodEnd, statementDate: statement?.iso };
}

// ---------------------------------------------------------------------------------------------
// Amounts

const AMOUNT_LABELS: readonly (readonly [RegExp, number, AmountKind])[] = [
  [
    /\b(?:total amount due|amount due|balance due|total due|amount payable|total payable|please pay|pay this amount|amount to pay|total to pay|now due|patient responsibility|your responsibility|patient balance|(?:amount )?you owe|zu zahlen|zahlbetrag|montant (?:dû|du|à payer)|net à payer|importe a pagar|total a pagar)\b/,
    10,
    'due',
  ],
  [
    /\b(?:grand total|total amount|invoice total|order total|total charges|total current charges|total (?:incl|inc)\.?|amount charged|total paid|amount paid|gesamtbetrag|rechnungsbetrag|endbetrag|total ttc|montant total|importe total)\b/,
    9,
    'total',
  ],
  [
    /\b(?:new balance|statement balance|closing balance|ending balance|current balance|account balance|neuer saldo|schlusssaldo|nouveau solde|saldo final)\b/,
    8,
    'balance',
  ],
  [
    /\b(?:net pay|net amount|net earnings|take[- ]home pay|net salary|nettolohn|nettogehalt|auszahlungsbetrag|net à payer|líquido a percibir)\b/,
    8,
    'net',
  ],
  [/\b(?:total|summe|betrag|montant|importe)\b/, 7, 'total'],
  [/\b(?:total premium|annual premium|premium due|premium|prämie|beitrag)\b/, 7, 'premium'],
  [/\bdue\s*:?\s*$|\bamount owed\b/, 9, 'due'],
  [/\b(?:refund|balance)\b/, 5, 'other'],
  [/\b(?:amount|charges?|price|cost|fee)\b/, 3, 'other'],
];
const AMOUNT_NEGATIVE =
  /\b(?:sub-?total|zwischensumme|sous-total|tax(?:es)?(?! due)|vat|gst|hst|mwst|ust|tva|iva|shipping|delivery|discount|previous balance|prior balance|opening balance|beginning balance|starting balance|payments?(?: received)?|credits?|credit limit|available|minimum|interest|late fee|gross|deductions?|ytd|year to date|unit price|qty|quantity|rate|each|per|deposit|withdrawal|limit|deductible|coverage|liability|past due|overdue amount|last payment|savings|you saved|tip|change due|cash tendered|tendered|withheld|wages)\b/;

/** Amounts that are never the document's headline figure, even without a better candidate. */
const NEVER_HEADLINE =
  /\b(?:sub-?total|limit|coverage|deductible|available|credit line|ytd|year to date|previous balance|prior balance|opening balance|beginning balance|unit price|rate|per|each|minimum|withheld)\b/;

export type AmountKind = 'due' | 'total' | 'balance' | 'net' | 'premium' | 'other' | 'none';

export interface AmountCandidate extends FoundAmount {
  label: string;
  score: number;
  kind: AmountKind;
}

export interface AmountFacts {
  all: AmountCandidate[];
  total: AmountCandidate | undefined;
  due: AmountCandidate | undefined;
  balance: AmountCandidate | undefined;
  currency: string | null;
}

/**
 * `mainAmountExpected`: the document type normally has one headline amount (a tax form's wages, a
 * receipt's total), so when no label identifies it the largest amount with a currency stands in.
 */
export function amountFacts(text: string, lines: LineIndex, mainAmountExpected: boolean): AmountFacts {
  const all: AmountCandidate[] = [];
  for (const a of findAmounts(text)) {
    // Bare integers without currency are ids, counts or years unless a money label sits right before them.
    const label = labelFor(lines, a.index);
    let score = 0;
    let kind: AmountKind = 'none';
    for (const [re, s, k] of AMOUNT_LABELS) {
      if (re.test(label)) {
        score = s;
        kind = k;
        break;
      }
    }
    if (AMOUNT_NEGATIVE.test(label) && !(kind === 'due' && !/minimum|past due|previous/.test(label))) score -= 9;
    if (a.currency) score += 1;
    if (a.hasDecimals) score += 0.5;
    else if (!a.currency) score -= 3;
    if (a.amount <= 0) score -= 2;
    all.push({ ...a, label, score, kind });
  }
  const pick = (pred: (c: AmountCandidate) => boolean): AmountCandidate | undefined => {
    let best: AmountCandidate | undefined;
    for (const c of all) {
      if (!pred(c)) continue;
      if (!best || c.score > best.score || (c.score === best.score && c.amount > best.amount)) best = c;
    }
    return best;
  };
  let total = pick((c) => c.score >= 6 && c.kind !== 'other' && c.kind !== 'none');
  if (!total && mainAmountExpected) {
    // Unlabelled fallback: the largest positive amount that carries a currency and no negative label.
    total = all
      .filter((c) => c.currency !== null && c.amount > 0 && !NEVER_HEADLINE.test(c.label))
      .reduce<AmountCandidate | undefined>((m, c) => (!m || c.amount > m.amount ? c : m), undefined);
  }
  const due = pick((c) => c.kind === 'due' && c.score >= 6);
  const balance = pick((c) => c.kind === 'balance' && c.score >= 6);
  const currency = total?.currency ?? dominantCurrency(text, all);
  return { all, total, due, balance, currency };
}

function dominantCurrency(text: string, all: readonly AmountCandidate[]): string | null {
  const counts = new Map<string, number>();
  for (const a of all) if (a.currency) counts.set(a.currency, (counts.get(a.currency) ?? 0) + 1);
  let best: string | null = null;
  let n = 0;
  for (const [c, k] of counts) if (k > n) [best, n] = [c, k];
  if (best) return best;
  const code = /\b([A-Z]{3})\b/g;
  let m: RegExpExecArray | null;
  while ((m = code.exec(text.slice(0, 20_000))) !== null) if (m[1] && CURRENCY_CODES.has(m[1])) return m[1];
  return null;
}

// ---------------------------------------------------------------------------------------------
// Identifiers and contact details

const ID_VALUE = String.raw`([A-Z0-9*•][A-Z0-9./\-–*•xX]{1,40}(?:[ ](?=[0-9*•xX]{3,})[0-9*•xX]{3,}){0,4})`;
function idRule(label: string): RegExp {
  return new RegExp(
    String.raw`(?=\p{L})(?<![\p{L}\p{N}])(?:${label})[ \t]*(?:number|num(?:ber)?\.?|no\.?|nr\.?|n°|nº|#|id|ref(?:erence)?)?[ \t]*[:#.]?[ \t]*${ID_VALUE}`,
    'iu',
  );
}
const ID_RULES: Record<'account' | 'invoice' | 'policy' | 'claim' | 'loan' | 'tax', RegExp[]> = {
  account: [
    idRule(
      'account|acct\\.?|customer|client|member|kundennummer|kunden-nr\\.?|konto(?:nummer)?|n° de compte|numéro de client|número de cuenta|n\\.º de cliente',
    ),
    /\b(?:IBAN)\s*:?\s*([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?)/,
  ],
  invoice: [idRule('invoice|inv\\.?|bill|receipt|order|rechnungs?(?:nummer)?|facture|factura|document|statement')],
  policy: [idRule('policy|police|polizzen?|versicherungsschein|póliza')],
  claim: [idRule('claim|schaden')],
  loan: [idRule('loan|mortgage|darlehens?|prêt|préstamo')],
  tax: [
    /\b(?:EIN|TIN|SSN|tax id|tax identification number|employer identification number|VAT (?:reg(?:istration)?\.? )?(?:no|number|id)|USt-?IdNr\.?|Steuernummer|Steuer-?ID|N° TVA|NIF|CIF)(?:[ \t]*\([A-Za-z]{2,6}\))?[ \t]*[:#.]?[ \t]*([A-Z]{0,2}[0-9*Xx•][0-9*Xx•\- ]{3,20}[0-9*Xx•])/i,
  ],
};

export type IdKind = keyof typeof ID_RULES;

const GLOBAL_REGEXES = new Map<RegExp, RegExp>();
function globalRegex(re: RegExp): RegExp {
  let g = GLOBAL_REGEXES.get(re);
  if (!g) {
    g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
    GLOBAL_REGEXES.set(re, g);
  }
  return g;
}

function cleanId(raw: string): string | null {
  const v = raw.replace(/[.,;:]+$/, '').trim();
  if (!/\d/.test(v) || v.length < 3) return null;
  if (/^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/.test(v)) return null; // a date, not an id
  return v.slice(0, 64);
}

export function findId(text: string, kind: IdKind): string | null {
  for (const re of ID_RULES[kind]) {
    const global = globalRegex(re);
    global.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = global.exec(text)) !== null) {
      // Skip "Invoice Date: ..." and friends: the captured value must not be a date and must follow the label closely.
      const v = cleanId(m[1] ?? '');
      if (v && !/date|datum|fecha/i.test(m[0].slice(0, m[0].length - (m[1] ?? '').length))) return v;
      global.lastIndex = m.index + 1;
    }
  }
  return null;
}

export function findEmail(text: string): string | null {
  // Bounded and anchored at a boundary so a long run of letters cannot trigger quadratic backtracking.
  return (
    /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,4}\.[A-Za-z]{2,24}(?![A-Za-z])/
      .exec(text)?.[0]
      .slice(0, 256) ?? null
  );
}

export function findPhone(text: string): string | null {
  const m =
    /\b(?:phone|tel(?:ephone)?|call(?: us)?(?: at)?|customer service|telefon|téléphone|teléfono)\b\.?\s*:?\s*(\+?[\d(][\d\s().-]{6,18}\d)/i.exec(
      text,
    );
  return m?.[1] ? squash(m[1]).slice(0, 64) : null;
}

const LABELLED_LINE = new Map<RegExp, RegExp>();
export function findLabelledLine(text: string, label: RegExp, max: number): string | null {
  let re = LABELLED_LINE.get(label);
  if (!re) {
    re = new RegExp(String.raw`(?:${label.source})[ \t]*:?[ \t]*(.+)`, 'i');
    LABELLED_LINE.set(label, re);
  }
  const m = re.exec(text);
  if (!m?.[1]) return null;
  const v = squash(m[1].split(/\s{2,}| [|] /)[0] ?? '');
  return v.length >= 3 ? v.slice(0, max) : null;
}

// ---------------------------------------------------------------------------------------------
// Issuer

const COMPANY_SUFFIX =
  /(?:,?\s(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|LLP|LP|PLC|plc|Corp\.?|Corporation|Co\.|Company|GmbH(?: & Co\. KG)?|AG|KG|e\.V\.|S\.A\.?|SAS|SARL|S\.L\.|S\.p\.A\.|B\.V\.|N\.V\.|Pty\.? Ltd\.?|AB|Oy|A\/S))(?=$|[\s,.)])/;
const ORG_WORDS =
  /\b(?:bank|banque|banco|sparkasse|credit union|insurance|assurance|versicherung|mutual|energy|electric|electricity|power|gas|water|utilities|utility|telecom|wireless|mobile|communications|broadband|cable|hospital|clinic|medical|health|healthcare|dental|pharmacy|university|college|school|academy|department|ministry|agency|office|authority|city of|county|services|solutions|group|partners|associates|holdings|industries|enterprises|store|stores|market|supermarket|shop|restaurant|cafe|café|motors|airlines?|hotel|realty|properties|management|financial|capital|investments|securities|brokerage|payroll|systems|technologies|labs|studio|consulting|law|legal|attorneys|stadtwerke|finanzamt|krankenkasse)\b/i;
const NOT_ISSUER =
  /^(?:bill(?:ed)? to|ship(?:ped)? to|sold to|to|attn|attention|dear|customer|client|recipient|page \d|invoice|statement|receipt|date|total|amount|description|account|payment|remit to|re|subject|tel|phone|fax|email|www\.|http)\b/i;
const DOC_WORDS =
  /\b(?:tax invoice|invoice|statement of account|account statement|bank statement|credit card statement|statement|receipt|sales receipt|bill|utility bill|payslip|pay stub|earnings statement|policy|declarations page|notice|letter|form|rechnung|facture|factura|quittung|kontoauszug)\b/gi;
const FROM_LABEL =
  /^(?:from|issued by|issuer|company|merchant|vendor|seller|supplier|provider|payee|employer|insurer|insurance company|bank|lender|servicer|landlord|sender|absender|von|de la part de|emisor|proveedor)\s*:\s*(.{2,80})$/i;
const PAYABLE_TO =
  /\b(?:make (?:checks?|cheques?) payable to|payable to|pay to the order of|remit (?:payment )?to)\s*:?\s*([^\n,]{2,60})/i;
const THANKS =
  /\bthank you for (?:choosing|shopping (?:at|with)|banking with|your business with|being a (?:valued )?(?:customer|member) of)\s+([^\n.!,]{2,60})/i;
const PRONOUN_NAME =
  /^(?:us|we|our (?:store|shop|team|company|bank|office)|you|me|them|the team|the store|this store)$/i;
/** A sub-unit under the letterhead ("Payroll Department", "Billing Office"), not the organisation. */
const SUB_UNIT = /^(?:[\p{L}&]+\s){0,2}(?:department|dept\.?|division|office|team|desk|center|centre|unit)$/iu;
const COPYRIGHT = /(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?([^\n.]{2,60})/i;

export interface IssuerFact {
  name: string;
  rule: string;
  /** 0..1: how sure the rule is. */
  strength: number;
}

/** Clean a candidate: drop doc-type words, separators and trailing punctuation. */
export function cleanIssuer(raw: string): string {
  let s = squash(raw);
  // "ACME Energy — Electricity Bill" / "ACME | Invoice": keep the part that is not the document name.
  const parts = s.split(/\s+[|–—-]\s+|\s{3,}|\t/).filter((p) => p.trim().length > 0);
  if (parts.length > 1) {
    const withOrg = parts.find((p) => COMPANY_SUFFIX.test(p) || ORG_WORDS.test(p));
    s = withOrg ?? parts.find((p) => p.replace(DOC_WORDS, '').trim().length > 1) ?? s;
  }
  const stripped = s.replace(DOC_WORDS, ' ').replace(/\s+/g, ' ').trim();
  if (stripped.length >= 2) s = stripped;
  return s.replace(/^[\s,.:;#*•|–—-]+|[\s,:;#*•|–—-]+$/g, '').slice(0, 200);
}

/** Abbreviations a company name may end with (so a final dot does not make it a sentence). */
const NAME_END_ABBREV = /(?:\b(?:inc|co|corp|ltd|llc|plc|bros|intl|dept|n\.a|s\.a|p\.c|l\.p|gmbh|e\.v|[A-Z]))\.$/i;
/** A sentence, not a name: ends with . ! ? (other than an abbreviation) or opens like one. */
function looksLikeSentence(t: string): boolean {
  if (
    /^(?:please|thank|thanks|keep|this|these|we|our|your|you|for|if|questions|visit|call|note|retain|printed|page|all|see)\b/i.test(
      t,
    )
  )
    return true;
  return /[.!?]$/.test(t) && !NAME_END_ABBREV.test(t) && t.split(/\s+/).length >= 3;
}

function lineLooksLikeIssuer(line: string): boolean {
  const t = line.trim();
  if (t.length < 2 || t.length > 80) return false;
  if (NOT_ISSUER.test(t) || looksLikeSentence(t)) return false;
  if (/[$€£¥]|\d[.,]\d{2}\b/.test(t)) return false;
  if (/@|https?:|www\.|\.com\b/i.test(t) && !COMPANY_SUFFIX.test(t)) return false;
  const digits = (t.match(/\d/g) ?? []).length;
  if (digits > 3) return false;
  const letters = (t.match(/\p{L}/gu) ?? []).length;
  if (letters < 2) return false;
  const words = t.split(/\s+/).length;
  return words <= 8;
}

/** Find the issuing organisation: explicit labels first, then letterhead lines at the top. */
export function findIssuer(text: string, lines: LineIndex): IssuerFact | undefined {
  const candidates: IssuerFact[] = [];
  for (const line of lines.nonEmpty.slice(0, 60)) {
    const m = FROM_LABEL.exec(line.text.trim());
    if (m?.[1]) {
      const name = cleanIssuer(m[1].split(/\s{3,}/)[0] ?? m[1]);
      if (name.length >= 2 && !/\d{4,}|@/.test(name))
        candidates.push({ name, rule: 'labelled issuer line', strength: 0.9 });
    }
  }
  const payable = PAYABLE_TO.exec(text);
  if (payable?.[1]) candidates.push({ name: cleanIssuer(payable[1]), rule: 'payable to', strength: 0.8 });

  // Letterhead: the first lines before any recipient block.
  const head = lines.nonEmpty.slice(0, 8);
  let rank = 0;
  for (const line of head) {
    const t = line.text.trim();
    // The recipient block starts: nothing below it is the letterhead.
    if (/^(?:dear\b|(?:bill(?:ed)? to|ship to|sold to|to|attn|customer|recipient)\s*(?::|$))/i.test(t)) break;
    if (lineLooksLikeIssuer(t)) {
      const name = cleanIssuer(t);
      const onlyDocWords = t.replace(DOC_WORDS, '').replace(/[^\p{L}]/gu, '').length === 0;
      const subUnit = rank > 0 && SUB_UNIT.test(name) && !/\b(?:department|ministry) of\b/i.test(name);
      if (!onlyDocWords && !subUnit && name.length >= 2 && lineLooksLikeIssuer(name)) {
        let strength = 0.45 - rank * 0.08;
        if (COMPANY_SUFFIX.test(name)) strength += 0.4;
        else if (ORG_WORDS.test(name)) strength += 0.25;
        if (/^[\p{Lu}\d\s&.,'-]+$/u.test(name) && name.length > 3) strength += 0.05;
        if (/:/.test(t)) strength -= 0.2;
        candidates.push({
          name,
          rule: COMPANY_SUFFIX.test(name) ? 'letterhead with company suffix' : 'letterhead line',
          strength: Math.max(0.05, Math.min(0.85, strength)),
        });
      }
    }
    rank++;
  }
  const thanks = THANKS.exec(text);
  if (thanks?.[1]) candidates.push({ name: cleanIssuer(thanks[1]), rule: 'thank-you line', strength: 0.6 });
  const copyright = COPYRIGHT.exec(text);
  if (copyright?.[1]) candidates.push({ name: cleanIssuer(copyright[1]), rule: 'copyright line', strength: 0.5 });
  // Anywhere in the text: a line that is a company name with a legal suffix.
  for (const line of lines.nonEmpty.slice(8, 80)) {
    const t = line.text.trim();
    if (COMPANY_SUFFIX.test(t) && lineLooksLikeIssuer(t) && !/^(?:bill(?:ed)? to|ship to|to)\b/i.test(t)) {
      candidates.push({ name: cleanIssuer(t), rule: 'company name in body', strength: 0.35 });
      break;
    }
  }
  let best: IssuerFact | undefined;
  const usable = candidates.filter((c) => c.name.length >= 2 && !PRONOUN_NAME.test(c.name));
  const key = (n: string): string => n.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  for (const c of usable) {
    // Repetition is evidence: a name mentioned again elsewhere, or found by two rules, is more likely the issuer.
    const mentions = text.split(c.name).length - 1;
    const agreeing = usable.filter((o) => o !== c && o.rule !== c.rule && key(o.name) === key(c.name)).length;
    const score = c.strength + (mentions > 1 ? 0.05 : 0) + Math.min(0.2, agreeing * 0.1);
    if (!best || score > best.strength) best = { ...c, strength: Math.min(1, score) };
  }
  return best;
}
