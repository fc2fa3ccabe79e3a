import type { Category, Subcategory } from '@autod/core';

/**
 * Document-type classification by keyword evidence. Each type lists weighted patterns; a pattern
 * counts at most twice, and a hit in the first lines (the heading area) counts 1.5 times. The
 * type with the highest score wins when it reaches {@link MIN_TYPE_SCORE}.
 */
export interface DocTypeRule {
  /** Stable key, e.g. `utility_bill`. */
  key: string;
  /** Free-text `doc_type` written to the metadata, e.g. "utility bill". */
  docType: string;
  category: Category;
  subcategory: Subcategory;
  /** Whether a payable total is expected (drives amount_due and "Pay ..." action items). */
  payable: boolean;
  /** Whether the document normally has one headline amount, so the largest amount may stand in for an unlabelled total. */
  amountExpected: boolean;
  patterns: readonly (readonly [RegExp, number])[];
}

export const MIN_TYPE_SCORE = 2.5;

/** Money handed over at a till, then the change given back: a payment made, not requested. */
const PAID_AT_TILL =
  /\b(?:cash|tunai|bar|bargeld|esp[eè]ces|efectivo|contanti|dinheiro|contant)\b[\s\S]{0,200}?\b(?:change|baki|r[üu]ckgeld|wechselgeld|monnaie(?: rendue)?|cambio|resto|troco|wisselgeld)\b/i;

/**
 * What a till prints around a payment made there and then: a tender line with its amount (cash, card), the change
 * with its amount, the cashier or terminal, a farewell. Two of them make a slip that calls itself an invoice a receipt.
 */
const POINT_OF_SALE_CUES: readonly RegExp[] = [
  /\b(?:cash|tunai|bar|card|credit card|debit|visa|master(?:card)?|amex)\b[^\n]{0,30}?\d+[.,]\d{2}/i,
  /\b(?:change|baki|r[üu]ckgeld|wechselgeld|monnaie rendue|cambio|troco|wisselgeld)\b[^\n]{0,30}?\d+[.,]\d{2}/i,
  /\b(?:cashier|kasir|terminal|counter|till|kasse)\b/i,
  /\b(?:thank you|terima kasih|vielen dank|merci|gracias|grazie|obrigado|dank u)\b|\bcome again\b|\bsee you\b/i,
];

/** What only a bill asks for: a due date, terms, where to pay. */
const REQUESTS_PAYMENT =
  /\b(?:due date|date due|payment (?:terms|due)|pay(?:able)? (?:by|within|before|until)|bill(?:ed)? to|iban|swift|bic|remit(?:tance)?|f[äa]llig|zahlbar|zahlungsziel|[ée]ch[ée]ance)\b/i;

const HEAD_LINES = 6;

const FIN = 'Financial & Administrative';

