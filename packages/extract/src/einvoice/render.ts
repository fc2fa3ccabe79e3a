/**
 * A plain, searchable PDF made from an e-invoice XML (pdf-lib, Helvetica): seller, buyer, number, dates, lines,
 * totals and payment details. A bare `.xml` invoice is filed as this PDF with the XML kept beside it.
 */
import type { PDFFont, PDFPage } from 'pdf-lib';
import { pdfLib } from '../lazy-modules.js';
import { formatMoney, titleCase } from '../text.js';
import { typeLabel, type EInvoice, type EInvoiceAddress, type EInvoiceParty } from './model.js';

const PAGE_W = 595.28; // A4
const PAGE_H = 841.89;
const MARGIN = 50;
const BODY = 9.5;
/** Right edges of the quantity, unit price and amount columns; descriptions wrap before the first. */
const COL_QTY = 360;
const COL_PRICE = 460;
const COL_AMOUNT = PAGE_W - MARGIN;
const DESC_WIDTH = 250;

interface Cell {
  text: string;
  /** Left edge, or right edge when `right`. */
  x: number;
  right?: boolean;
}

interface Row {
  cells: Cell[];
  bold?: boolean;
  size?: number;
  /** Extra space before the row, in points. */
  gap?: number;
}

function partyName(p: EInvoiceParty): string | null {
  return p.name ?? p.tradingName;
}

function addressLines(a: EInvoiceAddress | null): string[] {
  if (!a) return [];
  const city = [a.postcode, a.city].filter(Boolean).join(' ');
  return [...a.lines, [city, a.region].filter(Boolean).join(', '), a.countryCode ?? ''].filter((l) => l.length > 0);
}

function fmtQty(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 10000) / 10000);
}

/** The rows of the rendering, before wrapping and pagination. `wrap` splits a description to the column width. */
function layout(inv: EInvoice, wrap: (s: string, width: number) => string[]): Row[] {
  const money = (n: number | null): string => (n === null ? '' : formatMoney(n, inv.currency));
  const rows: Row[] = [];
  const line = (text: string, opts: Omit<Row, 'cells'> = {}): void => {
    for (const part of wrap(text, PAGE_W - 2 * MARGIN)) rows.push({ cells: [{ text: part, x: MARGIN }], ...opts });
  };
  const pair = (label: string, value: string | null): void => {
    if (value) line(`${label}: ${value}`);
  };
  const party = (title: string, p: EInvoiceParty): void => {
    const name = partyName(p);
    if (!name) return;
    line(title, { bold: true, gap: 8 });
    line(name);
    for (const a of addressLines(p.address)) line(a);
    pair('VAT ID', p.vatId);
    pair('Tax number', p.taxNumber);
    pair('Contact', [p.contactName, p.phone, p.email].filter(Boolean).join(', ') || null);
  };

  line(`${titleCase(typeLabel(inv.typeCode))}${inv.number ? ` ${inv.number}` : ''}`, { bold: true, size: 16 });
  party('Seller', inv.seller);
  party('Buyer', inv.buyer);
  if (inv.payee && partyName(inv.payee)) party('Payee', inv.payee);
  rows.push({ cells: [], gap: 6 });
  pair('Invoice date', inv.issueDate);
  pair('Due date', inv.dueDate);
  pair('Delivery date', inv.deliveryDate);
  if (inv.periodStart || inv.periodEnd) pair('Billing period', `${inv.periodStart ?? '?'} to ${inv.periodEnd ?? '?'}`);
  pair('Order number', inv.orderNumber);
  pair('Buyer reference', inv.buyerReference);

  if (inv.lines.length > 0) {
    rows.push({
      bold: true,
      gap: 12,
      cells: [
        { text: 'Description', x: MARGIN },
        { text: 'Quantity', x: COL_QTY, right: true },
        { text: 'Unit price', x: COL_PRICE, right: true },
        { text: 'Amount', x: COL_AMOUNT, right: true },
      ],
    });
    for (const l of inv.lines) {
      const parts = wrap(l.description, DESC_WIDTH);
      rows.push({
        gap: 2,
        cells: [
          { text: parts[0] ?? '', x: MARGIN },
          {
            text: l.quantity !== null ? `${fmtQty(l.quantity)}${l.unitCode ? ` ${l.unitCode}` : ''}` : '',
            x: COL_QTY,
            right: true,
          },
          { text: money(l.unitPrice), x: COL_PRICE, right: true },
          { text: money(l.amount), x: COL_AMOUNT, right: true },
        ],
      });
      for (const more of parts.slice(1)) rows.push({ cells: [{ text: more, x: MARGIN }] });
    }
  }

  const total = (label: string, value: number | null, bold = false): void => {
    if (value === null) return;
    rows.push({
      bold,
      cells: [
        { text: label, x: COL_QTY - 60 },
        { text: money(value), x: COL_AMOUNT, right: true },
      ],
    });
  };
  rows.push({ cells: [], gap: 8 });
  const t = inv.totals;
  total('Line total', t.lineTotal !== t.net ? t.lineTotal : null);
  total('Allowances', t.allowanceTotal ? t.allowanceTotal : null);
  total('Charges', t.chargeTotal ? t.chargeTotal : null);
  total('Net total', t.net);
  for (const l of inv.taxLines)
    total(`VAT ${l.rate !== null ? `${l.rate}%` : ''}${l.category ? ` (${l.category})` : ''}`, l.tax);
  if (inv.taxLines.length !== 1) total('Tax total', t.tax);
  total('Total', t.gross, true);
  total('Prepaid', t.prepaid ? t.prepaid : null);
  if (t.due !== null && t.due !== t.gross) total('Amount due', t.due, true);

  rows.push({ cells: [], gap: 8 });
  pair('Payment terms', inv.paymentTerms);
  pair('IBAN', inv.ibans.join(', ') || null);
  pair('BIC', inv.bic);
  pair('Payment reference', inv.paymentReference);
  for (const n of inv.notes.slice(0, 20)) for (const part of n.split('\n')) line(part, { size: 8.5 });
  rows.push({ cells: [], gap: 10 });
  line(
    `Rendered by autod from the e-invoice XML (${inv.syntax.toUpperCase()}${inv.profile ? `, ${inv.profile}` : ''}); the XML file kept with this document is the original.`,
    { size: 7.5 },
  );
  return rows;
}

