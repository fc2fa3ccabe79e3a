import { ARITHMETIC_CHECKS, type AmountCandidate } from './amounts.js';
import type { DateCandidate } from './dates.js';
import type { PartyFact } from './parties.js';

/**
 * Per-field confidence. Each rule's evidence maps to a probability that the value is right,
 * calibrated on real documents (scanned receipts and e-invoices) and on the synthetic corpus so
 * that values at 0.8 or above are right at least 95% of the time (see the benchmark's
 * confidence-bucket table). The numbers below are those calibration points; the inputs are the
 * facts each rule already computed (label strength, margins, arithmetic checks, OCR repairs).
 */

/**
 * Issuer. Read off a text layer, the spelling is exact and the question is only whether the line
 * is the issuer: a seller label 0.9; a legal-form name at the top with a tax id or registration
 * nearby 0.85; a plain first line 0.7 (a recipient printed first looks the same). OCR adds
 * character errors that nothing on the page flags, so an OCR'd name stays under 0.8 unless its
 * spelling is confirmed: printed twice, or matching the mail/web domain.
 */
export function issuerConfidence(issuer: PartyFact | undefined, runnerUp: number, ocr: boolean): number {
  if (!issuer) return 0;
  const s = issuer.signals;
  const margin = issuer.strength - runnerUp;
  let c: number;
  if (issuer.rule === 'after a seller label') c = 0.9;
  else if (issuer.rule === 'legal-form line') c = s && s.rank <= 3 ? (s.taxIdNearby ? 0.86 : 0.8) : 0.65;
  else if (issuer.rule === 'letterhead line') c = s && s.rank === 0 ? 0.7 : s && s.orgWord ? 0.62 : 0.5;
  else if (issuer.rule === 'payable to') c = 0.8;
  else c = 0.45;
  if (margin < 0.1) c -= 0.15;
  else if (margin < 0.2) c -= 0.05;
  const confirmed = Boolean(s && (s.repeated || s.domain || s.agreeing > 0));
  if (ocr) {
    c = Math.min(c, 0.75) - 0.05;
    if (confirmed) c += 0.15;
  } else if (s && (s.domain || s.repeated) && s.rank <= 2) c += 0.12;
  else if (confirmed) c += 0.05;
  return clamp(c, 0.05, 0.95);
}

/**
 * Customer: after a customer label 0.85, a recipient block with a courtesy title 0.8; an OCR'd
 * name stays under 0.8 (its spelling is not confirmed).
 */
export function customerConfidence(customer: PartyFact | undefined, ocr: boolean): number {
  if (!customer) return 0;
  const c = customer.rule === 'recipient address block' ? 0.8 : 0.85;
  return clamp(ocr ? Math.min(c, 0.75) : c, 0.05, 0.95);
}

/**
 * Primary date. A labelled invoice/statement date 0.92, a bare "Date:" 0.85, unlabelled 0.55
 * (0.75 next to a time). Lowered when the day/month order was a guess for an ambiguous date, and
 * when OCR may have changed a digit (unless the same date is printed twice).
 */
export function dateConfidence(
  d: DateCandidate | undefined,
  orderEvidence: number,
  ocr: boolean,
  repeated = false,
): number {
  if (!d) return 0;
  let c: number;
  switch (d.kind) {
    case 'primary':
      c = 0.92;
      break;
    case 'bare':
      c = 0.85;
      break;
    case 'period':
      c = 0.65;
      break;
    default:
      c = d.withTime ? 0.75 : 0.55;
  }
  if (d.alt) c -= orderEvidence >= 5 ? 0.03 : orderEvidence >= 2.5 ? 0.1 : 0.3;
  if (d.repaired) c -= 0.25;
  if (ocr) c = repeated ? c - 0.02 : Math.min(c, 0.78) - 0.03;
  return clamp(c, 0.05, 0.97);
}

/**
 * Total. Confirmed by the document's own arithmetic (net + tax, cash tendered − change) 0.95-0.97
 * whatever the source; a labelled gross total or amount due 0.86 on a text layer; a plain "total"
 * 0.8; weaker confirmations (printed twice, paid exactly, after the rounding line) add a little.
 * OCR'd digits without arithmetic stay under 0.8. A number repaired from OCR or a fallback is low;
 * net + tax standing in for an illegible total stays under 0.8 on OCR unless the payment confirms it.
 */
export function totalConfidence(t: AmountCandidate | undefined, margin: number, ocr: boolean): number {
  if (!t) return 0;
  const arithmetic = t.checks.some((k) => ARITHMETIC_CHECKS.has(k));
  const weak = t.checks.filter(
    (k) => k === 'repeated' || k === 'paid exactly' || k === 'after rounding' || k === 'line after rounding',
  ).length;
  let c: number;
  if (t.checks.includes('fallback')) c = arithmetic ? 0.7 : 0.35;
  else if (arithmetic) c = weak > 0 ? 0.97 : 0.95;
  else {
    if (t.cls === 'gross' || t.cls === 'due') c = 0.86;
    else if (t.cls === 'total') c = 0.8;
    else if (t.cls === 'balance' || t.cls === 'netpay' || t.cls === 'premium') c = 0.82;
    else c = 0.35;
    if (margin < 1) c -= 0.12;
    else if (margin >= 3) c += 0.03;
    if (ocr) c = Math.min(c, 0.72) + Math.min(0.06, weak * 0.03);
    else c += Math.min(0.06, weak * 0.03);
  }
  if (t.checks.includes('disagrees with the printed total')) c = Math.min(c, 0.7);
  // Net + tax standing in for a total that is not printed legibly: two readings added up, right
  // when both are; sure only when the payment confirms the sum.
  if (t.checks.includes('implied') && !t.checks.includes('cash − change')) c = Math.min(c, ocr ? 0.75 : 0.86);
  if (t.repaired) c -= 0.3;
  return clamp(c, 0.05, 0.97);
}

export function invoiceNumberConfidence(strength: number | null, ocr: boolean): number {
  if (strength === null) return 0;
  return clamp(strength - (ocr ? 0.15 : 0), 0.05, 0.97);
}

export function dueDateConfidence(d: DateCandidate | undefined, orderEvidence: number): number {
  if (!d) return 0;
  let c = 0.85;
  if (d.alt) c -= orderEvidence >= 5 ? 0.03 : orderEvidence >= 2.5 ? 0.1 : 0.3;
  if (d.repaired) c -= 0.25;
  return clamp(c, 0.05, 0.95);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.round(Math.max(lo, Math.min(hi, v)) * 100) / 100;
}
