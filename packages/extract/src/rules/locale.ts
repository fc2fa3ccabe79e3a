/**
 * Where a document comes from, from the evidence printed on it: country names, tax-id and IBAN
 * formats, phone prefixes, legal forms, address words and currency marks. The country decides
 * the currency when no symbol is printed and, with the language and the other dates of the
 * document, the day/month order of numeric dates.
 */

export interface CountryVote {
  country: string;
  weight: number;
  cue: string;
}

export interface LocaleFacts {
  /** ISO 3166-1 alpha-2, or null when the evidence is too thin. */
  country: string | null;
  /** Sum of the winning country's cue weights. */
  countryScore: number;
  /** Runner-up score (for confidence). */
  runnerUpScore: number;
  /** The cues that voted for the winner. */
  cues: string[];
}

interface Cue {
  re: RegExp;
  country: string;
  weight: number;
  /** Count at most this many matches (default 1). */
  max?: number;
}

/** A cue; its pattern is made global once here (`inferLocale` scans with `exec` from `lastIndex` 0). */
const C = (re: RegExp, country: string, weight: number, max = 1): Cue => ({
  re: re.global ? re : new RegExp(re.source, re.flags + 'g'),
  country,
  weight,
  max,
});

/** Country cues. Weights: 3 decisive (country name, national tax-id format), 2 strong, 1 weak. */
const CUES: readonly Cue[] = [
  // Malaysia
  C(/\bmalaysia\b/i, 'MY', 3),
  C(/\b[S53$][DOBU0][NM]\.?\s?[B8][HN][DO0]\b|\bS\/B\b/i, 'MY', 3),
  C(/\bberhad\b/i, 'MY', 2),
  C(/(?<![A-Za-z])RM\s?\d|\(RM\)|\bRM\s*$/m, 'MY', 3),
  C(
    /\b(?:jalan|jln|taman|lorong|persiaran|kuala lumpur|selangor|johor|pulau pinang|sabah|sarawak|melaka|perak|kedah|pahang|negeri sembilan|putrajaya|shah alam|petaling jaya|klang|darul ehsan|seksyen|bandar)\b/i,
    'MY',
    1,
    3,
  ),
  C(/\+?\b60\s?1\d[-\s]?\d{3,4}[-\s]?\d{4}\b|\+60\b/, 'MY', 2),
  // Malaysian GST registration numbers have 12 digits (Singapore's are letters and digits).
  C(/\bGST\s*(?:ID|NO|REG(?:ISTRATION)?\.?\s*(?:NO|ID)?)\.?\s*[:.]?\s*\d{12}\b/i, 'MY', 2.5),
  C(/\b0\d-\d{7,8}\b|\b0\d-\d{3,4}\s\d{4}\b/, 'MY', 1),
  C(/\b(?:terima kasih|barang yang dibeli|tunai|jumlah)\b/i, 'MY', 1, 2),
  // India
  C(/\bindia\b/i, 'IN', 3),
  C(/\bGSTIN\b|\b\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]\b/, 'IN', 3),
  C(/\b(?:CGST|SGST|IGST|UTGST)\b/, 'IN', 3),
  C(/₹|(?<![A-Za-z])(?:Rs\.?|INR)\s?\d/, 'IN', 3),
  C(/\b(?:pvt\.?\s?ltd|private limited)\b/i, 'IN', 2),
  C(/\+91\b/, 'IN', 3),
  C(
    /\b(?:maharashtra|karnataka|tamil nadu|new delhi|mumbai|bengaluru|bangalore|hyderabad|chennai|kolkata|gujarat|kerala)\b/i,
    'IN',
    1,
    2,
  ),
  // Germany / Austria / Switzerland
  C(/\b(?:deutschland|germany|allemagne)\b/i, 'DE', 3),
  C(/\bDE\s?\d{9}\b/, 'DE', 3),
  C(/\b(?:USt\.?-?Id\.?-?Nr|Steuernummer|Steuer-Nr|Amtsgericht|HRB|Handelsregister)\b/i, 'DE', 1.5),
  C(/\+49\b|\b0049\b/, 'DE', 3),
  C(/\bIBAN:?\s?DE\d{2}/i, 'DE', 3),
  C(
    /\b\d{5}\s+(?:Berlin|Hamburg|München|Köln|Frankfurt|Stuttgart|Düsseldorf|Leipzig|Dresden|Hannover|Nürnberg|Bremen|Essen|Dortmund)\b/,
    'DE',
    2,
  ),
  C(/\b(?:österreich|austria)\b/i, 'AT', 3),
  C(/\bATU\d{8}\b|\+43\b|\bIBAN:?\s?AT\d{2}/i, 'AT', 3),
  C(/\b(?:schweiz|suisse|svizzera|switzerland)\b/i, 'CH', 3),
  C(/\bCHE[-\s]?\d{3}\.\d{3}\.\d{3}\b|\+41\b|\bIBAN:?\s?CH\d{2}/i, 'CH', 3),
  C(/\b(?:CHF|SFr\.?)\s?\d|\d\s?(?:CHF)\b/, 'CH', 2),
  // France / Belgium / Netherlands / Luxembourg
  C(/\bfrance\b/i, 'FR', 3),
  C(/\bFR\s?[0-9A-Z]{2}\s?\d{9}\b|\bSIRE[NT]\b|\+33\b|\bIBAN:?\s?FR\d{2}/i, 'FR', 3),
  C(/\b(?:SARL|SAS|EURL|SASU)\b/, 'FR', 1.5),
  C(/\b(?:nederland|netherlands|pays-bas)\b/i, 'NL', 3),
  C(/\bNL\s?\d{9}\s?B\s?\d{2}\b|\bKvK\b|\+31\b|\bIBAN:?\s?NL\d{2}/i, 'NL', 3),
  C(/\b(?:belgique|belgië|belgie|belgium)\b/i, 'BE', 3),
  C(/\bBE\s?0\d{3}\.?\d{3}\.?\d{3}\b|\+32\b|\bIBAN:?\s?BE\d{2}/i, 'BE', 3),
  C(/\bB\.V\.|\bBV\b/, 'NL', 1),
  C(/\b\d{4}\s?[A-Z]{2}\s+[A-Z][a-z]+/, 'NL', 1),
  C(/\b(?:luxembourg)\b|\bLU\d{8}\b|\+352\b/i, 'LU', 3),
  // Spain / Italy / Portugal
  C(/\b(?:españa|espana|spain)\b/i, 'ES', 3),
  C(/\b(?:CIF|NIF)\s*:?\s*[A-Z]?\d{7,8}[A-Z]?\b|\+34\b|\bIBAN:?\s?ES\d{2}/i, 'ES', 3),
  C(/\bS\.L\.U?\b|\bS\.A\.U\b/, 'ES', 1.5),
  C(/\b(?:italia|italy)\b/i, 'IT', 3),
  C(/\b(?:P\.\s?IVA|Partita IVA|Codice Fiscale)\b|\bIT\s?\d{11}\b|\+39\b|\bIBAN:?\s?IT\d{2}/i, 'IT', 3),
  C(/\bS\.r\.l\.|\bS\.p\.A\.|\bSRL\b/i, 'IT', 2),
  C(/\bportugal\b/i, 'PT', 3),
  C(/\bPT\s?\d{9}\b|\+351\b|\bIBAN:?\s?PT\d{2}|\bcontribuinte\b/i, 'PT', 3),
  C(/\bLda\.?\b/, 'PT', 2),
  C(/\b(?:brasil|brazil)\b|\bCNPJ\b|\bCPF\b|R\$\s?\d/i, 'BR', 3),
  // UK / Ireland
  C(/\b(?:united kingdom|england|scotland|wales|great britain)\b/i, 'GB', 3),
  C(/\bGB\s?\d{3}\s?\d{4}\s?\d{2}\b|\+44\b|\bIBAN:?\s?GB\d{2}/i, 'GB', 3),
  C(/£\s?\d|\bGBP\b/, 'GB', 2),
  C(/\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b/, 'GB', 1.5),
  C(/\b(?:ireland|éire)\b|\+353\b|\bIBAN:?\s?IE\d{2}/i, 'IE', 3),
  // North America
  C(/\b(?:united states|U\.S\.A\.?|USA)\b/, 'US', 3),
  C(
    /,\s?(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC)\s\d{5}(?:-\d{4})?\b/,
    'US',
    2.5,
    2,
  ),
  C(/\b(?:EIN|SSN|IRS|W-2|1099)\b/, 'US', 2),
  C(/\+1[\s-]\d{3}|\(\d{3}\)\s?\d{3}-\d{4}/, 'US', 1),
  C(/(?<![A-Z$])\$\s?\d/, 'US', 1),
  C(/\bcanada\b|\b[A-Z]\d[A-Z]\s\d[A-Z]\d\b|\bC\$|\bCAD\b/i, 'CA', 3),
  C(/\baustralia\b|\bABN\b|\+61\b|\bA\$|\bAUD\b/i, 'AU', 3),
  C(/\bnew zealand\b|\+64\b|\bNZ\$/i, 'NZ', 3),
  C(/\bsingapore\b|\bUEN\b|\+65\b|\bS\$/i, 'SG', 3),
  C(/\bhong kong\b|\+852\b|\bHK\$/i, 'HK', 3),
  // Nordics / Central Europe
  C(/\b(?:sverige|sweden)\b|\+46\b|\bIBAN:?\s?SE\d{2}|\borg\.?\s?nr\b|\bSEK\b/i, 'SE', 3),
  C(/\b(?:norge|norway)\b|\+47\b|\bIBAN:?\s?NO\d{2}|\bMVA\b|\bNOK\b/i, 'NO', 3),
  C(/\b(?:danmark|denmark)\b|\+45\b|\bIBAN:?\s?DK\d{2}|\bCVR\b|\bApS\b|\bDKK\b/i, 'DK', 3),
  C(/\b(?:polska|poland)\b|\+48\b|\bIBAN:?\s?PL\d{2}|\bNIP\b|zł|\bPLN\b|\bsp\.\s?z\s?o\.\s?o\./i, 'PL', 3),
  C(/\b(?:česká republika|czech republic|czechia)\b|\+420\b|Kč|\bCZK\b/i, 'CZ', 3),
  C(/\b(?:magyarország|hungary)\b|\+36\b|\bHUF\b/i, 'HU', 3),
  C(/\b(?:japan|日本)\b|\+81\b/i, 'JP', 3),
  C(/\b(?:china|中国)\b|\+86\b|\bRMB\b|元/i, 'CN', 3),
  C(/\b(?:indonesia)\b|\+62\b|(?<![A-Za-z])Rp\.?\s?\d/i, 'ID', 3),
  C(/\b(?:thailand)\b|\+66\b|฿/i, 'TH', 3),
  C(/\b(?:philippines)\b|\+63\b|₱/i, 'PH', 3),
  C(/\b(?:mexico|méxico)\b|\+52\b|\bRFC\b|\bMX\$/i, 'MX', 3),
  C(/\b(?:south africa)\b|\+27\b|\bZAR\b/i, 'ZA', 3),
];

