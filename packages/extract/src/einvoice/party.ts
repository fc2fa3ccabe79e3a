/** Helpers shared by the CII and UBL readers. */
import { isIsoDate } from '@autod/core';
import { findDates } from '../dates.js';
import type { EInvoiceParty } from './model.js';

export const EMPTY_PARTY: EInvoiceParty = {
  name: null,
  tradingName: null,
  vatId: null,
  taxNumber: null,
  legalId: null,
  address: null,
  contactName: null,
  phone: null,
  email: null,
};

/** `YYYYMMDD` (CII format 102), `YYYY-MM-DD` (with an optional time or zone) → `YYYY-MM-DD`; anything else → null. */
export function isoFromXmlDate(s: string | null): string | null {
  if (s === null) return null;
  const t = s.trim();
  const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:$|[T\sZ+-])/.exec(t);
  if (!m) return null;
  const iso = `${m[1]}-${m[2]}-${m[3]}`;
  return isIsoDate(iso) ? iso : null;
}

/** IBAN without spaces, upper case; null when it is not shaped like one. */
export function normaliseIban(s: string | null): string | null {
  if (s === null) return null;
  const v = s.replace(/[\s-]+/g, '').toUpperCase();
  return /^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$/.test(v) ? v : null;
}

/** BIC upper case without spaces; null when not 8 or 11 characters of the BIC shape. */
export function normaliseBic(s: string | null): string | null {
  if (s === null) return null;
  const v = s.replace(/\s+/g, '').toUpperCase();
  return /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(v) ? v : null;
}

/**
 * The due date written in a payment-terms text ("Zahlbar … bis 04.07.2018, 3 % Skonto bis 15.06.2018"): the latest
 * date on or after the issue date (the discount dates come earlier). Null when the text has no such date.
 */
export function dueDateFromTerms(terms: string | null, issueDate: string | null): string | null {
  if (!terms) return null;
  const dates = findDates(terms)
    .map((d) => d.iso)
    .filter((iso) => issueDate === null || iso >= issueDate)
    .sort();
  return dates.at(-1) ?? null;
}

/** Render a term description with its due date when the text does not already name a date. */
export function termText(description: string | null, due: string | null): string | null {
  if (!description) return due ? `Due ${due}` : null;
  if (!due || findDates(description).length > 0) return description;
  return /\b(?:bis|by|until|before|avant|le|au|voor|vóór|entro|hasta|do)\s*:?\s*$/i.test(description)
    ? `${description} ${due}`
    : `${description} (due ${due})`;
}

/** Trim an element path + value to the evidence length (512). */
export function source(path: string, value: string | number | null): string | undefined {
  if (value === null) return undefined;
  const s = `${path} ${String(value)}`;
  return s.length <= 512 ? s : `${s.slice(0, 511)}…`;
}
