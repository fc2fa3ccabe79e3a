import { squash, type LineIndex } from '../text.js';

/**
 * Identifiers and contact details: account, invoice, order, policy, claim and loan numbers, tax
 * ids (the seller's and the customer's), IBAN/BIC, payment terms, email and phone.
 */

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
// Invoice and order numbers

/** Words for "number" after a document word: "Invoice No.", "Rechnungs-Nr.", "Facture N°", "Fattura n.". */
const NUMBER_WORD = String.raw`(?:number|numbers|num\.?|no\.?|nos?\b|nr\.?|nummer|n°|nº|n\.º|n\.|#|numéro|numero|número|id|ref(?:erence)?\.?)`;
const INVOICE_WORD = String.raw`(?:(?:simplified\s+)?(?:tax\s+|commercial\s+|proforma\s+|pro-forma\s+)?invoice|inv\.?|\p{L}*rechnung\p{L}*|rg\.?|beleg|facture|factura|factuur|fattura|fatura|faktura|invois|credit\s+note|gutschrift|avoir|creditnota|nota\s+de\s+cr[eé]dito|nota\s+di\s+credito|bill)(?:[ \t]+(?:simplificada|simplifiée|simplifiee|vereinfachte|semplificata|vereenvoudigde))?`;
/** Up to three words between the document word and the number word: "Rechnung des Versicherers Nr. 12". */
const BETWEEN = String.raw`(?:[ \t]+(?!(?:kunden|customer|client|klant|cliente|order|bestell|auftrag|account|konto|compte|cuenta|conto|conta|date|datum)\p{L}*)\p{L}{2,20}){0,3}`;
/**
 * An identifier: letters, digits and `. / _ -`; also a series prefix and a number ("FT 2024/311")
 * or digit groups of three ("880 451 223").
 */
const VALUE = String.raw`([A-Z]{1,4}[ ](?=\d)[0-9][A-Z0-9./_\-–]{0,30}[A-Z0-9]|\d{3}(?:[ ]\d{3}){1,4}(?![\d./-])|[A-Z0-9][A-Z0-9./_\-–]{0,38}[A-Z0-9]|[0-9])`;

/** "Invoice No.: 123", "Rechnung Nr. 471102", "Rechnungsnummer 2024-15", "Facture N° F-12", "Invoice #42". */
const INVOICE_AFTER = new RegExp(
  String.raw`(?<![\p{L}\p{N}])${INVOICE_WORD}[ \t]*[-–]?[ \t]*${NUMBER_WORD}?[ \t]*(?:[:#.][ \t]*){0,2}${VALUE}`,
  'giu',
);
const INVOICE_WORDS_NUMBER = new RegExp(
  String.raw`(?<![\p{L}\p{N}])${INVOICE_WORD}${BETWEEN}[ \t]+${NUMBER_WORD}[ \t]*(?:[:#.][ \t]*){0,2}${VALUE}`,
  'giu',
);
/** "N° de facture : F-12", "Numéro de facture", "Número de factura", "Numero fattura", "No. Invois". */
const INVOICE_BEFORE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:n°|nº|n\.º|no\.?|nr\.?|numéro|numero|número|num\.?)[ \t]*(?:de[ \t]+(?:la[ \t]+)?|da[ \t]+|del(?:la)?[ \t]+)?(?:facture|factura|fattura|fatura|factuur|invois|invoice)[ \t]*[:#.]?[ \t]*${VALUE}`,
  'giu',
);
/** "Factuurnummer", "Rechnungsnummer", "Invoicenumber" as one word. */
const INVOICE_COMPOUND = new RegExp(
  String.raw`(?<![\p{N}])(?:factuurnummer|factuurnr\.?|fakturanummer|fakturanr\.?|rechnungsnummer|rechnungsnr\.?|belegnummer|belegnr\.?|invoicenumber|invoiceno)[ \t]*[:#.]?[ \t]*${VALUE}`,
  'giu',
);

const NOT_AN_ID =
  /^(?:date|datum|dated|from|for|to|of|vom|du|de|del|van|the|a|an|no|nr|number|page|seite|total|amount|copy|original|details?|summary|address|period)$/i;

function plausibleId(v: string, numberWord = false): boolean {
  if (v.length < 2 || v.length > 40) return false;
  if (!/\d/.test(v)) return false;
  if (NOT_AN_ID.test(v)) return false;
  // A date, unless a number word stands right before it ("FAKTURA nr 31/03/2024" is a number).
  if (!numberWord && /^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/.test(v)) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  return true;
}