export const DOC_TYPE_RULES: readonly DocTypeRule[] = [
  {
    key: 'invoice',
    docType: 'invoice',
    category: FIN,
    subcategory: 'Invoices',
    payable: true,
    amountExpected: true,
    patterns: [
      [/\b(?:tax )?invoice\b/i, 3],
      [/\binvoice\s*(?:number|no\b|#|nr\b|date)/i, 2],
      [
        /(?:\b|handels|schluss|teil|ab)(?:rechnung|rechnungsnummer|facture|factura|factuur|fattura|fatura|faktura|invois|gutschrift|credit note|avoir|creditnota)\b/i,
        3,
      ],
      [
        /\b(?:rechnungs(?:nummer|datum|betrag|empfänger|steller)|factuur(?:nummer|datum|bedrag)|num[ée]ro de facture|date de facture|n[º°o]\.?\s?(?:de )?factura|numero fattura|n\.\s?fattura|n[º°]\s?(?:da )?fatura|no\.?\s?invois)\b/i,
        2,
      ],
      [
        /\bbill(?:ed)? to\b|\bsold to\b|\bship to\b|\brechnungsempfänger|\bfactur[ée] à|\bklant\b|\bcliente\b|\bspett\.?le\b/i,
        1.5,
      ],
      [/\b(?:mwst|ust-?id\w*|umsatzsteuer|tva|btw|vat (?:reg\w*|no|number)|p\.?\s?iva|nif|cif)\b/i, 1],
      [/\b(?:qty|quantity|unit price|line total|description\s+amount)\b/i, 1],
      [/\bpayment terms\b|\bnet \d{1,2}\b|\bremit(?:tance)?\b|\bpurchase order\b|\bP\.?O\.? (?:number|no|#)/i, 1],
      [/\bhourly rate\b|\bhours\b|\bconsulting\b|\bservices rendered\b/i, 0.5],
    ],
  },
  {
    key: 'receipt',
    docType: 'receipt',
    category: FIN,
    subcategory: 'Receipts',
    payable: false,
    amountExpected: true,
    patterns: [
      [/\b(?:sales |payment |purchase )?receipt\b/i, 3],
      [
        /\b(?:quittung|kassenbon|kassenbeleg|reçu|recibo|ticket de caisse|scontrino|documento commerciale|resit|kvitto|kassabon|bon de caisse)\b/i,
        3,
      ],
      [
        /\b(?:tunai|baki|jumlah|terima kasih|rückgeld|gegeben|geg\. bar|monnaie rendue|wisselgeld|cambio|resto|troco|change)\b/i,
        1,
      ],
      [
        /\b(?:vielen dank für ihren einkauf|merci de votre visite|grazie e arrivederci|bedankt voor uw (?:aankoop|bezoek)|gracias por su (?:compra|visita)|obrigado pela (?:sua )?(?:preferência|visita)|sila datang lagi)\b/i,
        2,
      ],
      [/\bthank you for (?:your (?:purchase|order|visit)|shopping)\b/i, 2],
      // What a till prints: a farewell, the money handed over and the change given back, cash rounding.
      [/\b(?:please come again|(?:please )?visit (?:us )?again|see you (?:again|soon))\b/i, 2],
      [PAID_AT_TILL, 2],
      [/\b(?:rounding(?: adj(?:ustment)?)?|round(?:ed)? off|rundung)\b/i, 1],
      [
        /\b(?:cashier|register|terminal|change due|cash tendered|paid with|card ending|auth(?:orization)? code|approved)\b/i,
        1.5,
      ],
      [/\b(?:order (?:number|no|#)|transaction (?:id|number))\b/i, 0.5],
      [
        /\b(?:order total|order summary|order placed|order confirmation|bestellübersicht|récapitulatif de (?:la )?commande)\b/i,
        1.5,
      ],
      [/\b(?:server|table \d+|guests?|covers|tip|gratuity|pax)\b/i, 1],
      [/\b(?:store|shop|market|restaurant|café|cafe)\b/i, 0.5],
    ],
  },
  {
    key: 'utility_bill',
    docType: 'utility bill',
    category: FIN,
    subcategory: 'Utilities',
    payable: true,
    amountExpected: true,
    patterns: [
      [
        /\b(?:electricity|electric|kwh|natural gas|gas usage|water|sewer|wastewater|meter|energy|utilit(?:y|ies)|therms?|power)\b/i,
        1.5,
      ],
      [/\b(?:meter reading|previous reading|current reading|usage|consumption)\b/i, 1.5],
      [
        /\b(?:strom|stromrechnung|gasrechnung|jahresabrechnung|wasser|zählerstand|électricité|électrique|gaz naturel|eau potable|electricidad|factura de (?:la )?luz|suministro|bolletta|luce e gas|fornitura|energia elettrica|jaarnota|jaarafrekening|energierekening|stroom|fatura da (?:luz|água)|eletricidade|bil elektrik|tnb)\b/i,
        2.5,
      ],
      [
        /\b(?:service address|service period|billing period|current charges|previous balance|payment received|periodo di fornitura|leveringsperiode|abrechnungszeitraum|période de consommation)\b/i,
        1,
      ],
      [/\b(?:bill|bolletta)\b/i, 1],
    ],
  },
  {
    key: 'telecom_bill',
    docType: 'phone bill',
    category: FIN,
    subcategory: 'Telecom',
    payable: true,
    amountExpected: true,
    patterns: [
      [
        /\b(?:wireless|mobile|cellular|phone|internet|broadband|fib(?:er|re)|cable tv|telecom(?:munications)?|isp)\b/i,
        1.5,
      ],
      [/\b(?:data usage|minutes|texts|sms|roaming|gb used|line \d|plan charges|monthly plan|unlimited)\b/i, 1.5],
      [/\b(?:mobilfunk|handyrechnung|telefonrechnung|forfait mobile)\b/i, 2.5],
      [/\bbill\b/i, 1],
    ],
  },
  {
    key: 'bank_statement',
    docType: 'bank statement',
    category: FIN,
    subcategory: 'Banking',
    payable: false,
    amountExpected: true,
    patterns: [
      [/\b(?:bank|account) statement\b/i, 3],
      [/\b(?:opening|closing|beginning|ending|starting) balance\b/i, 2.5],
      [/\b(?:deposits?|withdrawals?|direct debit|standing order|atm|transfer(?:s)? (?:in|out))\b/i, 1],
      [/\b(?:checking|savings|current account|routing number)\b/i, 1.5],
      [/\b(?:iban|bic|swift)\b/i, 0.5],
      [
        /\b(?:kontoauszug|relevé de compte|extracto bancario|extracto de cuenta|rekeningafschrift|dagafschrift|estratto conto|extrato bancário|penyata akaun)\b/i,
        3,
      ],
      [/\bbank\b/i, 1],
    ],
  },
  {
    key: 'credit_card_statement',
    docType: 'credit card statement',
    category: FIN,
    subcategory: 'Banking',
    payable: true,
    amountExpected: true,
    patterns: [
      [/\bcredit card\b|\b(?:visa|mastercard|amex|american express|discover) (?:card|account)\b/i, 2.5],
      [/\bminimum (?:payment|amount) due\b/i, 2.5],
      [/\b(?:credit limit|available credit|cash advance|annual percentage rate|apr)\b/i, 2],
      [/\b(?:new balance|statement balance|previous balance|purchases)\b/i, 1],
      [/\bstatement\b/i, 0.5],
    ],
  },
  {
    key: 'tax_document',
    docType: 'tax form',
    category: FIN,
    subcategory: 'Taxes',
    payable: false,
    amountExpected: true,
    patterns: [
      [
        /\bform\s+(?:W-?2|1099(?:-[A-Z]+)?|1040(?:-?[A-Z]+)?|1098|W-?9|W-?4)\b|\bW-2\b|\b1099-(?:MISC|NEC|INT|DIV|B|R|K|G)\b/i,
        4,
      ],
      [/\b(?:wage and tax statement|tax return|tax assessment|tax statement|tax notice|notice of assessment)\b/i, 4],
      [/\b(?:internal revenue service|IRS|HMRC|tax office|department of revenue|revenue agency)\b/i, 2.5],
      [
        /\b(?:tax year|taxable income|federal income tax|withheld|social security wages|medicare|adjusted gross income|refund)\b/i,
        1.5,
      ],
      [
        /\b(?:steuerbescheid|steuererklärung|einkommensteuer|finanzamt|avis d'imposition|impôt sur le revenu|declaración de la renta|hacienda)\b/i,
        4,
      ],
      [/\b(?:employer identification number|EIN|SSN|TIN|taxpayer)\b/i, 1],
    ],
  },
  {
    key: 'insurance_policy',
    docType: 'insurance policy',
    category: FIN,
    subcategory: 'Insurance',
    payable: false,
    amountExpected: true,
    patterns: [
      [/\binsurance\b|\binsurer\b|\bassurance\b|\bversicherung\b|\bseguro\b/i, 1.5],
      [
        /\bpolicy\s*(?:number|no\b|#|nr\b)|\bpolicy (?:period|term|holder|schedule|documents?)\b|\bpolicyholder\b/i,
        2.5,
      ],
      [/\b(?:declarations? page|certificate of insurance|renewal notice|policy renewal)\b/i, 3],
      [
        /\b(?:premium|coverage|covered|deductible|insured|liability|limits? of liability|beneficiary|endorsement)\b/i,
        1.5,
      ],
      [/\bpolicy\b/i, 1],
    ],
  },
  {
    key: 'insurance_claim',
    docType: 'explanation of benefits',
    category: FIN,
    subcategory: 'Insurance',
    payable: false,
    amountExpected: true,
    patterns: [
      [/\bexplanation of benefits\b|\bEOB\b/i, 4],
      [/\bclaim\s*(?:number|no\b|#|status|decision)\b/i, 2.5],
      [/\b(?:amount billed|allowed amount|plan paid|patient responsibility|you may owe)\b/i, 2],
      [/\bthis is not a bill\b/i, 2],
    ],
  },
  {
    key: 'payslip',
    docType: 'payslip',
    category: 'Business & Professional',
    subcategory: 'Payroll',
    payable: false,
    amountExpected: true,
    patterns: [
      [
        /\b(?:pay ?slip|pay stub|paystub|earnings statement|salary statement|pay statement|wage statement|pay advice)\b/i,
        4,
      ],
      [/\b(?:gross pay|net pay|gross earnings|net earnings|take[- ]home pay|gross salary|net salary)\b/i, 2.5],
      [/\b(?:year to date|ytd|pay period|pay date|regular hours|overtime|hourly rate)\b/i, 1.5],
      [/\b(?:employee (?:id|number|no)|employer|payroll)\b/i, 1.5],
      [/\b(?:deductions|federal withholding|state tax|401\(?k\)?|social security|medicare)\b/i, 1],
      [
        /\b(?:gehaltsabrechnung|lohnabrechnung|entgeltabrechnung|bulletin de (?:paie|salaire)|nómina|recibo de nómina)\b/i,
        4,
      ],
    ],
  },
  {
    key: 'loan_statement',
    docType: 'loan statement',
    category: FIN,
    subcategory: 'Loans & Mortgages',
    payable: true,
    amountExpected: true,
    patterns: [
      [/\bmortgage\b|\bhome loan\b|\bauto loan\b|\bstudent loan\b|\bpersonal loan\b/i, 2.5],
      [/\bloan\s*(?:number|no\b|#|statement|account)\b/i, 2.5],
      [/\b(?:principal|escrow|interest rate|outstanding principal|amortization|payoff amount|late charge)\b/i, 1.5],
      [/\b(?:darlehen|kredit|hypothek|prêt|préstamo|hipoteca)\b/i, 2.5],
    ],
  },
  {
    key: 'investment_statement',
    docType: 'investment statement',
    category: FIN,
    subcategory: 'Investments',
    payable: false,
    amountExpected: true,
    patterns: [
      [/\b(?:brokerage|investment|portfolio|retirement account|ira|401\(?k\)? statement)\b/i, 2],
      [
        /\b(?:dividends?|securities|holdings|shares|mutual funds?|etf|stocks?|bonds?|market value|unrealized|capital gains?)\b/i,
        1.5,
      ],
      [/\b(?:depotauszug|wertpapier|portefeuille)\b/i, 3],
    ],
  },
  {
    key: 'medical',
    docType: 'medical record',
    category: 'Personal & Family',
    subcategory: 'Medical',
    payable: false,
    amountExpected: true,
    patterns: [
      [
        /\b(?:patient|diagnosis|physician|doctor|dr\.|clinic|hospital|medical|lab(?:oratory)? results?|prescription|treatment|dental|pharmacy)\b/i,
        1.5,
      ],
      [/\b(?:date of birth|dob|visit|appointment|referral|blood pressure|vaccination|immuni[sz]ation)\b/i, 1],
      [/\b(?:arzt|krankenhaus|befund|médecin|ordonnance|médico|receta)\b/i, 2],
    ],
  },
  {
    key: 'lease',
    docType: 'lease agreement',
    category: 'Property & Assets',
    subcategory: 'Property Management',
    payable: false,
    amountExpected: false,
    patterns: [
      [
        /\b(?:lease agreement|rental agreement|tenancy agreement|residential lease|mietvertrag|contrat de location|contrato de arrendamiento)\b/i,
        4,
      ],
      [/\b(?:landlord|tenant|lessor|lessee|premises|security deposit|monthly rent|rent)\b/i, 1.5],
      [/\b(?:property management|hoa|homeowners association|property tax)\b/i, 1.5],
    ],
  },
  {
    key: 'contract',
    docType: 'contract',
    category: 'Legal & Government',
    subcategory: 'Legal',
    payable: false,
    amountExpected: false,
    patterns: [
      [/\b(?:agreement|contract|terms and conditions|vertrag|contrat|contrato)\b/i, 1.5],
      [/\b(?:hereby|whereas|parties|party|governing law|termination|witness whereof|signature|signed)\b/i, 1],
      [/\b(?:attorney|court|lawsuit|plaintiff|defendant|legal notice|subpoena|summons|notary)\b/i, 2],
    ],
  },
  {
    key: 'government_notice',
    docType: 'government notice',
    category: 'Legal & Government',
    subcategory: 'Government',
    payable: false,
    amountExpected: false,
    patterns: [
      [
        /\b(?:department of|ministry of|city of|county of|state of|municipality|government|federal|dmv|social security administration|passport|visa application|jury)\b/i,
        1.5,
      ],
      [
        /\b(?:official notice|notice of|citation|permit|license renewal|registration|benefits? (?:notice|decision))\b/i,
        1.5,
      ],
      [/\b(?:behörde|bürgeramt|stadtverwaltung|préfecture|mairie|ayuntamiento)\b/i, 2.5],
    ],
  },
  {
    key: 'subscription',
    docType: 'subscription notice',
    category: 'Household & Lifestyle',
    subcategory: 'Subscriptions',
    payable: false,
    amountExpected: false,
    patterns: [
      [/\b(?:subscription|membership|your plan|renews? on|auto-?renew(?:al)?|billing cycle|streaming)\b/i, 2],
      [/\b(?:abonnement|abo|suscripción)\b/i, 2.5],
    ],
  },
  {
    key: 'travel',
    docType: 'travel itinerary',
    category: 'Personal & Family',
    subcategory: 'Travel',
    payable: false,
    amountExpected: false,
    patterns: [
      [
        /\b(?:itinerary|boarding pass|e-?ticket|flight|departure|arrival|booking (?:reference|confirmation)|reservation|check-in|hotel|gate|seat)\b/i,
        1.5,
      ],
      [/\b(?:reiseplan|buchungsbestätigung|réservation|vol|reserva|vuelo)\b/i, 2],
    ],
  },
  {
    key: 'vehicle',
    docType: 'vehicle document',
    category: 'Property & Assets',
    subcategory: 'Vehicle',
    payable: false,
    amountExpected: false,
    patterns: [
      [
        /\b(?:vehicle|VIN|license plate|licence plate|odometer|registration renewal|title certificate|car|automobile|motor)\b/i,
        1.5,
      ],
      [/\b(?:oil change|service history|repair order|tire|brake|mileage)\b/i, 1.5],
      [/\b(?:fahrzeug|kfz|véhicule|vehículo)\b/i, 2.5],
    ],
  },
  {
    key: 'education',
    docType: 'education document',
    category: 'Personal & Family',
    subcategory: 'Education',
    payable: false,
    amountExpected: false,
    patterns: [
      [
        /\b(?:tuition|school|university|college|transcript|semester|enrollment|enrolment|student|course|grade|diploma)\b/i,
        1.5,
      ],
      [/\b(?:schule|universität|école|université|escuela|universidad)\b/i, 2],
    ],
  },
  {
    key: 'hr',
    docType: 'employment letter',
    category: 'Business & Professional',
    subcategory: 'HR',
    payable: false,
    amountExpected: false,
    patterns: [
      [
        /\b(?:offer letter|employment (?:contract|agreement|verification)|job offer|position of|start date|probation|human resources|onboarding|performance review|termination of employment)\b/i,
        2.5,
      ],
      [/\b(?:arbeitsvertrag|contrat de travail|contrato de trabajo)\b/i, 3],
    ],
  },
  {
    key: 'letter',
    docType: 'letter',
    category: 'Personal & Family',
    subcategory: 'Misc',
    payable: false,
    amountExpected: false,
    patterns: [
      [/^\s*(?:dear|hello|hi)\b/im, 2.5],
      [/\b(?:sincerely|kind regards|best regards|yours truly|yours faithfully|warm regards|respectfully)\b/i, 2.5],
      [
        /\b(?:this letter|we are writing|i am writing|we write to|please (?:respond|reply|contact us)|enclosed)\b/i,
        1.5,
      ],
      [
        /\b(?:sehr geehrte|mit freundlichen grüßen|madame, monsieur|cordialement|veuillez agréer|estimad[oa]s?|atentamente)\b/i,
        2,
      ],
      [/\bre:\s/i, 1],
    ],
  },
];

const GLOBALS = new Map<RegExp, RegExp>();
function globalOf(pattern: RegExp): RegExp {
  let g = GLOBALS.get(pattern);
  if (!g) {
    g = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
    GLOBALS.set(pattern, g);
  }
  return g;
}

export interface Classification {
  rule: DocTypeRule | undefined;
  score: number;
  runnerUp: number;
  /** Patterns that matched for the winner (source text, for evidence). */
  hits: string[];
}

/** Score every document type against `text`; `head` is the first lines (heading area). */
export function classify(text: string, head: string): Classification {
  let best: { rule: DocTypeRule; score: number; hits: string[] } | undefined;
  let runnerUp = 0;
  for (const rule of DOC_TYPE_RULES) {
    let score = 0;
    const hits: string[] = [];
    for (const [pattern, weight] of rule.patterns) {
      // Only the first match and whether there is a second count: at most two are looked for.
      const global = globalOf(pattern);
      global.lastIndex = 0;
      const first = global.exec(text);
      if (!first) continue;
      if (first[0].length === 0) global.lastIndex++;
      const count = global.exec(text) ? 2 : 1;
      const inHead = pattern.test(head);
      score += weight * count * (inHead ? 1.5 : 1);
      hits.push(first[0]);
    }
    if (!best || score > best.score) {
      if (best) runnerUp = Math.max(runnerUp, best.score);
      best = { rule, score, hits };
    } else {
      runnerUp = Math.max(runnerUp, score);
    }
  }
  if (!best || best.score < MIN_TYPE_SCORE) return { rule: undefined, score: best?.score ?? 0, runnerUp, hits: [] };
  // A till's "(simplified) tax invoice" records a payment made there and then and asks for nothing: a receipt,
  // however it titles itself.
  if (best.rule.key === 'invoice' && !REQUESTS_PAYMENT.test(text)) {
    const cues = POINT_OF_SALE_CUES.map((c) => c.exec(text)?.[0]).filter((m): m is string => m !== undefined);
    const receipt = DOC_TYPE_RULES.find((r) => r.key === 'receipt');
    if (receipt && cues.length >= 2)
      return {
        rule: receipt,
        score: best.score,
        runnerUp: Math.max(runnerUp, best.score / 2),
        hits: [...cues, ...best.hits],
      };
  }
  return { rule: best.rule, score: best.score, runnerUp, hits: best.hits };
}

/** First `n` non-empty lines joined, the "heading area" used for the head bonus. */
export function headOf(text: string, n = HEAD_LINES): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    out.push(line);
    if (out.length >= n) break;
  }
  return out.join('\n');
}

const STOPWORDS: Record<string, readonly string[]> = {
  en: [
    'the',
    'and',
    'of',
    'to',
    'for',
    'your',
    'you',
    'is',
    'are',
    'this',
    'with',
    'please',
    'from',
    'be',
    'by',
    'due',
    'our',
    'we',
    'thank',
    'payment',
    'invoice',
  ],
  de: [
    'der',
    'die',
    'das',
    'und',
    'ist',
    'nicht',
    'mit',
    'für',
    'sie',
    'ihre',
    'bitte',
    'betrag',
    'datum',
    'von',
    'zu',
    'den',
    'dem',
    'des',
    'wir',
    'rechnung',
  ],
  fr: [
    'le',
    'la',
    'les',
    'et',
    'est',
    'des',
    'pour',
    'vous',
    'votre',
    'une',
    'du',
    'au',
    'montant',
    'avec',
    'sur',
    'nous',
    'par',
    'aux',
    'facture',
    'facturé',
    'échéance',
    'payer',
    'merci',
  ],
  es: [
    'el',
    'los',
    'las',
    'y',
    'es',
    'para',
    'su',
    'una',
    'del',
    'con',
    'por',
    'importe',
    'fecha',
    'usted',
    'que',
    'al',
    'sus',
    'factura',
  ],
  nl: [
    'het',
    'een',
    'van',
    'voor',
    'met',
    'op',
    'uw',
    'wij',
    'niet',
    'te',
    'aan',
    'bij',
    'betalen',
    'factuur',
    'totaal',
    'bedrag',
    'datum',
    'klant',
    'dagen',
    'bedankt',
    'tot',
    'ziens',
    'kassa',
    'bon',
  ],
  it: [
    'il',
    'lo',
    'di',
    'per',
    'della',
    'delle',
    'che',
    'non',
    'sono',
    'totale',
    'importo',
    'fattura',
    'pagamento',
    'gli',
    'nel',
    'alla',
  ],
  pt: [
    'os',
    'do',
    'da',
    'dos',
    'das',
    'não',
    'em',
    'valor',
    'fatura',
    'pagamento',
    'obrigado',
    'uma',
    'ao',
    'pelo',
    'taxa',
    'troco',
    'contribuinte',
    'numerário',
    'obrigada',
    'incluído',
  ],
  ms: [
    'dan',
    'yang',
    'untuk',
    'ke',
    'dari',
    'jumlah',
    'tunai',
    'baki',
    'terima',
    'kasih',
    'barang',
    'tidak',
    'boleh',
    'ini',
    'sila',
    'tarikh',
  ],
};

/** ISO 639-1 code (en/de/fr/es/nl/it/pt/ms) by stop-word counts; null when the text gives too little evidence. */
export function detectLanguage(text: string): string | null {
  const words = text.toLowerCase().match(/\p{L}+/gu);
  if (!words || words.length < 3) return null;
  const counts = new Map<string, number>();
  for (const w of words.slice(0, 3000)) counts.set(w, (counts.get(w) ?? 0) + 1);
  let best: string | null = null;
  let bestScore = 0;
  let second = 0;
  for (const [lang, list] of Object.entries(STOPWORDS)) {
    const score = list.reduce((sum, w) => sum + (counts.get(w) ?? 0), 0);
    if (score > bestScore) {
      second = bestScore;
      bestScore = score;
      best = lang;
    } else if (score > second) second = score;
  }
  if (bestScore < 2 || bestScore < second * 1.2) return null;
  return best;
}
