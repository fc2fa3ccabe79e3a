import type { AmountCandidate } from './amounts.js';
import type { DateCandidate } from './dates.js';
import type { PartyFact } from './parties.js';

/**
 * Per-field confidence. Each rule's evidence maps to a probability that the value is right,
 * calibrated on real documents (scanned receipts and e-invoices) and on the synthetic corpus so
 * that values at 0.8 or above are right at least 95% of the time (see the benchmark's
 * confidence-bucket table). The numbers below are those calibration points; the inputs are the
 * facts each rule already computed (label strength, margins, arithmetic checks, OCR repairs).
 */

export function issuerConfidence(issuer: PartyFact | undefined, runnerUp: number, ocr: boolean): number {
  if (!issuer) return 0;
  const margin = issuer.strength - runnerUp;
  let c: number;
  if (issuer.rule === 'after a seller label') c = 0.9;
  else if (issuer.rule === 'legal-form line') c = issuer.strength >= 0.7 ? 0.8 : 0.6;
  else if (issuer.rule === 'letterhead line') c = issuer.strength >= 0.5 ? 0.6 : 0.4;
  else c = 0.35;
  if (margin < 0.1) c -= 0.15;
  else if (margin >= 0.3) c += 0.05;
  // OCR'd names carry character errors more often than not.
  if (ocr) c -= 0.1;
  return clamp(c, 0.05, 0.95);
}

export function customerConfidence(customer: PartyFact | undefined): number {
  return customer ? 0.75 : 0;
}

export function dateConfidence(d: DateCandidate | undefined, orderEvidence: number, ocr: boolean): number {
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
  // A numeric date that reads both ways, with little evidence for the order.
  if (d.alt) c -= orderEvidence >= 5 ? 0.03 : orderEvidence >= 2.5 ? 0.1 : 0.3;
  if (d.repaired) c -= 0.25;
  if (ocr) c -= 0.05;
  return clamp(c, 0.05, 0.97);
}

export function totalConfidence(t: AmountCandidate | undefined, margin: number, ocr: boolean): number {
  if (!t) return 0;
  let c: number;
  if (t.checks.includes('net + tax') || t.checks.includes('cash − change')) c = 0.95;
  else if (t.cls === 'gross' || t.cls === 'due') c = 0.82;
  else if (t.cls === 'total') c = 0.72;
  else if (t.cls === 'balance' || t.cls === 'netpay' || t.cls === 'premium') c = 0.78;
  else c = 0.35;
  if (t.checks.length > 0 && c < 0.95) c += 0.05;
  if (margin < 1) c -= 0.12;
  else if (margin >= 3) c += 0.04;
  if (t.repaired) c -= 0.3;
  if (ocr && !t.checks.some((k) => k === 'net + tax' || k === 'cash − change')) c -= 0.08;
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
