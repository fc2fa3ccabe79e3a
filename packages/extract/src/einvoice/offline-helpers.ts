/**
 * Small helpers the e-invoice mapper shares with the offline extractor. They are module-private in
 * `extractor.ts`, so they are copied here unchanged (same rules, same output) rather than exported from there.
 * TODO(dedupe): export them from one module and import them in both places.
 */
import type { ActionItem, DocumentMetadata, Priority } from '@autod/core';
import { parseDate } from '../dates.js';
import type { PdfPage } from '../pdf.js';
import { squash, truncate } from '../text.js';

const SIGNATURE_CHARS = 512;

export function urgencyFor(days: number): { score: number; priority: Priority; reason: string } {
  if (days < 0)
    return { score: 95, priority: 'critical', reason: `The due date passed ${-days} day(s) before processing.` };
  if (days <= 3) return { score: 85, priority: 'high', reason: `Due in ${days} day(s).` };
  if (days <= 7) return { score: 70, priority: 'high', reason: `Due within a week (${days} days).` };
  if (days <= 14) return { score: 55, priority: 'medium', reason: `Due within two weeks (${days} days).` };
  if (days <= 30) return { score: 40, priority: 'medium', reason: `Due within a month (${days} days).` };
  return { score: 20, priority: 'low', reason: `Due in ${days} days.` };
}

export function canonicalIssuer(issuer: string): string {
  return squash(
    issuer
      .replace(
        /,?\s(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|LLP|PLC|plc|Corp\.?|Corporation|Co\.|GmbH(?: & Co\. KG)?|AG|KG|S\.A\.?|SAS|SARL|B\.V\.|N\.V\.)$/,
        '',
      )
      .replace(/[^\p{L}\p{N}&' -]/gu, ' '),
  ).slice(0, 256);
}

export function normaliseSignature(text: string): string | null {
  const s = squash(text.toLowerCase()).slice(0, SIGNATURE_CHARS);
  return s.length > 0 ? s : null;
}

export function tagify(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

export function processedDay(processedAt: string): string | null {
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(processedAt)?.[1];
  if (iso && parseDate(iso)) return iso;
  const t = Date.parse(processedAt);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : null;
}

export function action(description: string, due: string | null, priority: Priority, rationale: string): ActionItem {
  return {
    description: description.slice(0, 512),
    assignee_suggestion: null,
    due,
    priority,
    blocking: false,
    rationale,
  };
}

export function pageSummaries(
  pages: readonly PdfPage[],
  pageCount: number | undefined,
  how: (p: PdfPage) => string,
): DocumentMetadata['ocr_page_summaries'] {
  const out: DocumentMetadata['ocr_page_summaries'] = [];
  for (const p of pages.slice(0, 500)) {
    if (!Number.isInteger(p.page) || p.page < 1) continue;
    const lineCount = p.text.split('\n').filter((l) => l.trim().length > 0).length;
    out.push({
      page: p.page,
      text_excerpt: truncate(p.text.trim(), 8000),
      image_description: `${how(p)}; ${lineCount} line(s)${pageCount ? ` (page ${p.page} of ${pageCount})` : ''}.`,
    });
  }
  return out;
}