export interface IdFact {
  value: string;
  index: number;
  /** How sure: 0..1. */
  strength: number;
}

/** The invoice (or credit note) number: labelled forms in the supported languages. */
export function findInvoiceNumber(text: string): IdFact | null {
  const sample = text.slice(0, 40_000);
  const hits: IdFact[] = [];
  for (const [re, strength] of [
    [INVOICE_COMPOUND, 0.9],
    [INVOICE_BEFORE, 0.9],
    [INVOICE_AFTER, 0.88],
    [INVOICE_WORDS_NUMBER, 0.82],
  ] as const) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(sample)) !== null) {
      const raw = (m[1] ?? '').replace(/[.,;:–-]+$/, '');
      const head = m[0].slice(0, m[0].length - (m[1] ?? '').length).toLowerCase();
      // "Invoice date: 05.06.2018" / "Rechnungsdatum" are not numbers; "bill to" is not "bill no".
      if (/dat(?:e|um|a)|betrag|amount|adresse|address|empf|period|total|summe/.test(head)) continue;
      if (/^\s*bill\b/i.test(head) && !/(?:no|nr|number|#)/i.test(head)) continue;
      if (
        !/(?:no|nr|num|n°|nº|#|id|ref|:)|nummer|numéro|numero|número/i.test(head) &&
        !/^\d/.test(raw) &&
        (raw.match(/\d/g) ?? []).length < 3
      )
        continue;
      if (!plausibleId(raw, /(?:\bno|\bnr|n°|nº|#|numéro|numero|número)\.?\s*[:#.]?\s*$/i.test(head))) continue;
      const idx = m.index + m[0].length - (m[1] ?? '').length;
      // "Bill no." and "Belegnummer" (a voucher number) are weaker than the word invoice itself.
      const s = /^\s*(?:bill|beleg)/i.test(head) ? strength - 0.2 : strength;
      hits.push({ value: raw.slice(0, 64), index: idx, strength: s });
    }
  }
  if (hits.length === 0) return null;
  hits.sort((a, b) => b.strength - a.strength || a.index - b.index);
  const best = hits[0];
  if (!best) return null;
  // The same number printed twice (heading and footer) is good evidence.
  const repeats = hits.filter((h) => h.value === best.value).length;
  return { ...best, strength: Math.min(0.97, best.strength + (repeats > 1 ? 0.05 : 0)) };
}

const ORDER_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:(?:purchase\s+)?order|p\.?\s?o\.?(?!\s*box)|bestellung|bestell-?nr\.?|bestellnummer|auftrag|auftragsnummer|auftrags-?nr\.?|commande|bon\s+de\s+commande|bestelling|bestelnummer|pedido|ordine|encomenda)[ \t]*${NUMBER_WORD}?[ \t]*[:#.]?[ \t]*(?:de[ \t]+commande[ \t]*:?[ \t]*)?${VALUE}`,
  'giu',
);

export function findOrderNumber(text: string): IdFact | null {
  ORDER_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ORDER_RE.exec(text.slice(0, 40_000))) !== null) {
    const raw = (m[1] ?? '').replace(/[.,;:–-]+$/, '');
    const head = m[0].slice(0, m[0].length - (m[1] ?? '').length).toLowerCase();
    if (/dat(?:e|um|a)|total|summe|betrag|amount/.test(head)) continue;
    if (!plausibleId(raw)) continue;
    return { value: raw.slice(0, 64), index: m.index + m[0].length - (m[1] ?? '').length, strength: 0.8 };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Tax ids, IBAN, BIC, payment terms

const TAX_ID_RE =
  /(?<![\p{L}\p{N}])(?:VAT\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|id)?|USt\.?[-\s]?Id\.?[-\s]?Nr\.?|USt-?IdNr\.?|Umsatzsteuer-?Id(?:entifikationsnummer)?|Steuernummer|Steuer-?Nr\.?|St\.?-?Nr\.?|N°\s*TVA(?:\s*intracom\w*)?|TVA\s*intracom\w*|num[ée]ro\s*de\s*TVA|BTW[-\s]?(?:nummer|nr\.?|id)?|btw-?identificatienummer|NIF|CIF|N\.?I\.?F\.?|P\.?\s?IVA|Partita\s+IVA|NIPC|Contribuinte|GSTIN|GST\s*(?:reg(?:istration)?\.?\s*)?(?:id|no\.?|number)|SST\s*(?:reg\.?\s*)?(?:id|no\.?)|Tax\s*(?:id|reg(?:istration)?\.?\s*no\.?)|EIN|TIN|ABN|UEN)[ \t]*[:#.]?[ \t]*([^\n]{5,40})/giu;

export interface TaxIdFact {
  value: string;
  index: number;
}

/** Every labelled tax id in the text, in order (VAT/USt-IdNr/BTW/GST/NIF/P.IVA …). */
export function findTaxIds(text: string): TaxIdFact[] {
  const out: TaxIdFact[] = [];
  TAX_ID_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TAX_ID_RE.exec(text.slice(0, 40_000))) !== null) {
    // The id is the run of tokens with digits (a country prefix may stand alone before them).
    const tokens =
      (m[1] ?? '')
        .split(/\s{3,}/)[0]
        ?.trim()
        .split(/\s+/) ?? [];
    const kept: string[] = [];
    for (const [i, t] of tokens.entries()) {
      const tok = t.replace(/[,;)]+$/, '');
      if ((i === 0 && /^[A-Z]{2,3}$/.test(tok)) || (/\d/.test(tok) && /^[0-9A-Z./-]+$/i.test(tok))) kept.push(tok);
      else break;
    }
    const v = kept.join(' ').replace(/[.-]+$/, '');
    if (v.replace(/\D/g, '').length < 5) continue;
    if (!out.some((o) => o.value === v))
      out.push({ value: v.slice(0, 64), index: m.index + m[0].length - (m[1] ?? '').length });
  }
  return out;
}

