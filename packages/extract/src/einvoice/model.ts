/** The one typed structure both readers (CII and UBL) produce. Amounts are plain numbers as written in the XML. */

export interface EInvoiceAddress {
  /** Street lines in order (LineOne…/StreetName, AdditionalStreetName, AddressLine). */
  lines: string[];
  postcode: string | null;
  city: string | null;
  /** Country subdivision (state, region). */
  region: string | null;
  /** ISO 3166-1 alpha-2. */
  countryCode: string | null;
}

export interface EInvoiceParty {
  name: string | null;
  /** Trading name when it differs from the legal name. */
  tradingName: string | null;
  /** VAT identifier (CII schemeID `VA`, UBL PartyTaxScheme with TaxScheme `VAT`). */
  vatId: string | null;
  /** Other tax registration (CII schemeID `FC`, a UBL PartyTaxScheme that is not VAT). */
  taxNumber: string | null;
  /** Legal registration id (CII SpecifiedLegalOrganization/ID, UBL PartyLegalEntity/CompanyID). */
  legalId: string | null;
  address: EInvoiceAddress | null;
  contactName: string | null;
  phone: string | null;
  email: string | null;
}

export interface EInvoiceTaxLine {
  /** Percent, e.g. 19 for 19 %. */
  rate: number | null;
  /** UNCL 5305 category, e.g. `S` (standard), `Z`, `E` (exempt), `AE` (reverse charge). */
  category: string | null;
  net: number | null;
  tax: number | null;
}

export interface EInvoiceLine {
  id: string | null;
  description: string;
  quantity: number | null;
  /** UN/ECE rec. 20 unit code, e.g. `C62` (piece), `HUR`, `KGM`. */
  unitCode: string | null;
  /** Net price per (base quantity of) unit. */
  unitPrice: number | null;
  /** Net line amount. */
  amount: number | null;
}

export interface EInvoiceTotals {
  /** Sum of the net line amounts. */
  lineTotal: number | null;
  allowanceTotal: number | null;
  chargeTotal: number | null;
  /** Total without VAT (CII TaxBasisTotalAmount, UBL TaxExclusiveAmount). */
  net: number | null;
  /** Total VAT in the invoice currency. */
  tax: number | null;
  /** Total with VAT (CII GrandTotalAmount, UBL TaxInclusiveAmount). */
  gross: number | null;
  prepaid: number | null;
  /** Amount due for payment (CII DuePayableAmount, UBL PayableAmount). */
  due: number | null;
}

/** Where each headline value was read, as `<element> <value>` (e.g. `ram:GrandTotalAmount 197.65`). */
export type EInvoiceSources = Partial<
  Record<
    | 'number'
    | 'issueDate'
    | 'dueDate'
    | 'currency'
    | 'seller'
    | 'buyer'
    | 'gross'
    | 'due'
    | 'net'
    | 'tax'
    | 'iban'
    | 'paymentTerms'
    | 'orderNumber',
    string | undefined
  >
>;

/** Which dialect the XML is: decides the provider's model name. */
export type EInvoiceFlavor = 'factur-x' | 'zugferd-1' | 'xrechnung-cii' | 'xrechnung-ubl' | 'ubl';

export interface EInvoice {
  syntax: 'cii' | 'ubl';
  flavor: EInvoiceFlavor;
  /** Guideline / customization id (CII GuidelineSpecifiedDocumentContextParameter, UBL CustomizationID). */
  profile: string | null;
  /** Invoice number (BT-1). */
  number: string | null;
  /** UNTDID 1001 document type code (BT-3): 380 invoice, 381 credit note, 384 corrected, 389 self-billed … */
  typeCode: string | null;
  /** YYYY-MM-DD */
  issueDate: string | null;
  /** YYYY-MM-DD: the payment due date (the latest one when several payment terms carry one). */
  dueDate: string | null;
  /** Whether `dueDate` came from a date written inside the payment terms text rather than a date element. */
  dueDateFromTerms: boolean;
  /** ISO 4217 invoice currency. */
  currency: string | null;
  seller: EInvoiceParty;
  buyer: EInvoiceParty;
  /** Payee when it differs from the seller. */
  payee: EInvoiceParty | null;
  /** Buyer's purchase order reference. */
  orderNumber: string | null;
  /** Buyer reference (Leitweg-ID in XRechnung). */
  buyerReference: string | null;
  paymentReference: string | null;
  /** Billing period, YYYY-MM-DD. */
  periodStart: string | null;
  periodEnd: string | null;
  deliveryDate: string | null;
  paymentTerms: string | null;
  /** UNTDID 4461 payment means codes, e.g. `58` SEPA credit transfer, `59` SEPA direct debit. */
  paymentMeansCodes: string[];
  /** Credit transfer accounts, IBANs without spaces (upper case). */
  ibans: string[];
  bic: string | null;
  totals: EInvoiceTotals;
  taxLines: EInvoiceTaxLine[];
  lines: EInvoiceLine[];
  /** Free-text notes of the document. */
  notes: string[];
  sources: EInvoiceSources;
}

/** UNTDID 1001 codes of credit notes (the amounts are credited, nothing is to be paid). */
export const CREDIT_NOTE_CODES: ReadonlySet<string> = new Set([
  '81',
  '83',
  '261',
  '262',
  '296',
  '308',
  '381',
  '396',
  '420',
  '458',
  '532',
]);

/** UNTDID 1001 codes of self-billed documents: the buyer issues them on the seller's behalf. */
export const SELF_BILLED_CODES: ReadonlySet<string> = new Set(['389', '261', '527']);

/** UNTDID 4461 codes by which the seller collects the money itself (direct debit, card already charged). */
export const COLLECTED_MEANS_CODES: ReadonlySet<string> = new Set(['49', '59', '48', '54', '55']);

/** A short English name of the document type, e.g. "corrected invoice". */
export function typeLabel(code: string | null): string {
  switch (code) {
    case '381':
    case '81':
    case '83':
    case '262':
    case '296':
    case '308':
    case '396':
    case '420':
    case '458':
    case '532':
      return 'credit note';
    case '261':
      return 'self-billed credit note';
    case '384':
      return 'corrected invoice';
    case '389':
      return 'self-billed invoice';
    case '326':
      return 'partial invoice';
    case '386':
      return 'prepayment invoice';
    case '383':
    case '527':
      return 'debit note';
    default:
      return 'invoice';
  }
}
