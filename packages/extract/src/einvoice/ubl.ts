/**
 * OASIS UBL 2.x invoices and credit notes (XRechnung UBL, Peppol BIS Billing 3.0, plain EN 16931 UBL), read by
 * local element names (`cbc:`/`cac:` prefixes or default namespaces alike).
 */
import type {
  EInvoice,
  EInvoiceAddress,
  EInvoiceLine,
  EInvoiceParty,
  EInvoiceSources,
  EInvoiceTaxLine,
} from './model.js';
import {
  EMPTY_PARTY,
  dueDateFromTerms,
  isoFromXmlDate,
  normaliseBic,
  normaliseIban,
  source,
  termText,
} from './party.js';
import { all, attr, child, children, decimal, multilineText, text, type XmlNode } from './xml.js';

function address(node: XmlNode | undefined): EInvoiceAddress | null {
  if (!node) return null;
  const lines = [
    text(child(node, 'StreetName')),
    text(child(node, 'AdditionalStreetName')),
    ...all(node, 'AddressLine', 'Line').map((l) => text(l)),
  ].filter((l): l is string => l !== null);
  const a: EInvoiceAddress = {
    lines,
    postcode: text(child(node, 'PostalZone')),
    city: text(child(node, 'CityName')),
    region: text(child(node, 'CountrySubentity')),
    countryCode: text(child(node, 'Country', 'IdentificationCode'))?.toUpperCase() ?? null,
  };
  return a.lines.length > 0 || a.postcode || a.city || a.countryCode ? a : null;
}