/** Greedy word wrap by measured width (falls back to hard breaks for words wider than the column). */
function wrapper(font: PDFFont, size: number): (s: string, width: number) => string[] {
  return (s, width) => {
    const out: string[] = [];
    for (const para of s.split('\n')) {
      let cur = '';
      for (const word of para.split(/\s+/).filter(Boolean)) {
        const next = cur ? `${cur} ${word}` : word;
        if (font.widthOfTextAtSize(next, size) <= width) {
          cur = next;
          continue;
        }
        if (cur) out.push(cur);
        cur = word;
        while (font.widthOfTextAtSize(cur, size) > width && cur.length > 1) {
          let cut = cur.length - 1;
          while (cut > 1 && font.widthOfTextAtSize(cur.slice(0, cut), size) > width) cut--;
          out.push(cur.slice(0, cut));
          cur = cur.slice(cut);
        }
      }
      if (cur) out.push(cur);
    }
    return out.length > 0 ? out : [''];
  };
}

/** Characters Helvetica (WinAnsi) cannot draw become their base letter (é → e is drawable anyway; ł → l) or '?'. */
function drawable(charset: ReadonlySet<number>): (s: string) => string {
  const extra: Readonly<Record<string, string>> = { ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ħ: 'h', ı: 'i', ŀ: 'l' };
  return (s) => {
    let out = '';
    for (const ch of s.replace(/[\t\r]/g, ' ')) {
      const cp = ch.codePointAt(0) ?? 63;
      if (charset.has(cp)) {
        out += ch;
        continue;
      }
      const base = extra[ch] ?? ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += [...base].every((c) => charset.has(c.codePointAt(0) ?? 0)) && base.length > 0 ? base : '?';
    }
    return out;
  };
}

export interface RenderedInvoice {
  pdf: Uint8Array;
  /** Text of each page as drawn (cells separated by three spaces), for the read stage. */
  pages: string[];
}

/** Render the invoice as an A4 PDF. Deterministic for the same invoice (fixed dates in the PDF info). */
export async function renderEInvoicePdf(inv: EInvoice): Promise<RenderedInvoice> {
  const { PDFDocument, StandardFonts, rgb } = pdfLib();
  const doc = await PDFDocument.create();
  const fixed = new Date(inv.issueDate ? `${inv.issueDate}T00:00:00Z` : '2000-01-01T00:00:00Z');
  doc.setCreationDate(fixed);
  doc.setModificationDate(fixed);
  doc.setProducer('autod e-invoice renderer');
  doc.setCreator('autod');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const safe = drawable(new Set(font.getCharacterSet()));
  const title = `${titleCase(typeLabel(inv.typeCode))}${inv.number ? ` ${inv.number}` : ''}`;
  doc.setTitle(safe(title));
  if (partyName(inv.seller)) doc.setAuthor(safe(partyName(inv.seller) ?? ''));

  const wrap = wrapper(font, BODY);
  const rows = layout(inv, (s, w) => wrap(safe(s), w));
  const pages: string[] = [];
  let page: PDFPage | undefined;
  let y = 0;
  let pageLines: string[] = [];
  const newPage = (): PDFPage => {
    if (page) pages.push(pageLines.join('\n'));
    pageLines = [];
    page = doc.addPage([PAGE_W, PAGE_H]);
    y = PAGE_H - MARGIN;
    return page;
  };
  let current = newPage();
  for (const row of rows) {
    const size = row.size ?? BODY;
    const f = row.bold ? bold : font;
    const advance = (row.gap ?? 0) + size * 1.35;
    if (y - advance < MARGIN) current = newPage();
    y -= advance;
    const texts: string[] = [];
    for (const cell of row.cells) {
      const text = safe(cell.text);
      if (text.length === 0) continue;
      const x = cell.right ? cell.x - f.widthOfTextAtSize(text, size) : cell.x;
      current.drawText(text, { x, y, size, font: f, color: rgb(0.1, 0.1, 0.1) });
      texts.push(text);
    }
    if (texts.length > 0) pageLines.push(texts.join('   '));
  }
  pages.push(pageLines.join('\n'));
  return { pdf: await doc.save({ useObjectStreams: false }), pages };
}

/** The text the rendering shows, without drawing it (all pages joined). */
export function renderedText(inv: EInvoice): string {
  // Wrapping needs font metrics; a generous character budget keeps this synchronous and close to the PDF.
  const wrap = (s: string, width: number): string[] => {
    const max = Math.max(20, Math.floor(width / 5));
    const out: string[] = [];
    for (const para of s.split('\n')) {
      let cur = '';
      for (const word of para.split(/\s+/).filter(Boolean)) {
        if (cur && cur.length + 1 + word.length > max) {
          out.push(cur);
          cur = word;
        } else cur = cur ? `${cur} ${word}` : word;
      }
      if (cur) out.push(cur);
    }
    return out.length > 0 ? out : [''];
  };
  return layout(inv, wrap)
    .map((r) =>
      r.cells
        .map((c) => c.text)
        .filter((t) => t.length > 0)
        .join('   '),
    )
    .filter((l) => l.length > 0)
    .join('\n');
}
