import { squash, type Line, type LineIndex } from '../text.js';
import { editDistance, findPhrase, isLexiconWord, labelTokens, type Phrase } from './fuzzy.js';
import { CUSTOMER_LABELS, SELLER_LABELS } from './lexicon.js';

/**
 * Issuer and customer. The customer is the party after "bill to / ship to / customer /
 * Rechnungsempfänger / client / klant …"; lines of that block are never the issuer. The issuer
 * is, by strength: the party after a seller label ("Verkäufer", "vendor", "fournisseur" …); a
 * name with a legal form (GmbH, Ltd, SDN BHD …), more so in the letterhead and next to a
 * registration number, tax id or IBAN; the first name-like line of the letterhead. Lines that are
 * addresses, contact details, table headers, document titles, dates, amounts, sentences, OCR
 * junk or lower-case handwriting/stamps are not names.
 */

export interface PartyFact {
  name: string;
  rule: string;
  /** 0..1 how sure the rule is. */
  strength: number;
  /** Offset of the source line in the text. */
  index: number;
  /** The source line as printed. */
  source: string;
  /** What confirms the name's spelling and role (for confidence). */
  signals?: IssuerSignals;
}

export interface IssuerSignals {
  /** Rank of the source line among the non-empty lines. */
  rank: number;
  legalForm: boolean;
  orgWord: boolean;
  /** The same spelling printed again elsewhere (letterhead and footer). */
  repeated: boolean;
  /** The name's words in an e-mail address or web domain of the document. */
  domain: boolean;
  /** Near a tax id, IBAN or registration number. */
  taxIdNearby: boolean;
  /** Other rules found the same name. */
  agreeing: number;
}

