/**
 * UN/CEFACT Cross Industry Invoice: Factur-X / ZUGFeRD 2.x / XRechnung CII (D16B, root `CrossIndustryInvoice`) and
 * ZUGFeRD 1.0 (root `CrossIndustryDocument`, whose aggregates are named `…SupplyChainTrade…` instead of
 * `…HeaderTrade…`/`…LineTrade…`). Both are read by local element names, so any namespace prefix works.
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
import { all, attr, child, children, decimal, first, multilineText, text, type XmlNode } from './xml.js';

function dateOf(node: XmlNode | undefined): string | null {
  // <ram:IssueDateTime><udt:DateTimeString format="102">20180605</udt:DateTimeString></ram:IssueDateTime>
  const s = child(node, 'DateTimeString') ?? child(node, 'DateString');
  return isoFromXmlDate(text(s) ?? text(node));
}

function address(node: XmlNode | undefined): EInvoiceAddress | null {
  if (!node) return null;
  const lines = ['LineOne', 'LineTwo', 'LineThree']
    .map((n) => text(child(node, n)))
    .filter((l): l is string => l !== null);
  const a: EInvoiceAddress = {
    lines,
    postcode: text(child(node, 'PostcodeCode')),
    city: text(child(node, 'CityName')),
    region: text(child(node, 'CountrySubDivisionName')),
    countryCode: text(child(node, 'CountryID'))?.toUpperCase() ?? null,
  };
  return a.lines.length > 0 || a.postcode || a.city || a.countryCode ? a : null;
}

function party(node: XmlNode | undefined): EInvoiceParty {
  if (!node) return { ...EMPTY_PARTY };
  let vatId: string | null = null;
  let taxNumber: string | null = null;
  for (const reg of all(node, 'SpecifiedTaxRegistration', 'ID')) {
    const scheme = attr(reg, 'schemeID')?.toUpperCase();
    const id = text(reg);
    if (!id) continue;
    if (scheme === 'VA') vatId ??= id;
    else taxNumber ??= id;
  }
  const legal = child(node, 'SpecifiedLegalOrganization');
  const contact = child(node, 'DefinedTradeContact');
  const name = text(child(node, 'Name'));
  const trading = text(child(legal, 'TradingBusinessName'));
  return {
    name,
    tradingName: trading && trading !== name ? trading : null,
    vatId,
    taxNumber,
    legalId: text(child(legal, 'ID')),
    address: address(child(node, 'PostalTradeAddress')),
    contactName: text(child(contact, 'PersonName')) ?? text(child(contact, 'DepartmentName')),
    phone: text(child(contact, 'TelephoneUniversalCommunication', 'CompleteNumber')),
    email:
      text(child(contact, 'EmailURIUniversalCommunication', 'URIID')) ??
      text(child(node, 'URIUniversalCommunication', 'URIID')),
  };
}

/** An amount in the invoice currency when the element repeats per currency (TaxTotalAmount with TaxCurrencyCode). */
function amountIn(nodes: XmlNode[], currency: string | null): number | null {
  const inCurrency = nodes.find((n) => currency !== null && attr(n, 'currencyID')?.toUpperCase() === currency);
  const plain = nodes.find((n) => attr(n, 'currencyID') === null);
  return decimal(inCurrency ?? plain ?? nodes[0]);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function lineItem(item: XmlNode, v1: boolean): EInvoiceLine {
  const doc = child(item, 'AssociatedDocumentLineDocument');
  const product = child(item, 'SpecifiedTradeProduct');
  const agreement = child(item, v1 ? 'SpecifiedSupplyChainTradeAgreement' : 'SpecifiedLineTradeAgreement');
  const delivery = child(item, v1 ? 'SpecifiedSupplyChainTradeDelivery' : 'SpecifiedLineTradeDelivery');
  const settlement = child(item, v1 ? 'SpecifiedSupplyChainTradeSettlement' : 'SpecifiedLineTradeSettlement');
  const qty = child(delivery, 'BilledQuantity');
  const net = child(agreement, 'NetPriceProductTradePrice');
  const price = decimal(child(net, 'ChargeAmount'));
  const basis = decimal(child(net, 'BasisQuantity'));
  const unitPrice = price !== null && basis !== null && basis > 0 && basis !== 1 ? round(price / basis, 6) : price;
  const amount = decimal(
    first(
      settlement,
      ['SpecifiedTradeSettlementLineMonetarySummation', 'LineTotalAmount'],
      ['SpecifiedTradeSettlementMonetarySummation', 'LineTotalAmount'],
    ),
  );
  const id = text(child(doc, 'LineID'));
  const description =
    text(child(product, 'Name')) ??
    text(child(product, 'Description')) ??
    text(child(doc, 'IncludedNote', 'Content')) ??
    `Line ${id ?? '?'}`;
  return {
    id,
    description: description.slice(0, 512),
    quantity: decimal(qty),
    unitCode: attr(qty, 'unitCode'),
    unitPrice,
    amount,
  };
}

/** Read a CII document (root element already recognised). */
export function readCii(root: XmlNode, rootName: string): EInvoice {
  const v1 = rootName === 'CrossIndustryDocument';
  const context = child(root, v1 ? 'SpecifiedExchangedDocumentContext' : 'ExchangedDocumentContext');
  const header = child(root, v1 ? 'HeaderExchangedDocument' : 'ExchangedDocument');
  const tx = child(root, v1 ? 'SpecifiedSupplyChainTradeTransaction' : 'SupplyChainTradeTransaction');
  const agreement = child(tx, v1 ? 'ApplicableSupplyChainTradeAgreement' : 'ApplicableHeaderTradeAgreement');
  const delivery = child(tx, v1 ? 'ApplicableSupplyChainTradeDelivery' : 'ApplicableHeaderTradeDelivery');
  const settlement = child(tx, v1 ? 'ApplicableSupplyChainTradeSettlement' : 'ApplicableHeaderTradeSettlement');
  const sums = child(
    settlement,
    v1 ? 'SpecifiedTradeSettlementMonetarySummation' : 'SpecifiedTradeSettlementHeaderMonetarySummation',
  );
  const headerName = v1 ? 'rsm:HeaderExchangedDocument' : 'rsm:ExchangedDocument';
  const sumName = v1
    ? 'ram:SpecifiedTradeSettlementMonetarySummation'
    : 'ram:SpecifiedTradeSettlementHeaderMonetarySummation';

  const profile = text(child(context, 'GuidelineSpecifiedDocumentContextParameter', 'ID'));
  const number = text(child(header, 'ID'));
  const typeCode = text(child(header, 'TypeCode'));
  const issueDate = dateOf(child(header, 'IssueDateTime'));
  const currency = text(child(settlement, 'InvoiceCurrencyCode'))?.toUpperCase() ?? null;

  // Payment terms: every description, and the latest explicit due date.
  const termNodes = children(settlement, 'SpecifiedTradePaymentTerms');
  const termTexts: string[] = [];
  let dueDate: string | null = null;
  for (const t of termNodes) {
    const due = dateOf(child(t, 'DueDateDateTime'));
    const desc = termText(text(child(t, 'Description')), due);
    if (desc) termTexts.push(desc);
    if (due && (dueDate === null || due > dueDate)) dueDate = due;
  }
  const paymentTerms = termTexts.length > 0 ? termTexts.join('; ').slice(0, 512) : null;
  let dueFromTerms = false;
  if (dueDate === null) {
    dueDate = dueDateFromTerms(paymentTerms, issueDate);
    dueFromTerms = dueDate !== null;
  }

  const means = children(settlement, 'SpecifiedTradeSettlementPaymentMeans');
  const ibans = [
    ...new Set(
      means
        .map((m) => normaliseIban(text(child(m, 'PayeePartyCreditorFinancialAccount', 'IBANID'))))
        .filter((v): v is string => v !== null),
    ),
  ];
  const bic =
    means
      .map((m) => normaliseBic(text(child(m, 'PayeeSpecifiedCreditorFinancialInstitution', 'BICID'))))
      .find((v) => v !== null) ?? null;

  const taxLines: EInvoiceTaxLine[] = children(settlement, 'ApplicableTradeTax').map((t) => ({
    rate: decimal(child(t, 'RateApplicablePercent') ?? child(t, 'ApplicablePercent')),
    category: text(child(t, 'CategoryCode')),
    net: decimal(child(t, 'BasisAmount')),
    tax: decimal(child(t, 'CalculatedAmount')),
  }));

  const totals = {
    lineTotal: decimal(child(sums, 'LineTotalAmount')),
    allowanceTotal: decimal(child(sums, 'AllowanceTotalAmount')),
    chargeTotal: decimal(child(sums, 'ChargeTotalAmount')),
    net: decimal(child(sums, 'TaxBasisTotalAmount')),
    tax: amountIn(children(sums, 'TaxTotalAmount'), currency),
    gross: decimal(child(sums, 'GrandTotalAmount')),
    prepaid: decimal(child(sums, 'TotalPrepaidAmount')),
    due: decimal(child(sums, 'DuePayableAmount')),
  };
  if (totals.tax === null && taxLines.length > 0 && taxLines.every((l) => l.tax !== null)) {
    totals.tax = round(
      taxLines.reduce((s, l) => s + (l.tax ?? 0), 0),
      2,
    );
  }

  const seller = party(child(agreement, 'SellerTradeParty'));
  const buyer = party(child(agreement, 'BuyerTradeParty'));
  const payeeNode = child(settlement, 'PayeeTradeParty');
  const orderNumber =
    text(child(agreement, 'BuyerOrderReferencedDocument', 'IssuerAssignedID')) ??
    text(child(agreement, 'BuyerOrderReferencedDocument', 'ID'));
  const period = child(settlement, 'BillingSpecifiedPeriod');
  const notes = all(header, 'IncludedNote', 'Content')
    .map((n) => multilineText(n))
    .filter((n): n is string => n !== null);
  const lines = all(tx, 'IncludedSupplyChainTradeLineItem').map((item) => lineItem(item, v1));

  const sources: EInvoiceSources = {
    number: source(`${headerName}/ram:ID`, number),
    issueDate: source(`${headerName}/ram:IssueDateTime`, issueDate),
    dueDate: dueFromTerms
      ? source('ram:SpecifiedTradePaymentTerms/ram:Description', paymentTerms)
      : source('ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime', dueDate),
    currency: source('ram:InvoiceCurrencyCode', currency),
    seller: source('ram:SellerTradeParty/ram:Name', seller.name),
    buyer: source('ram:BuyerTradeParty/ram:Name', buyer.name),
    gross: source(`${sumName}/ram:GrandTotalAmount`, totals.gross),
    due: source(`${sumName}/ram:DuePayableAmount`, totals.due),
    net: source(`${sumName}/ram:TaxBasisTotalAmount`, totals.net),
    tax: source(`${sumName}/ram:TaxTotalAmount`, totals.tax),
    iban: source('ram:PayeePartyCreditorFinancialAccount/ram:IBANID', ibans[0] ?? null),
    paymentTerms: source('ram:SpecifiedTradePaymentTerms/ram:Description', paymentTerms),
    orderNumber: source('ram:BuyerOrderReferencedDocument', orderNumber),
  };

  return {
    syntax: 'cii',
    flavor: v1 ? 'zugferd-1' : profile !== null && /xrechnung/i.test(profile) ? 'xrechnung-cii' : 'factur-x',
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
    buyerReference: text(child(agreement, 'BuyerReference')),
    paymentReference: text(child(settlement, 'PaymentReference')),
    periodStart: dateOf(child(period, 'StartDateTime')),
    periodEnd: dateOf(child(period, 'EndDateTime')),
    deliveryDate: dateOf(child(delivery, 'ActualDeliverySupplyChainEvent', 'OccurrenceDateTime')),
    paymentTerms,
    paymentMeansCodes: means.map((m) => text(child(m, 'TypeCode'))).filter((c): c is string => c !== null),
    ibans,
    bic,
    totals,
    taxLines,
    lines,
    notes,
    sources,
  };
}