/** Country voted for by the document's language (a weak cue on its own). */
const LANGUAGE_COUNTRY: Record<string, string> = {
  de: 'DE',
  fr: 'FR',
  nl: 'NL',
  es: 'ES',
  it: 'IT',
  pt: 'PT',
  ms: 'MY',
};

export function inferLocale(text: string, language: string | null): LocaleFacts {
  const votes = new Map<string, { score: number; cues: string[] }>();
  const add = (country: string, weight: number, cue: string): void => {
    const v = votes.get(country) ?? { score: 0, cues: [] };
    v.score += weight;
    v.cues.push(cue);
    votes.set(country, v);
  };
  const sample = text.slice(0, 30_000);
  for (const cue of CUES) {
    const re = cue.re;
    re.lastIndex = 0;
    let n = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(sample)) !== null && n < (cue.max ?? 1)) {
      add(cue.country, cue.weight, m[0].trim().slice(0, 40));
      n++;
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  if (language && LANGUAGE_COUNTRY[language]) add(LANGUAGE_COUNTRY[language], 1, `language ${language}`);
  let best: string | null = null;
  let bestScore = 0;
  let runnerUp = 0;
  for (const [country, v] of votes) {
    if (v.score > bestScore) {
      runnerUp = bestScore;
      bestScore = v.score;
      best = country;
    } else if (v.score > runnerUp) runnerUp = v.score;
  }
  if (!best || bestScore < 2 || bestScore <= runnerUp) {
    return { country: null, countryScore: bestScore, runnerUpScore: runnerUp, cues: [] };
  }
  return { country: best, countryScore: bestScore, runnerUpScore: runnerUp, cues: votes.get(best)?.cues ?? [] };
}

export const COUNTRY_CURRENCY: Record<string, string> = {
  MY: 'MYR',
  IN: 'INR',
  DE: 'EUR',
  AT: 'EUR',
  FR: 'EUR',
  NL: 'EUR',
  BE: 'EUR',
  LU: 'EUR',
  ES: 'EUR',
  IT: 'EUR',
  PT: 'EUR',
  IE: 'EUR',
  FI: 'EUR',
  GR: 'EUR',
  CH: 'CHF',
  GB: 'GBP',
  US: 'USD',
  CA: 'CAD',
  AU: 'AUD',
  NZ: 'NZD',
  SG: 'SGD',
  HK: 'HKD',
  SE: 'SEK',
  NO: 'NOK',
  DK: 'DKK',
  PL: 'PLN',
  CZ: 'CZK',
  HU: 'HUF',
  JP: 'JPY',
  CN: 'CNY',
  ID: 'IDR',
  TH: 'THB',
  PH: 'PHP',
  MX: 'MXN',
  BR: 'BRL',
  ZA: 'ZAR',
};

/** Countries that write numeric dates month first. */
export const MONTH_FIRST_COUNTRIES = new Set(['US', 'PH']);