export interface Parties {
  issuer: PartyFact | undefined;
  customer: PartyFact | undefined;
  /** Runner-up issuer score (for confidence). */
  issuerRunnerUp: number;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

/** Legal forms, with OCR-tolerant spellings of the Malaysian "SDN BHD". */
export const LEGAL_FORM = {
  test(s: string): boolean {
    return LEGAL_FORM_LONG.test(s) || shortLegalForm(s);
  },
};
/** Legal forms, case-insensitive, with OCR-tolerant spellings of the Malaysian "SDN BHD" / "S/B". */
const LEGAL_FORM_LONG =
  /(?:^|[\s,(])(?:Inc\.|Incorporated|L\.L\.C\.|Ltd\.?|Limited|Corp\.|Corporation|Co\.|Company|GmbH(?:\s?&\s?Co\.?\s?KG)?|gGmbH|mbH|e\.\s?K\.|e\.V\.|a\.G\.|S\.A\.|SARL|SASU|S\.à\s?r\.l\.|EURL|S\.L\.U?|S\.R\.L\.|S\.r\.l\.|S\.p\.A\.|S\.n\.c\.|B\.V\.|N\.V\.|V\.O\.F\.|Lda\.?|S\.A\.S\.|Pty\.?\s?Ltd\.?|Pvt\.?\s?Ltd\.?|Private Limited|Sp\.\s?z\s?o\.\s?o\.|[S53$][DOBU0][NM]\.?\s?[B83][HN][DO0]\.?|[S5$§]\/B|Berhad|Bhd\.?|Enterprise|Enterprises|Trading)(?=$|[\s,.)])/i;
const LEGAL_FORM_ALL = new RegExp(LEGAL_FORM_LONG.source, 'gi');
/** A legal form as the last word(s) of a line (a registration number in brackets may follow). */
const LEGAL_FORM_END = new RegExp(`${LEGAL_FORM_LONG.source}[.,]?\\s*(?:\\([^()]*\\))?\\s*$`, 'i');

/**
 * Short upper-case legal forms ("AG", "SA", "BV" …): case-sensitive and only as the last word of
 * the name; in an all-capitals line a two-letter form is as likely a unit or an abbreviation
 * ("KG" for kilogram or kampung), so it does not count there.
 */
const LEGAL_FORM_SHORT =
  /(?:^|[\s,(])(Inc|LLC|LLP|LP|PLC|plc|Corp|AG|KG|OHG|UG|SE|SA|SAS|SRL|Srl|SpA|BV|NV|VOF|CV|AB|Oy|A\/S|ApS|AS|ASA|KK|SB)[.,)]?\s*$/;
function shortLegalForm(s: string): boolean {
  const m = LEGAL_FORM_SHORT.exec(s.trim());
  if (!m?.[1]) return false;
  const letters = s.replace(/[^\p{L}]/gu, '');
  const allCaps = letters === letters.toUpperCase();
  return !(allCaps && m[1].length === 2 && m[1] !== 'SB');
}

const ORG_WORDS =
  /\b(?:bank|banque|banco|sparkasse|volksbank|credit union|insurance|assurance|versicherung\w*|verzekering\w*|assicurazion\w*|seguros?|mutual|energy|energie|electric\w*|power|gas|water|wasser|utilit(?:y|ies)|stadtwerke|telecom\w*|wireless|mobile|communications|broadband|cable|hospital|clinic|klinik|medical|health\w*|dental|pharmacy|apotheke|farmacia|pharmacie|apotheek|university|universit\w+|college|school|schule|academy|department|ministry|agency|authority|city of|county|services|service|solutions|group|gruppe|groupe|partners|associates|holdings|industries|industrie\w*|store|stores|market|mart|supermarket|hypermarket|minimarket|supermercado|supermarché|shop|boutique|restaurant|restoran|ristorante|café|cafe|coffee|bakery|bistro|kitchen\w*|food\w*|hardware|stationery|stationers|bookstore\w*|books|motors?|garage|airlines?|hotel|realty|properties|management|financial|capital|investments?|securities|systems|technologies|technology|tech|labs|studio|consulting|beratung|conseil|advies|law|legal|attorneys|finanzamt|krankenkasse|gemeente|mairie|ayuntamiento|comune|câmara|trading|traders|enterprise|enterprises|perniagaan|kedai|pasar|pasaraya|petrol|station|handel|verlag|bau|logistik|logistics|transport\w*|autovermietung|vermietung|werkstatt|elektro\w*|immobilien|software|media|design)\b/i;

const ADDRESS =
  /\b(?:street|st\.|road|rd\.?|avenue|ave\.?|boulevard|blvd|lane|drive|dr\.|suite|floor|building|p\.?o\.? box|postfach|straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|rue|avenue|boulevard|chemin|place|allée|straat|laan|plein|gracht|kade|calle|avda|avenida|plaza|paseo|via|viale|piazza|corso|rua|travessa|largo|jalan|jln|lorong|taman|lot|no\.|blok|block|seksyen|persiaran|bandar|kampung|kg\.|wisma|plaza|menara|level|unit|tingkat|laman|lebuh|lebuhraya|darul \p{L}+|selangor|johor|kuala lumpur|pulau pinang|penang|perak|kedah|pahang|melaka|sabah|sarawak|negeri sembilan|terengganu|kelantan|perlis|putrajaya|labuan)(?![\p{L}])|^\d+[\s,]|\b\d{4,5}\s+\p{Lu}\p{L}+/iu;
const CONTACT =
  /\b(?:tel|phone|fax|mobile|mob|hp|email|e-mail|web|www|http|telefon|téléphone|telefoon|teléfono|telefono|hotline|careline|whatsapp)\b|@|\.com\b|\.my\b|\.de\b/i;
const TAX_ID_LINE =
  /\b(?:gst|sst|vat|tax|tin|ein|ust|mwst|steuer|tva|btw|iva|nif|cif|siret|siren|kvk|abn|gstin|pan|reg(?:istration)?\.?\s?no|company\s?(?:no|reg)|co\.?\s?(?:no|reg)|roc|brn|iban|bic|swift|handelsregister|amtsgericht|hrb|registergericht)\b/i;
const DOC_TITLE =
  /^(?:(?:simplified\s+)?(?:tax\s+)?invoice|receipt|official receipt|cash\s?(?:sale|bill|receipt)|sales receipt|bill|statement|credit note|debit note|quotation|delivery order|purchase order|rechnung|handelsrechnung|gutschrift|quittung|kassenbon|beleg|facture|reçu|note|factuur|kwitantie|bon|factura|recibo|ticket|fattura|ricevuta|scontrino|fatura|nota fiscal|resit|invois|bil|copy|customer copy|merchant copy|duplicate|original|reprint|cash|cash sales?|credit|credit sales?|tunai|kredit|jualan tunai)\b[\s\p{P}]*$/iu;
const TABLE_HEADER_WORDS =
  /\b(?:qty|quantity|description|desc|item|items|price|amount|amt|total|unit|rate|hours|check[- ]?in|check[- ]?out|rooms?|nights?|date|no\.|code|tax|disc|sku|menge|beschreibung|artikel|preis|betrag|einheit|pos|désignation|quantité|prix|montant|omschrijving|aantal|prijs|bedrag|descripción|cantidad|precio|importe|descrizione|quantità|prezzo|importo|descrição|quantidade|preço|valor|kuantiti|harga|jumlah)\b/gi;
const SENTENCE_START =
  /^(?:please|thank|thanks|keep|this|these|we|our|your|you|for|if|questions|visit|call|note|retain|printed|page|all|see|welcome|goods|no\s+refund|terima|sila|barang|bitte|vielen|wir|ihr|merci|nous|votre|veuillez|bedankt|wij|uw|gracias|por favor|grazie|obrigad|dear|sehr geehrte|geehrte|liebe[rs]?\b|hallo|madame,|monsieur,|mesdames|messieurs|geachte|beste\b|estimad[oa]s?|querid[oa]s?|gentile|egregi|cari?\b|prezad[oa]s?)/i;
const POLICY_WORDS =
  /\b(?:again|returnable|exchangeable|refundable|non-refundable|thank(?:s| you)|terima kasih|danke|merci|gracias|grazie|obrigad[oa]|bedankt)\b/i;
const FUNCTION_WORDS = new Set([
  ...['the', 'of', 'for', 'and', 'with', 'to', 'in', 'on', 'at', 'by', 'is', 'are', 'a', 'an', 'from'],
  ...['der', 'die', 'das', 'von', 'zur', 'zum', 'und', 'mit', 'für', 'im', 'in', 'ist'],
  ...['de', 'la', 'le', 'les', 'du', 'des', 'et', 'pour', 'avec'],
  ...['van', 'het', 'een', 'en', 'voor', 'met'],
  ...['el', 'los', 'las', 'y', 'para', 'con', 'del'],
  ...['il', 'di', 'e', 'per', 'della', 'dei'],
  ...['o', 'os', 'as', 'do', 'da', 'dos', 'das', 'para'],
  ...['dan', 'yang', 'untuk', 'di', 'ke', 'dari'],
]);
/** Lower-case particles that open names ("de Vries", "von Braun", "el Corte", "d'Amico"). */
const NAME_PARTICLES = new Set([
  'de',
  'da',
  'di',
  'do',
  'du',
  'la',
  'le',
  'el',
  'al',
  'von',
  'van',
  'zu',
  'ter',
  'te',
  'ten',
  'op',
  'bin',
  'ibn',
  'e',
  'y',
  'a',
]);
const PRONOUN_NAME =
  /^(?:us|we|our (?:store|shop|team|company|bank|office)|you|me|them|the team|the store|this store)$/i;
const SUB_UNIT =
  /^(?:[\p{L}&]+\s){0,2}(?:department|dept\.?|division|office|team|desk|center|centre|unit|abteilung|service)$/iu;
const REG_NO =
  /\(\s*[A-Z]{0,3}\d{4,}[-\s]?[A-Z]?\s*\)|\b(?:company|co\.?|reg(?:istration)?|roc|brn)\s*(?:no|number)\b|^\(?\d{5,8}-[A-Z]\)?$/i;
const PAYABLE_TO =
  /\b(?:make (?:checks?|cheques?) payable to|payable to|pay to the order of|remit (?:payment )?to|zahlbar an|à l'ordre de|ten name van|a favor de|intestato a)\s*:?\s*([^\n,]{2,60})/i;
const THANKS =
  /\bthank you for (?:choosing|shopping (?:at|with)|dining (?:at|with)|banking with|your business with|being a (?:valued )?(?:customer|member) of|flying with|staying (?:at|with))\s+([^\n.!,]{2,60})/i;
const COPYRIGHT =
  /(?:(?:©|\(c\))\s*(?:19|20)\d{2}|copyright(?:\s*(?:©|\(c\)))?(?:\s*(?:19|20)\d{2})?)\s+([^\n.]{2,60})/i;
const WELCOME =
  /\b(?:welcome to|bienvenue chez|willkommen bei|welkom bij|bienvenido a|benvenuti da|bem-vindo ao|selamat datang ke)\s+([^\n!.]{2,50})/i;

// ---------------------------------------------------------------------------------------------
// Cleaning

/** OCR'd "SDN BHD" spellings → "SDN BHD"; digits inside letter abbreviations ("D.1.Y.") → letters. */
export function repairName(raw: string): string {
  let s = raw
    .replace(/(?<![\p{L}])[S53$][DOBU0][NM]\.?\s?[B83][HN][DO0](?![\p{L}])/giu, (m) =>
      /\./.test(m) ? 'SDN. BHD' : 'SDN BHD',
    )
    .replace(/(?<=\b\p{L}\.)1(?=\.\p{L}\b)/gu, 'I')
    .replace(/(?<=\b\p{L}\.)0(?=\.\p{L}\b)/gu, 'O');
  // Junk at the ends: stray punctuation, single letters, OCR'd frame lines, a leading "1 :".
  s = s.replace(/^\d{1,2}\s*[:|]\s*/, '');
  // A lower-case scrap of one or two letters before a capitalised name ("ol Cash & Carry"): OCR
  // noise from a logo, unless it is a particle of the name ("de Vries", "van Dijk", "la Maison").
  const scrap = /^(\p{Ll}{1,2})\s+(?=\p{Lu})/u.exec(s);
  if (scrap?.[1] && !FUNCTION_WORDS.has(scrap[1]) && !NAME_PARTICLES.has(scrap[1])) s = s.slice(scrap[0].length);
  s = s.replace(/^(?:[^\p{L}\p{N}(]+|\p{L}(?=\s)\s)+/u, '').replace(/(?:\s+[^\p{L}\p{N}\s)]+|\s+\p{Ll}{1,2})+$/u, '');
  return squash(s);
}

const DOC_WORDS =
  /\b(?:tax invoice|simplified tax invoice|invoice|statement of account|account statement|bank statement|credit card statement|statement|receipt|sales receipt|utility bill|payslip|pay stub|earnings statement|declarations page|rechnung|facture|factura|factuur|fattura|fatura|quittung|kontoauszug)\b/gi;

/** A candidate as a name: the part that is not the document's title, registration number or junk. */
export function cleanName(raw: string): string {
  let s = squash(raw);
  // A sender line "Müller GmbH · Hauptstr. 5 · 10115 Berlin": the first segment that is a name.
  const parts = s.split(/\s+[|·•–—]\s+|\s[·•|]\s?|\s{3,}|\t|\s+-\s+/).filter((p) => p.trim().length > 0);
  if (parts.length > 1) {
    const withOrg = parts.find((p) => LEGAL_FORM.test(p) || ORG_WORDS.test(p));
    s = withOrg ?? parts.find((p) => p.replace(DOC_WORDS, '').trim().length > 1 && !ADDRESS.test(p)) ?? s;
  }
  const stripped = s.replace(DOC_WORDS, ' ').replace(/\s+/g, ' ').trim();
  if (stripped.length >= 2) s = stripped;
  // Trailing registration numbers "(728515-H)", "(R199)", "Company No. 123".
  s = s.replace(
    /\s*\(?\s*(?:co(?:mpany)?\.?\s?(?:no|reg)\.?\s*:?)?\s*[A-Z]{0,3}\d[\d\s-]{2,}[A-Z]?\s*\)?\s*[|.]*$/i,
    '',
  );
  s = s.replace(/\s*\([^()]*\d{3,}[^()]*\)\s*/g, ' ');
  s = repairName(s);
  return s.replace(/^[\s,.:;#*•|–—-]+|[\s,:;#*•|–—-]+$/g, '').slice(0, 200);
}

function wordlikeShare(t: string): number {
  const toks = t.split(/\s+/).filter((w) => w.length > 0);
  if (toks.length === 0) return 0;
  let ok = 0;
  for (const w of toks) {
    const letters = w.replace(/[^\p{L}]/gu, '');
    if (w === '&') ok++;
    else if (letters.length >= 2 && /[aeiouyäöüéèàáíóúâêîôûæøåı]/i.test(letters) && letters.length >= w.length * 0.6)
      ok++;
    else if (/^\p{Lu}{2,4}\.?$/u.test(w) || /^(?:\p{L}\.){2,}\p{L}?\.?$/u.test(w))
      ok++; // "MR", "DIY", "D.I.Y."
    else if (/^\(.*\)$/.test(w) && letters.length >= 1) ok += 0.5;
  }
  return ok / toks.length;
}

function looksLikeSentence(t: string): boolean {
  // "We Cash & Carry Sdn. Bhd.": a short line that ends in a legal form is a name, whatever its first word.
  if (t.split(/\s+/).length <= 7 && LEGAL_FORM_END.test(t)) return false;
  if (SENTENCE_START.test(t)) return true;
  // Fragments of the footer's courtesy and returns policy ("… VISIT US AGAIN", "Returnable Or Exchangeable").
  if (POLICY_WORDS.test(t)) return true;
  const words = t.split(/\s+/);
  const fn = words.filter((w) => FUNCTION_WORDS.has(w.toLowerCase())).length;
  if (fn >= 3 || (words.length >= 7 && fn >= 2)) return true;
  return (
    /[.!?]$/.test(t) &&
    !/(?:\b(?:inc|co|corp|ltd|llc|plc|bros|intl|dept|bhd|sdn|gmbh|e\.v|a\.g|[A-Z]))\.$/i.test(t) &&
    !LEGAL_FORM.test(t) &&
    words.length >= 3
  );
}

const LABEL_EXTRA = new Set([
  'summary',
  'details',
  'detail',
  'information',
  'overview',
  'number',
  'no',
  'nr',
  'nummer',
  'page',
  'seite',
  'copy',
]);

/** A name made only of field-label words ("Rechnungsnummer", "Order Summary", "Invoice Date"). */
function labelOnly(s: string): boolean {
  const toks = labelTokens(s);
  if (toks.length === 0 || toks.length > 4) return false;
  return toks.every(
    (t) =>
      isLexiconWord(t) ||
      LABEL_EXTRA.has(t) ||
      /^(?:invoice|rechnung\w*|factur\w*|fattura|fatura|receipt|order|datum|date)$/.test(t),
  );
}

/** Why a line cannot be a party name (undefined when it can). */
export function rejectName(t: string): string | undefined {
  const s = t.trim();
  if (s.length < 2 || s.length > 90) return 'length';
  if (looksLikeSentence(s)) return 'sentence';
  if (DOC_TITLE.test(s)) return 'document title';
  if (CONTACT.test(s) && !LEGAL_FORM.test(s)) return 'contact';
  if (/[$€£¥₹]\s?\d|\d[.,]\d{2}\b/.test(s)) return 'amount';
  if (/\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{1,2}:\d{2}\b/.test(s)) return 'date';
  const headerWords = s.match(TABLE_HEADER_WORDS)?.length ?? 0;
  if (headerWords >= 2 && !LEGAL_FORM.test(s)) return 'table header';
  const letters = (s.match(/\p{L}/gu) ?? []).length;
  const digits = (s.match(/\d/g) ?? []).length;
  if (letters < 2 || digits > letters) return 'digits';
  if (s.split(/\s+/).length > 9) return 'too many words';
  if (labelOnly(s)) return 'field label';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Labelled blocks

/**
 * A label line: the whole line (or its part before a colon) is the label, e.g. "Bill To:",
 * "Käufer/Leistungsempfänger:", "Customer: ACME Ltd". Returns the inline value after the colon.
 */
/** The words of a label list (each list is a module constant: computed once). */
const LIST_WORDS = new WeakMap<readonly Phrase[], ReadonlySet<string>>();
function wordsOf(list: readonly Phrase[]): ReadonlySet<string> {
  let words = LIST_WORDS.get(list);
  if (!words) LIST_WORDS.set(list, (words = new Set(list.flatMap((p) => p.words))));
  return words;
}

function labelLine(text: string, list: readonly Phrase[]): { value: string } | undefined {
  const t = text.trim();
  const colon = t.search(/[:：]/);
  const head = colon >= 0 && colon <= 40 ? t.slice(0, colon) : t.length <= 40 ? t : '';
  if (!head) return undefined;
  const toks = labelTokens(head);
  if (toks.length === 0 || toks.length > 4) return undefined;
  // Every token is a word of the labels ("Käufer/Leistungsempfänger", "Bill To / Ship To"): checked first, it rules
  // out almost every line before any phrase is matched.
  const words = wordsOf(list);
  if (!toks.every((tok) => words.has(tok))) return undefined;
  // …and they hold one of the labels.
  if (!list.some((p) => findPhrase(toks, p, false) >= 0)) return undefined;
  // "To" alone only with a colon (else it is a word of a sentence).
  if (toks.length === 1 && (toks[0] === 'to' || toks[0] === 'an' || toks[0] === 'from') && colon < 0) return undefined;
  return { value: colon >= 0 && colon <= 40 ? t.slice(colon + 1).trim() : '' };
}

const ID_LINE =
  /^(?:[\p{L} .-]{0,30}(?:nummer|number|no\.?|nr\.?|id|gln|gtin|ref\w*|code|kunden-?nr|vat|ust|tax)\b\s*[:#.]?\s*[\w\s./()-]*|[A-Z]{0,3}\d[\d\s-]{3,}\w*)$/iu;

/** A line that starts like a street address. */
const STREET_START =
  /^(?:\d|(?:street|road|rue|calle|c\/|avda\.?|av\.|avenida|avenue|via|viale|rua|jalan|jln|lot|no\.|p\.?o\.? box|postfach|postbus|straße|strasse|weg|impasse|chemin|boulevard|bd)(?![\p{L}]))/iu;

/** Courtesy titles that open a recipient's name ("Herrn" and "Spett.le" may stand alone on a line). */
const TITLE =
  /^(?:mr|mrs|ms|miss|mx|dr|prof|herrn?|frau|familie|fam\.|madame|monsieur|mme|mlle|m\.|dhr\.?|mevr\.?|mevrouw|de heer|sr\.?|sra\.?|srta\.?|don|doña|dña\.?|d\.|sig\.?|sig\.ra|signora?|gentile|spett\.?\s?le|spettabile|exmo\.?|exma\.?|ex\.mo|ex\.ma|encik|en\.|puan|pn\.|tuan|tn\.)(?=[\s.]|$)\.?\s*/iu;
/** Courtesy titles of a person (dropped from the customer's name; "Familie" and "Firma" stay). */
const PERSON_TITLE =
  /^(?:mr|mrs|ms|miss|mx|herrn?|frau|madame|monsieur|mme|mlle|dhr\.?|mevr\.?|mevrouw|de heer|sr\.?|sra\.?|srta\.?|sig\.?|sig\.ra|signora?|exmo\.?|exma\.?|encik|puan|tuan)(?=[\s.])\.?\s+/iu;
const TITLE_ONLY =
  /^(?:an|aan|herrn?|frau|familie|firma|spett\.?\s?le|spettabile|gentile|messrs\.?|attn\.?|à l'attention de)\s*$/iu;

/**
 * The recipient block of a letter or bill without a label: a name with a courtesy title ("Mr S
 * Patel", "Frau Elke Brandt", "Dhr. P. Jansen", "Herrn" / "Jonas Weidmann") followed by address
 * lines, in the top part of the page.
 */
function recipientBlock(lines: LineIndex): Block | undefined {
  const ne = lines.nonEmpty;
  for (let i = 0; i < Math.min(ne.length, 30); i++) {
    const line = ne[i];
    if (!line) continue;
    const t = line.text.trim().split(/\s{3,}/)[0] ?? '';
    let name: { text: string; line: Line } | undefined;
    let at = i;
    if (TITLE_ONLY.test(t) && ne[i + 1]) {
      const next = ne[i + 1];
      if (next) name = { text: (next.text.trim().split(/\s{3,}/)[0] ?? '').replace(/^(?:firma)\s+/i, ''), line: next };
      at = i + 1;
    } else if (TITLE.test(t) && !/^(?:dr|m|d)\.?\s*$/i.test(t)) {
      const rest = t.replace(TITLE, '').trim();
      if (/^\p{Lu}/u.test(rest) && rest.split(/\s+/).length <= 5) name = { text: t, line };
    }
    // The first line is the letterhead; a company ("MR. D.I.Y. SDN BHD") is no courtesy title.
    if (
      !name ||
      i === 0 ||
      LEGAL_FORM.test(name.text) ||
      rejectName(name.text.replace(TITLE, '')) ||
      ADDRESS.test(name.text)
    )
      continue;
    // Address lines below it.
    const below = ne.slice(at + 1, at + 4).map((l) => l.text);
    if (!below.some((b) => ADDRESS.test(b) || /\b\d{4,5}\b/.test(b))) continue;
    return {
      kind: 'customer',
      labelLine: line,
      lineNos: [line.no, ...ne.slice(i + 1, at + 4).map((l) => l.no)],
      name: { text: name.text.replace(TITLE, '').trim(), line: name.line },
    };
  }
  return undefined;
}

interface Block {
  kind: 'seller' | 'customer';
  labelLine: Line;
  /** Line numbers of the block (label line included). */
  lineNos: number[];
  name: { text: string; line: Line } | undefined;
}

function blocks(lines: LineIndex): Block[] {
  const out: Block[] = [];
  const ne = lines.nonEmpty;
  for (let i = 0; i < Math.min(ne.length, 120); i++) {
    const line = ne[i];
    if (!line) continue;
    const seller = labelLine(line.text, SELLER_LABELS);
    const customer = seller ? undefined : labelLine(line.text, CUSTOMER_LABELS);
    const hit = seller ?? customer;
    if (!hit) continue;
    const kind = seller ? 'seller' : 'customer';
    const block: Block = { kind, labelLine: line, lineNos: [line.no], name: undefined };
    const inline = hit.value.split(/\s{3,}/)[0] ?? '';
    if (inline && !rejectName(inline) && !ID_LINE.test(inline)) block.name = { text: inline, line };
    for (let j = i + 1; j < Math.min(ne.length, i + 7); j++) {
      const next = ne[j];
      if (!next) break;
      if (next.no - (ne[j - 1]?.no ?? next.no) > 1 && j > i + 1) break; // a blank line ends the block
      if (labelLine(next.text, SELLER_LABELS) || labelLine(next.text, CUSTOMER_LABELS)) break;
      const first = next.text.trim().split(/\s{3,}/)[0] ?? '';
      // After the party's name come its address, contact and ids; anything else (another company,
      // a document title, an amount) is the document going on.
      if (
        block.name &&
        !ADDRESS.test(first) &&
        !STREET_START.test(first) &&
        !CONTACT.test(first) &&
        !ID_LINE.test(first) &&
        !TAX_ID_LINE.test(first) &&
        !/\b\d{4,5}\b/.test(first) &&
        !/^(?:attn|z\.?\s?hd|c\/o|à l'attention)/i.test(first)
      )
        break;
      block.lineNos.push(next.no);
      // The first line of the block is the party unless it is an id, an address or a label.
      const addressy = block.name === undefined && j === i + 1 ? STREET_START.test(first) : ADDRESS.test(first);
      if (!block.name && !ID_LINE.test(first) && !rejectName(first) && !addressy && !/:\s*\S/.test(first))
        block.name = { text: first, line: next };
    }
    out.push(block);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scoring

const key = (n: string): string => n.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

export interface IssuerCandidate extends PartyFact {
  lineNo: number;
}

export function findParties(text: string, lines: LineIndex, opts: { ocr?: boolean } = {}): Parties {
  const parties = partiesWithCandidates(text, lines).parties;
  if (opts.ocr && parties.issuer) {
    const name = repairOcrName(parties.issuer.name, text);
    if (name !== parties.issuer.name) parties.issuer = { ...parties.issuer, name };
  }
  return parties;
}

/** Country names as they stand in brackets after a company name ("THE STORE (MALAYSIA) SDN BHD"). */
const COUNTRY_WORDS = [
  'Malaysia',
  'Singapore',
  'Indonesia',
  'Thailand',
  'Philippines',
  'Vietnam',
  'India',
  'Australia',
  'Canada',
  'Ireland',
  'Germany',
  'Deutschland',
  'Austria',
  'Österreich',
  'Schweiz',
  'Suisse',
  'Switzerland',
  'France',
  'Belgique',
  'Belgium',
  'België',
  'Nederland',
  'Netherlands',
  'España',
  'Spain',
  'Italia',
  'Italy',
  'Portugal',
  'Brasil',
  'Brazil',
];

const WORD_RE = /[\p{L}\p{N}]+/gu;

/**
 * OCR damage in an issuer name that the document itself undoes: a country in brackets read with
 * a letter or two wrong ("(KALAYSTA)" → "(MALAYSIA)"); a word the document prints elsewhere more
 * often in a spelling one letter away ("COEWAY (M) SDN BHD" with "Wisma Cosway" and "(COSWAY)"
 * below; "SUFER.SEVEN" with "SUPER SEVEN" in the footer); and a "q" between two vowels, which
 * Latin-script languages write only before "u", read for a "g" ("Seqi" → "Segi").
 */
export function repairOcrName(name: string, text: string): string {
  let out = name.replace(/\(\s*([\p{L}]{6,12})\s*\)?/gu, (m, w: string) => {
    if (COUNTRY_WORDS.some((c) => c.toLowerCase() === w.toLowerCase())) return m;
    const hit = COUNTRY_WORDS.find((c) => editDistance(c.toLowerCase(), w.toLowerCase(), 2) <= 2);
    if (!hit) return m;
    const cased = w === w.toUpperCase() ? hit.toUpperCase() : hit;
    return m.replace(w, cased);
  });
  // How often each spelling occurs in the document (case-insensitive).
  const counts = new Map<string, number>();
  for (const w of text.toLowerCase().match(WORD_RE) ?? []) if (w.length >= 4) counts.set(w, (counts.get(w) ?? 0) + 1);
  const lowerText = text.toLowerCase();
  const nameWords = (out.toLowerCase().match(WORD_RE) ?? []).filter((w) => w.length >= 3);
  // A short word ("JAYA" against "RAYA" in the address) is taken only where the other spelling
  // stands next to another word of the name ("SUPER SEVEN" for "SUFER.SEVEN").
  const besideName = (v: string, self: string): boolean =>
    nameWords.some(
      (o) =>
        o !== self &&
        new RegExp(`(?<![\\p{L}])(?:${v}[^\\p{L}\\n]{1,3}${o}|${o}[^\\p{L}\\n]{1,3}${v})(?![\\p{L}])`, 'u').test(
          lowerText,
        ),
    );
  // A spelling is also backed by a shorter word of the document it contains and the name's
  // spelling does not ("eCOSWAY" and "Wisma Cosway" against "eCGosway": the inserted letter
  // breaks the brand the document prints on its own).
  const partSupport = (v: string, self: string): number => {
    let n = 0;
    for (const [u, k] of counts) if (u.length >= 5 && u !== v && v.includes(u) && !self.includes(u)) n += k;
    return n;
  };
  out = out.replace(WORD_RE, (w) => {
    const lw = w.toLowerCase();
    if (lw.length < 4 || /\d/.test(lw) || (counts.get(lw) ?? 0) > 1) return w;
    let best: string | undefined;
    let bestN = 1;
    for (const [v, printed] of counts) {
      if (v === lw || /\d/.test(v) || Math.abs(v.length - lw.length) > 1) continue;
      if (editDistance(v, lw, 1) !== 1) continue;
      const n = printed + partSupport(v, lw);
      if (n <= bestN) continue;
      if (lw.length >= 6 || besideName(v, lw)) {
        best = v;
        bestN = n;
      }
    }
    if (!best) return w;
    return w === w.toUpperCase()
      ? best.toUpperCase()
      : w[0] === w[0]?.toUpperCase()
        ? best[0]?.toUpperCase() + best.slice(1)
        : best;
  });
  return out.replace(/(?<=[aeiou])q(?=[aeio])/g, 'g');
}

/** The parties and every issuer candidate considered (for debugging and tests). */
export function partiesWithCandidates(
  text: string,
  lines: LineIndex,
): { parties: Parties; candidates: IssuerCandidate[] } {
  const bl = blocks(lines);
  if (!bl.some((b) => b.kind === 'customer' && b.name)) {
    const r = recipientBlock(lines);
    if (r) bl.push(r);
  }
  const customerLines = new Set(bl.filter((b) => b.kind === 'customer').flatMap((b) => b.lineNos));
  const customerBlock = bl.find((b) => b.kind === 'customer' && b.name);
  const customer: PartyFact | undefined = customerBlock?.name
    ? {
        // "Mme Sophie Laurent" → "Sophie Laurent" (the title alone stays as it is).
        name: cleanName(customerBlock.name.text).replace(PERSON_TITLE, '').trim() || cleanName(customerBlock.name.text),
        rule:
          customerBlock.labelLine === customerBlock.name.line &&
          !labelLine(customerBlock.labelLine.text, CUSTOMER_LABELS)
            ? 'recipient address block'
            : `after "${squash(customerBlock.labelLine.text).slice(0, 30)}"`,
        strength: 0.8,
        index: customerBlock.name.line.start,
        source: squash(customerBlock.name.line.text),
      }
    : undefined;
  const customerKey = customer ? key(customer.name) : '';

  type Cand = IssuerCandidate;
  const cands: Cand[] = [];
  const push = (name: string, line: Line, rule: string, strength: number): void => {
    const cleaned = cleanName(name);
    if (cleaned.length < 2 || PRONOUN_NAME.test(cleaned) || rejectName(cleaned)) return;
    const legal = LEGAL_FORM.test(cleaned);
    if (!legal && (ADDRESS.test(cleaned) || TAX_ID_LINE.test(cleaned))) return;
    // Only a legal form or a registration label left ("SDN BHD", "CO. (M)", "Company No").
    const core = cleaned.replace(LEGAL_FORM_ALL, ' ').replace(/\([^)]*\)|[^\p{L}]+/gu, '');
    if (legal && core.length < 3) return;
    if (/^[([{]?\s*(?:company|co\.?|reg(?:istration)?\.?|roc)\s*(?:no|reg|number)\b/i.test(cleaned)) return;
    if (customerKey && key(cleaned) === customerKey) return;
    cands.push({ name: cleaned, rule, strength, index: line.start, source: squash(line.text), lineNo: line.no });
  };

  // 1. Seller labels.
  for (const b of bl) if (b.kind === 'seller' && b.name) push(b.name.text, b.name.line, 'after a seller label', 0.9);

  // 2. Lines of the letterhead and legal-form lines anywhere (outside the customer's block).
  const ne = lines.nonEmpty;
  const taxLines = ne.filter((l) => TAX_ID_LINE.test(l.text)).map((l) => l.no);
  const topEnd = Math.min(ne.length, 14);
  for (let i = 0; i < Math.min(ne.length, 150); i++) {
    const line = ne[i];
    if (!line || customerLines.has(line.no)) continue;
    const inTop = i < topEnd;
    let t = line.text.trim();
    if (labelLine(t, SELLER_LABELS)) continue; // read as a labelled block above
    // A footer or sender line of segments ("Müller GmbH · Geschäftsführer: K. Müller · …"): its
    // first segment decides.
    const segments = t.split(/\s[·•|]\s/);
    if (segments.length > 1 && segments[0] && (LEGAL_FORM.test(segments[0]) || ORG_WORDS.test(segments[0])))
      t = segments[0].trim();
    // "Customer service hours: Mon-Fri", "Cashier: Anna": a label with its value, not a name.
    if (/^[^:]*\p{L}{2}[^:]*:\s*\S/u.test(t) && t.indexOf(':') <= 40 && !LEGAL_FORM.test(t.split(':')[0] ?? '')) {
      // "Owned by: ACME SDN BHD", "Operator: Müller GmbH": the value when it is a company.
      const value = t.slice(t.indexOf(':') + 1).trim();
      if (!LEGAL_FORM.test(value)) continue;
      t = value;
    }
    if (!inTop && !LEGAL_FORM.test(t)) continue;
    // A name broken over two lines: "POPULAR BOOK" / "CO. (M) SDN BHD", "ENTERPRISE (SETIA" / "ALAM) SDN BHD".
    const next = ne[i + 1];
    if (next && !customerLines.has(next.no)) {
      const n = next.text.trim();
      // OCR reads a bracket as a brace ("(KUCHAI}"): both close the parenthesis.
      const unbalanced = (t.match(/[({]/g) ?? []).length > (t.match(/[)}]/g) ?? []).length;
      const onlyForm =
        n.replace(LEGAL_FORM_ALL, ' ').replace(/\([^)]*\)|[^\p{L}]+/gu, '').length <= 3 && LEGAL_FORM.test(n);
      if ((unbalanced || onlyForm) && n.length <= 40 && !LEGAL_FORM.test(t.replace(/\s*\(.*$/, ''))) t = `${t} ${n}`;
    }
    const name = cleanName(t);
    const why = rejectName(t.length > 90 ? name : t) && rejectName(name);
    if (why || name.length < 2) continue;
    if (ADDRESS.test(name) && !LEGAL_FORM.test(name)) continue;
    if (TAX_ID_LINE.test(name) && !LEGAL_FORM.test(name)) continue;
    const legal = LEGAL_FORM.test(name);
    const org = ORG_WORDS.test(name);
    let s = inTop ? 0.4 - i * 0.035 : 0.12;
    if (legal) s += 0.35;
    else if (org) s += 0.18;
    const upper = name.replace(/[^\p{L}]/gu, '');
    if (!/\p{Lu}/u.test(upper))
      s -= legal ? 0.1 : 0.45; // lower-case handwriting or a stamp
    else if (upper === upper.toUpperCase() && upper.length > 3) s += 0.05;
    const share = wordlikeShare(name);
    if (share < 0.5) s -= 0.45;
    else if (share < 0.8) s -= 0.15;
    if (name.split(/\s+/).length === 1 && name.length <= 3) s -= 0.2;
    if (/\p{L}{2}[^:]*:/u.test(t)) s -= 0.2;
    // A line between two address lines is part of the address.
    const prevLine = ne[i - 1]?.text ?? '';
    const nextLine = ne[i + 1]?.text ?? '';
    if (i > 0 && ADDRESS.test(prevLine) && ADDRESS.test(nextLine) && !legal) s -= 0.15;
    if (i > 0 && SUB_UNIT.test(name) && !/\b(?:department|ministry) of\b/i.test(name)) s -= 0.3;
    // Structure of a letterhead: a registration number on the line or just below, an address below.
    const below = ne.slice(i + 1, i + 4).map((l) => l.text);
    if (REG_NO.test(t) || below.slice(0, 1).some((b) => REG_NO.test(b))) s += 0.12;
    if (below.some((b) => ADDRESS.test(b))) s += 0.06;
    if (taxLines.some((n) => n > line.no && n - line.no <= 8)) s += 0.05;
    const mentions = text.split(name).length - 1;
    if (mentions > 1) s += 0.05;
    push(
      t,
      line,
      legal ? 'legal-form line' : inTop ? 'letterhead line' : 'name in body',
      Math.max(0.02, Math.min(0.9, s)),
    );
  }

  // 3. Payee, welcome, thank-you and copyright lines.
  for (const [re, rule, strength] of [
    [PAYABLE_TO, 'payable to', 0.8],
    [WELCOME, 'welcome line', 0.55],
    [THANKS, 'thank-you line', 0.6],
    [COPYRIGHT, 'copyright line', 0.5],
  ] as const) {
    const m = re.exec(text);
    if (m?.[1]) push(m[1], lines.lineAt(m.index), rule, strength);
  }

  // A brand in the thank-you or welcome line ("Thank you for shopping at BHPetromart") that starts
  // like a letterhead line ("BHPetrol Permas Jaya 2") confirms that line, which names the issuer in full.
  for (const c of cands.filter((x) => x.rule === 'thank-you line' || x.rule === 'welcome line')) {
    const stem = key(c.name).slice(0, 5);
    if (stem.length < 5) continue;
    const head = cands.find(
      (o) =>
        o.rule === 'letterhead line' &&
        lines.visibleRank(lines.lines[o.lineNo] ?? lines.lineAt(o.index)) < 6 &&
        key(o.name).startsWith(stem) &&
        key(o.name) !== key(c.name),
    );
    if (head) head.strength = Math.max(head.strength, c.strength + 0.05);
  }

  // A name the document's own mail, web address or social handle spells out is its sender: a
  // little stronger ("SANYU STATIONERY SHOP" with "Facebook: Sanyu.Stationery", over the
  // "Owned by" company below it).
  const domains = documentDomains(text);
  if (domains.length > 0)
    for (const c of cands)
      if (nameInDomains(c.name.replace(LEGAL_FORM_ALL, ' '), domains)) c.strength = Math.min(0.9, c.strength + 0.1);

  // Agreement between rules and repeated mentions.
  let best: Cand | undefined;
  let bestScore = -1;
  let runner = 0;
  for (const c of cands) {
    const agreeing = cands.filter((o) => o !== c && o.rule !== c.rule && key(o.name) === key(c.name)).length;
    const score = Math.min(1, c.strength + Math.min(0.15, agreeing * 0.08));
    if (score > bestScore) {
      if (best && key(best.name) !== key(c.name)) runner = Math.max(runner, bestScore);
      best = c;
      bestScore = score;
    } else if (!best || key(best.name) !== key(c.name)) runner = Math.max(runner, score);
  }
  const issuer = best
    ? {
        name: best.name,
        rule: best.rule,
        strength: bestScore,
        index: best.index,
        source: best.source,
        signals: issuerSignals(best, cands, text, lines),
      }
    : undefined;
  return { parties: { issuer, customer, issuerRunnerUp: runner }, candidates: cands };
}

function issuerSignals(
  best: IssuerCandidate,
  cands: readonly IssuerCandidate[],
  text: string,
  lines: LineIndex,
): IssuerSignals {
  const ne = lines.nonEmpty;
  const rank = ne.findIndex((l) => l.no === best.lineNo);
  const core = best.name.replace(LEGAL_FORM_ALL, ' ').replace(/\s+/g, ' ').trim();
  const coreKey = key(core);
  // Printed again on another line (footer, "Thank you for shopping at …").
  let repeated = false;
  if (core.length >= 4) {
    const re = new RegExp(core.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'), 'gi');
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) if (lines.lineAt(m.index).no !== best.lineNo) repeated = true;
  }
  // The name in a mail or web domain: "SOON HUAT …" and "soonhuat2000@hotmail.com".
  const domain = nameInDomains(core, documentDomains(text));
  const taxIdNearby = ne
    .slice(Math.max(0, rank - 3), rank + 8)
    .some((l) => l.no !== best.lineNo && TAX_ID_LINE.test(l.text));
  const agreeing = cands.filter((o) => o !== best && o.rule !== best.rule && key(o.name) === key(best.name)).length;
  void coreKey;
  return {
    rank,
    legalForm: LEGAL_FORM.test(best.name),
    orgWord: ORG_WORDS.test(best.name),
    repeated,
    domain,
    taxIdNearby,
    agreeing,
  };
}

/**
 * The document's mail addresses, web addresses and social handles ("Facebook: Kedai.Maju",
 * "@kedaimaju"), lower-case letters and digits only.
 */
function documentDomains(text: string): string[] {
  const found = [
    // The look-behind starts an address at the start of its token only (linear on long runs).
    ...(text.match(/(?<![\w.%+-])[\w.%+-]+@[\w.-]+|(?:https?:\/\/|www\.)[\w.-]+/gi) ?? []),
    ...[
      ...text.matchAll(
        /\b(?:facebook|fb|instagram|ig|twitter|tiktok|follow us(?: on| in)?(?: facebook| instagram)?)\b\s*[:@/]*\s*(?:facebook\.com\/|@)?([\w.-]{4,40})/gi,
      ),
    ].map((m) => m[1] ?? ''),
  ];
  return found.map((d) => d.toLowerCase().replace(/[^a-z0-9@]/g, '')).filter((d) => d.length >= 4);
}

/** The name's words in one of the document's domains: "SOON HUAT …" and "soonhuat2000@hotmail.com". */
function nameInDomains(core: string, domains: readonly string[]): boolean {
  if (domains.length === 0) return false;
  const words = core
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 3);
  const joined = words.slice(0, 2).join('');
  return (
    words.length > 0 &&
    domains.some(
      (d) =>
        (joined.length >= 5 && d.includes(joined)) ||
        words.filter((w) => w.length >= 4 && d.includes(w)).length >= Math.min(2, words.length),
    )
  );
}

export function canonicalIssuer(issuer: string): string {
  return squash(
    issuer
      .replace(
        /,?\s(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|LLP|PLC|plc|Corp\.?|Corporation|Co\.|GmbH(?: & Co\. KG)?|AG|KG|S\.A\.?|SAS|SARL|B\.V\.|N\.V\.|S\.r\.l\.|S\.p\.A\.|S\.L\.|Lda\.?|Pty\.? Ltd\.?|Pvt\.? Ltd\.?|SDN\.? BHD\.?|BHD\.?|Berhad|S\/B)$/i,
        '',
      )
      .replace(/[^\p{L}\p{N}&'.()/ -]/gu, ' '),
  ).slice(0, 256);
}
