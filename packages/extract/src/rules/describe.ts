import { sanitizeFileNamePart, stripExtension, type DocumentMetadata } from '@autod/core';
import type { PdfPage } from '../pdf.js';
import { formatMoney, monthYear, squash, titleCase, truncate, type LineIndex } from '../text.js';

/**
 * The descriptive fields: title "<Issuer> <Doc Type> <Month YYYY>", brief/long descriptions,
 * summary, key points, email subject/preview/body, file name and path, tags, page summaries.
 */

export interface HeadlineFacts {
  total: { amount: number; label: string } | null;
  currency: string | null;
  dueDate: string | null;
}

export function describe(
  meta: DocumentMetadata,
  h: HeadlineFacts,
  lines: LineIndex,
  pages: readonly Pick<PdfPage, 'page' | 'text' | 'source'>[],
  pageCount: number | undefined,
  fileName: string,
): void {
  const ef = meta.extracted_fields;
  const typeName = meta.doc_type ?? 'document';
  const when = meta.primary_date ? monthYear(meta.primary_date) : null;
  meta.title = [meta.issuer, titleCase(typeName), when]
    .filter((p): p is string => Boolean(p))
    .join(' ')
    .slice(0, 512);
  const points: string[] = [];
  if (meta.issuer) points.push(`Issuer: ${meta.issuer}`);
  if (meta.primary_date) points.push(`Date: ${meta.primary_date}`);
  if (h.total) points.push(`${h.total.label}: ${formatMoney(h.total.amount, h.currency)}`);
  if (h.dueDate) points.push(`Due: ${h.dueDate}`);
  if (meta.period_start_date && meta.period_end_date)
    points.push(`Period: ${meta.period_start_date} to ${meta.period_end_date}`);
  if (ef.account_number) points.push(`Account: ${ef.account_number}`);
  if (ef.invoice_number) points.push(`Invoice number: ${ef.invoice_number}`);
  if (ef.policy_number) points.push(`Policy number: ${ef.policy_number}`);
  meta.key_points = points.map((f) => f.slice(0, 512));

  const article = /^[aeio]|^u(?!ti|ni|s)/i.test(typeName) ? 'An' : 'A';
  let brief = `${article} ${typeName}`;
  if (meta.issuer) brief += ` from ${meta.issuer}`;
  if (meta.primary_date) brief += ` dated ${meta.primary_date}`;
  if (h.total) brief += ` for ${formatMoney(h.total.amount, h.currency)}`;
  brief += '.';
  if (h.dueDate) brief += ` Due ${h.dueDate}.`;
  meta.brief_description = brief.slice(0, 512);
  const firstLines = lines.nonEmpty
    .slice(0, 6)
    .map((l) => squash(l.text))
    .join(' / ');
  meta.summary = truncate(
    `${brief} ${points.length > 0 ? points.join('; ') + '.' : ''} Pages: ${pageCount ?? pages.length}.`.trim(),
    1500,
  );
  meta.long_description = truncate(`${meta.summary} Opening lines: ${firstLines}`, 2048);
  meta.summary_long = truncate(
    `${meta.summary}\n\nOpening lines: ${firstLines}\n\nExtracted offline by rules (no model); confidence reflects the evidence found.`,
    4096,
  );
  meta.email_subject = (meta.title || brief).slice(0, 512);
  meta.email_preview_text = truncate(brief, 160, '…');
  meta.email_body_markdown = truncate(
    [
      `**${meta.title || typeName}**`,
      '',
      ...points.map((f) => `- ${f}`),
      ...meta.action_items.map((a) => `- [ ] ${a.description}`),
    ].join('\n'),
    10_000,
  );

  const nameParts = [meta.primary_date, meta.issuer ? sanitizeFileNamePart(meta.issuer, 60) : null, typeName].filter(
    (p): p is string => Boolean(p),
  );
  meta.suggested_file_name = sanitizeFileNamePart(
    nameParts.length > 1 ? nameParts.join(' - ') : stripExtension(fileName),
    150,
  );
  meta.suggested_relative_path = [meta.category, meta.subcategory]
    .filter((p): p is NonNullable<typeof p> => p !== null)
    .map((p) => sanitizeFileNamePart(p, 100))
    .join('/');

  const tags = new Set<string>();
  for (const t of [
    typeName,
    meta.subcategory ?? '',
    meta.category.split(' & ')[0] ?? '',
    meta.normalization.canonical_issuer ?? '',
    meta.primary_date?.slice(0, 4) ?? '',
    h.currency ?? '',
    meta.language ?? '',
  ]) {
    const tag = tagify(t);
    if (tag.length > 0) tags.add(tag);
  }
  if (meta.action_items.length > 0) tags.add('action-required');
  if (pages.some((p) => p.source === 'ocr')) tags.add('ocr');
  meta.tags = [...tags].slice(0, 12);
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

export function pageSummaries(
  pages: readonly Pick<PdfPage, 'page' | 'text' | 'source'>[],
  pageCount: number | undefined,
): DocumentMetadata['ocr_page_summaries'] {
  const out: DocumentMetadata['ocr_page_summaries'] = [];
  for (const p of pages.slice(0, 500)) {
    if (!Number.isInteger(p.page) || p.page < 1) continue;
    const lineCount = p.text.split('\n').filter((l) => l.trim().length > 0).length;
    const how =
      p.source === 'ocr'
        ? 'scanned page (text recognised by OCR)'
        : p.source === 'text'
          ? 'page with a text layer'
          : 'page without readable text';
    out.push({
      page: p.page,
      text_excerpt: truncate(p.text.trim(), 8000),
      image_description: `${how}; ${lineCount} line(s)${pageCount ? ` (page ${p.page} of ${pageCount})` : ''}. No image analysis in offline mode.`,
    });
  }
  return out;
}