/** IBAN with a valid mod-97 checksum (spaces allowed in groups of four). */
export function findIban(text: string): IdFact | null {
  const re = /(?<![A-Z0-9])([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?)(?![A-Z0-9])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text.slice(0, 40_000))) !== null) {
    const raw = m[1] ?? '';
    const compact = raw.replace(/\s/g, '');
    if (compact.length < 15 || compact.length > 34) continue;
    if (ibanValid(compact)) return { value: raw, index: m.index, strength: 0.95 };
  }
  return null;
}

function ibanValid(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of code) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

export function findBic(text: string): IdFact | null {
  const m =
    /\b(?:BIC|SWIFT(?:[\s/-]?(?:BIC|code))?|BIC[\s/-]?SWIFT)\s*[:.]?\s*([A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b/.exec(
      text.slice(0, 40_000),
    );
  return m?.[1] ? { value: m[1], index: m.index + m[0].length - m[1].length, strength: 0.9 } : null;
}

const TERMS_LABEL =
  /^\s*(?:payment terms|terms of payment|terms|zahlungsbedingungen|zahlungsziel|conditions de (?:paiement|règlement)|modalités de paiement|betalingsvoorwaarden|betalingstermijn|condiciones de pago|forma de pago|termini di pagamento|condizioni di pagamento|condições de pagamento|terma pembayaran)\s*:?\s*(.*)$/i;
const TERMS_SENTENCE =
  /\b(?:net\s+\d{1,3}(?:\s+days)?|due (?:on receipt|upon receipt|within \d{1,3} days)|payable within \d{1,3} days|zahlbar (?:innerhalb|binnen|sofort)[^\n]{0,80}|(?:paiement|payable) à \d{1,3} jours[^\n]{0,40}|betaling binnen \d{1,3} dagen|binnen \d{1,3} dagen|a \d{1,3} días|entro \d{1,3} giorni|a \d{1,3} dias)\b[^\n]{0,60}/i;

export function findPaymentTerms(text: string, lines: LineIndex): IdFact | null {
  for (const line of lines.nonEmpty.slice(0, 400)) {
    const m = TERMS_LABEL.exec(line.text);
    if (!m) continue;
    let value = squash(m[1] ?? '');
    if (value.length < 3) {
      const next = lines.nonEmpty.find((l) => l.no > line.no);
      const after = next ? lines.nonEmpty.filter((l) => l.no > line.no).slice(0, 3) : [];
      value = squash(after.map((l) => l.text).find((t) => TERMS_SENTENCE.test(t) || /\d/.test(t)) ?? '');
    }
    if (value.length >= 3) return { value: value.slice(0, 256), index: line.start, strength: 0.8 };
  }
  const s = TERMS_SENTENCE.exec(text.slice(0, 40_000));
  return s ? { value: squash(s[0]).slice(0, 256), index: s.index, strength: 0.7 } : null;
}
