import { parseNumber } from '../amounts.js';
import type { LineIndex } from '../text.js';
import { firstPhrase, labelTokens, phrases } from './fuzzy.js';
import { classifyAmountLabel } from './amounts.js';

/**
 * Line items of an invoice or receipt table (best effort): the rows between a header naming a
 * description and an amount column ("Description Qty Unit price Amount", "Beschreibung Menge
 * Preis Betrag", "Omschrijving Aantal Prijs Bedrag" …) and the first totals line. A row is text
 * followed by numbers; the last number is the amount, a small number before the price is the
 * quantity, and the unit price is the number that times the quantity gives the amount.
 */

export interface LineItem {
  description: string;
  quantity: number | null;
  unit_price: number | null;
  amount: number | null;
}

const HEADER_DESC = phrases(
  'description',
  'item',
  'items',
  'article',
  'product',
  'service',
  'particulars',
  'desc',
  'beschreibung',
  'bezeichnung',
  'artikel',
  'leistung',
  'designation',
  'libelle',
  'article',
  'omschrijving',
  'artikel',
  'descripcion',
  'concepto',
  'articulo',
  'descrizione',
  'articolo',
  'descricao',
  'artigo',
  'perkara',
  'keterangan',
);
const HEADER_AMOUNT = phrases(
  'amount',
  'total',
  'price',
  'betrag',
  'gesamt',
  'preis',
  'montant',
  'prix',
  'bedrag',
  'prijs',
  'totaal',
  'importe',
  'precio',
  'importo',
  'prezzo',
  'valor',
  'preco',
  'jumlah',
  'harga',
  'amt',
);

const NUMBER =
  /(?<![\p{L}\d.,])-?\d{1,3}(?:[.,'\u00a0]\d{3})*(?:[.,]\d{1,4})?(?![\d])|(?<![\p{L}\d.,])-?\d+(?:[.,]\d{1,4})?(?![\d])/gu;

function num(raw: string): number | null {
  const s = raw.replace(/^-/, '');
  // Four decimals (unit prices like 3,3333) are not handled by parseNumber.
  const m = /^(\d+)[.,](\d{3,4})$/.exec(s);
  const v = m && !/^\d{1,3}[.,]\d{3}$/.test(s) ? Number(`${m[1]}.${m[2]}`) : parseNumber(s);
  return v === null ? null : raw.startsWith('-') ? -v : v;
}

export function lineItems(lines: LineIndex): LineItem[] {
  const ne = lines.nonEmpty;
  const headerAt = ne.findIndex((l) => {
    const toks = labelTokens(l.text);
    return toks.length <= 12 && firstPhrase(toks, HEADER_DESC, false) && firstPhrase(toks, HEADER_AMOUNT, false);
  });
  if (headerAt < 0) return [];
  const out: LineItem[] = [];
  for (const line of ne.slice(headerAt + 1, headerAt + 80)) {
    const t = line.text.trim();
    const values = [...t.matchAll(NUMBER)];
    const firstNum = values[0];
    // The totals block ends the table.
    const labelPart = firstNum ? t.slice(0, firstNum.index) : t;
    const cls = classifyAmountLabel(labelPart);
    if (['gross', 'total', 'net', 'tax', 'due', 'rounding', 'tender', 'change'].includes(cls) && out.length > 0) break;
    if (values.length === 0) continue;
    const description = t
      .replace(NUMBER, ' ')
      .replace(/[%€$£¥]|\b(?:x|pcs?|stk|st|kg|m²|m2|h|hrs?|EUR|USD|GBP|RM)\b/giu, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (description.replace(/[^\p{L}]/gu, '').length < 3) continue;
    const nums = values.map((v) => num(v[0])).filter((v): v is number => v !== null);
    const amount = nums.at(-1);
    if (amount === undefined || nums.length < 1 || !/[.,]\d{2}$/.test(values.at(-1)?.[0] ?? '')) continue;
    let quantity: number | null = null;
    let unit: number | null = null;
    const rest = nums.slice(0, -1);
    for (const q of rest) {
      const p = rest.find((u) => u !== q && Math.abs(u * q - amount) <= 0.011 + Math.abs(amount) * 0.001);
      if (p !== undefined && q > 0 && q < 10_000) {
        quantity = q;
        unit = p;
        break;
      }
    }
    if (quantity === null && rest.length >= 1) {
      const only = rest.find((r) => Math.abs(r - amount) <= 0.011);
      if (only !== undefined) {
        quantity = 1;
        unit = only;
      }
    }
    out.push({ description: description.slice(0, 256), quantity, unit_price: unit, amount });
    if (out.length >= 100) break;
  }
  return out;
}