function party(node: XmlNode | undefined): EInvoiceParty {
  if (!node) return { ...EMPTY_PARTY };
  let vatId: string | null = null;
  let taxNumber: string | null = null;
  for (const scheme of children(node, 'PartyTaxScheme')) {
    const id = text(child(scheme, 'CompanyID'));
    if (!id) continue;
    const kind = text(child(scheme, 'TaxScheme', 'ID'))?.toUpperCase();
    if (kind === 'VAT') vatId ??= id;
    else taxNumber ??= id;
  }
  const legal = child(node, 'PartyLegalEntity');
  const registration = text(child(legal, 'RegistrationName'));
  const partyName = text(child(node, 'PartyName', 'Name'));
  const name = registration ?? partyName;
  const contact = child(node, 'Contact');
  return {
    name,
    tradingName: partyName && partyName !== name ? partyName : null,
    vatId,
    taxNumber,
    legalId: text(child(legal, 'CompanyID')),
    address: address(child(node, 'PostalAddress')),
    contactName: text(child(contact, 'Name')),
    phone: text(child(contact, 'Telephone')),
    email: text(child(contact, 'ElectronicMail')),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function lineItem(line: XmlNode, credit: boolean): EInvoiceLine {
  const qty = child(line, credit ? 'CreditedQuantity' : 'InvoicedQuantity') ?? child(line, 'InvoicedQuantity');
  const item = child(line, 'Item');
  const price = decimal(child(line, 'Price', 'PriceAmount'));
  const base = decimal(child(line, 'Price', 'BaseQuantity'));
  const id = text(child(line, 'ID'));
  const description =
    text(child(item, 'Name')) ?? text(child(item, 'Description')) ?? text(child(line, 'Note')) ?? `Line ${id ?? '?'}`;
  return {
    id,
    description: description.slice(0, 512),
    quantity: decimal(qty),
    unitCode: attr(qty, 'unitCode'),
    unitPrice: price !== null && base !== null && base > 0 && base !== 1 ? round(price / base, 6) : price,
    amount: decimal(child(line, 'LineExtensionAmount')),
  };
}

/** Read a UBL invoice (root `Invoice`) or credit note (root `CreditNote`). */
export function readUbl(root: XmlNode, rootName: string): EInvoice {
  const credit = rootName === 'CreditNote';
  const profile = text(child(root, 'CustomizationID'));
  const number = text(child(root, 'ID'));
  const typeCode = text(child(root, credit ? 'CreditNoteTypeCode' : 'InvoiceTypeCode')) ?? (credit ? '381' : '380');
  const issueDate = isoFromXmlDate(text(child(root, 'IssueDate')));
  const currency = text(child(root, 'DocumentCurrencyCode'))?.toUpperCase() ?? null;
  const means = children(root, 'PaymentMeans');

  const termTexts = all(root, 'PaymentTerms', 'Note')
    .map((n) => termText(text(n), null))
    .filter((t): t is string => t !== null);
  const paymentTerms = termTexts.length > 0 ? termTexts.join('; ').slice(0, 512) : null;
  let dueDate = isoFromXmlDate(text(child(root, 'DueDate')));
  let dueSource = 'cbc:DueDate';
  if (dueDate === null) {
    // UBL 2.1 credit notes carry the date in PaymentMeans.
    const dates = means
      .map((m) => isoFromXmlDate(text(child(m, 'PaymentDueDate'))))
      .filter((d): d is string => d !== null)
      .sort();
    dueDate = dates.at(-1) ?? null;
    dueSource = 'cac:PaymentMeans/cbc:PaymentDueDate';
  }
  let dueFromTerms = false;
  if (dueDate === null) {
    dueDate = dueDateFromTerms(paymentTerms, issueDate);
    dueFromTerms = dueDate !== null;
    dueSource = 'cac:PaymentTerms/cbc:Note';
  }

  const ibans = [
    ...new Set(
      means
        .map((m) => normaliseIban(text(child(m, 'PayeeFinancialAccount', 'ID'))))
        .filter((v): v is string => v !== null),
    ),
  ];
  const bic =
    means
      .map((m) => normaliseBic(text(child(m, 'PayeeFinancialAccount', 'FinancialInstitutionBranch', 'ID'))))
      .find((v) => v !== null) ?? null;

  // One TaxTotal per currency; the one in the document currency has the subtotals.
  const taxTotals = children(root, 'TaxTotal');
  const taxTotal =
    taxTotals.find((t) => currency !== null && attr(child(t, 'TaxAmount'), 'currencyID')?.toUpperCase() === currency) ??
    taxTotals[0];
  const taxLines: EInvoiceTaxLine[] = children(taxTotal, 'TaxSubtotal').map((s) => ({
    rate: decimal(child(s, 'TaxCategory', 'Percent')),
    category: text(child(s, 'TaxCategory', 'ID')),
    net: decimal(child(s, 'TaxableAmount')),
    tax: decimal(child(s, 'TaxAmount')),
  }));

  const sums = child(root, 'LegalMonetaryTotal');
  const totals = {
    lineTotal: decimal(child(sums, 'LineExtensionAmount')),
    allowanceTotal: decimal(child(sums, 'AllowanceTotalAmount')),
    chargeTotal: decimal(child(sums, 'ChargeTotalAmount')),
    net: decimal(child(sums, 'TaxExclusiveAmount')),
    tax: decimal(child(taxTotal, 'TaxAmount')),
    gross: decimal(child(sums, 'TaxInclusiveAmount')),
    prepaid: decimal(child(sums, 'PrepaidAmount')),
    due: decimal(child(sums, 'PayableAmount')),
  };

  const seller = party(child(root, 'AccountingSupplierParty', 'Party'));
  const buyer = party(child(root, 'AccountingCustomerParty', 'Party'));
  const payeeNode = child(root, 'PayeeParty');
  const orderNumber = text(child(root, 'OrderReference', 'ID'));
  const period = child(root, 'InvoicePeriod');
  const notes = children(root, 'Note')
    .map((n) => multilineText(n))
    .filter((n): n is string => n !== null);
  const lines = children(root, credit ? 'CreditNoteLine' : 'InvoiceLine').map((l) => lineItem(l, credit));

  const sources: EInvoiceSources = {
    number: source('cbc:ID', number),
    issueDate: source('cbc:IssueDate', issueDate),
    dueDate: source(dueSource, dueFromTerms ? paymentTerms : dueDate),
    currency: source('cbc:DocumentCurrencyCode', currency),
    seller: source('cac:AccountingSupplierParty/cac:Party', seller.name),
    buyer: source('cac:AccountingCustomerParty/cac:Party', buyer.name),
    gross: source('cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount', totals.gross),
    due: source('cac:LegalMonetaryTotal/cbc:PayableAmount', totals.due),
    net: source('cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount', totals.net),
    tax: source('cac:TaxTotal/cbc:TaxAmount', totals.tax),
    iban: source('cac:PayeeFinancialAccount/cbc:ID', ibans[0] ?? null),
    paymentTerms: source('cac:PaymentTerms/cbc:Note', paymentTerms),
    orderNumber: source('cac:OrderReference/cbc:ID', orderNumber),
  };

  return {
    syntax: 'ubl',
    flavor: profile !== null && /xrechnung/i.test(profile) ? 'xrechnung-ubl' : 'ubl',
    profile,
    number,
    typeCode,
    issueDate,
    dueDate,
    dueDateFromTerms: dueFromTerms,
    currency,
    seller,
    buyer,
    payee: payeeNode ? party(payeeNode) : null,
    orderNumber,
    buyerReference: text(child(root, 'BuyerReference')),
    paymentReference: means.map((m) => text(child(m, 'PaymentID'))).find((v) => v !== null) ?? null,
    periodStart: isoFromXmlDate(text(child(period, 'StartDate'))),
    periodEnd: isoFromXmlDate(text(child(period, 'EndDate'))),
    deliveryDate: isoFromXmlDate(text(child(root, 'Delivery', 'ActualDeliveryDate'))),
    paymentTerms,
    paymentMeansCodes: means.map((m) => text(child(m, 'PaymentMeansCode'))).filter((c): c is string => c !== null),
    ibans,
    bic,
    totals,
    taxLines,
    lines,
    notes,
    sources,
  };
}
