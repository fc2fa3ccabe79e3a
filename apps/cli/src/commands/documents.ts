import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { indexedFields, type DocumentFilter } from '@autod/core';
import type { AttemptRow, AttemptWithResult, DocumentRow } from '@autod/db';
import { errorFor } from '@autod/errors';
import type { DefineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { addFilterOptions, filterFromOptions } from '../filter-flags.js';
import { choiceFlag, flagError, intFlag } from '../flags.js';
import { formatUsd, renderTable } from '../output.js';
import { report } from '../report.js';

/** Paging of `autod list` (the filter flags are read by `filterFromOptions`). */
export interface ListOptions {
  limit?: string;
  offset?: string;
}

export async function listCommand(ctx: CommandContext, filter: DocumentFilter, o: ListOptions = {}): Promise<number> {
  const limit = intFlag(o.limit, '--limit', 1, 1000) ?? 50;
  const offset = intFlag(o.offset, '--offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const db = await ctx.openDatabase({ migrate: true });
  const { items, total } = await db.documents.list({ ...filter, limit, offset });
  if (ctx.out.json) {
    ctx.out.data({ total, limit, offset, items: items.map(publicDocument) });
    return 0;
  }
  ctx.out.line(
    renderTable(
      ['id', 'date', 'issuer', 'type', 'category', 'amount', 'status', 'title'],
      items.map((d) => [
        d.id,
        d.primaryDate,
        d.issuer,
        d.docType,
        d.subcategory ?? d.category,
        d.totalAmount === null || d.totalAmount === undefined
          ? ''
          : `${d.totalAmount.toFixed(2)} ${d.currency ?? ''}`.trim(),
        // why a document failed or waits, and until when; flagged for review; a near-duplicate
        (d.errorCode && (d.status === 'failed' || d.status === 'waiting')
          ? `${d.status} ${d.errorCode}${d.status === 'waiting' && d.retryAt ? ` until ${d.retryAt.toISOString().slice(11, 19)}` : ''}`
          : d.status) +
          (d.needsReview ? ' (review)' : '') +
          (d.nearDuplicateOf !== null ? ` ~#${d.nearDuplicateOf}` : ''),
        d.title ?? (d.status === 'failed' ? d.fileName : null),
      ]),
    ),
  );
  ctx.out.line(`${items.length} of ${total} documents`);
  return 0;
}

export async function showCommand(
  ctx: CommandContext,
  idOrSha: string,
  o: { attempts?: boolean } = {},
): Promise<number> {
  const db = await ctx.openDatabase({ migrate: true });
  const key = /^\d+$/.test(idOrSha) ? Number(idOrSha) : idOrSha;
  const doc = await db.documents.get(key);
  if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document with id or sha256 "${idOrSha}"; autod list shows them.`);
  const attempts: (AttemptRow | AttemptWithResult)[] = o.attempts
    ? await db.attempts.listWithResults(doc.id)
    : await db.attempts.list(doc.id);
  const duplicates = await db.duplicates.listFor(doc.id);
  if (ctx.out.json) {
    ctx.out.data({
      ...publicDocument(doc),
      reviewReasons: doc.reviewReasons,
      metadata: doc.metadata,
      attempts,
      duplicates,
    });
    return 0;
  }
  const m = doc.metadata;
  const rows: [string, string | number | null | undefined][] = [
    ['id', doc.id],
    ['sha256', doc.sha256],
    ['file', doc.fileName],
    ['stored at', doc.storagePath ? relative(ctx.cwd, doc.storagePath) : ''],
    ...(doc.originalPath
      ? [
          ['original', `${relative(ctx.cwd, doc.originalPath)} (${doc.mediaType ?? 'unknown type'})`] as [
            string,
            string,
          ],
        ]
      : []),
    ['status', doc.status + (doc.errorCode ? ` (${doc.errorCode}: ${doc.errorMessage ?? ''})` : '')],
    ['title', doc.title],
    ['category', [doc.category, doc.subcategory].filter(Boolean).join(' / ')],
    ['type', doc.docType],
    ['issuer', doc.issuer],
    ['customer', doc.customer],
    ['invoice no', doc.invoiceNumber],
    ['date', doc.primaryDate],
    ['amount', doc.totalAmount === null ? '' : `${doc.totalAmount} ${doc.currency ?? ''}`],
    ['due', m?.extracted_fields.due_date ?? ''],
    ['pages', doc.pageCount],
    ['provider', `${doc.provider ?? ''} ${doc.model ?? ''}`],
    ['confidence', doc.confidence],
    ['review', doc.needsReview ? `needed: ${doc.reviewReasons.join('; ')}` : ''],
    ['near dup of', doc.nearDuplicateOf ?? ''],
    ['summary', m?.brief_description ?? m?.summary ?? ''],
  ];
  for (const [k, v] of rows) ctx.out.line(`${k.padEnd(11)} ${v ?? ''}`);
  if (m && m.action_items.length > 0) {
    ctx.out.line('actions');
    for (const a of m.action_items) ctx.out.line(`  - ${a.description}${a.due ? ` (due ${a.due})` : ''}`);
  }
  if (o.attempts) {
    ctx.out.line(`attempts    ${attempts.length}`);
    for (const a of attempts) for (const line of attemptLines(a)) ctx.out.line(line);
  } else {
    ctx.out.line(
      `attempts    ${attempts.length}: ${attempts.map((a) => `${a.status} ${a.model} ${formatUsd(a.costUsd)}`).join('; ')}` +
        (attempts.length > 0 ? ' (--attempts shows each result)' : ''),
    );
  }
  if (duplicates.length > 0) ctx.out.line(`duplicates  ${duplicates.length}`);
  return 0;
}

/** One attempt of `show --attempts`: who and what produced it, what it cost, when, and the result's key fields. */
function attemptLines(a: AttemptRow | AttemptWithResult): string[] {
  const tokens = a.inputTokens + a.outputTokens > 0 ? `, ${a.inputTokens} in / ${a.outputTokens} out tokens` : '';
  const lines = [
    `  #${a.attemptNo} ${a.status} ${a.createdAt.toISOString()}: ${a.provider} ${a.model}, prompt ${a.promptVersion ?? 'unknown'}, ${formatUsd(a.costUsd)}${tokens}, ${a.latencyMs} ms`,
  ];
  if (a.errorCode) lines.push(`     error     ${a.errorCode}: ${a.errorMessage ?? ''}`);
  const m = 'metadata' in a ? a.metadata : null;
  if (!m) {
    if (a.status === 'succeeded') lines.push('     result    not kept (recorded before results were stored)');
    return lines;
  }
  const f = indexedFields(m);
  const fields: [string, string | number | null][] = [
    ['title', f.title],
    ['type', [f.docType, f.subcategory ?? f.category].filter(Boolean).join(' / ')],
    ['issuer', f.issuer],
    ['date', f.primaryDate],
    ['amount', f.totalAmount === null ? null : `${f.totalAmount} ${f.currency ?? ''}`.trim()],
    ['invoice no', f.invoiceNumber],
    ['confidence', f.confidence],
  ];
  for (const [k, v] of fields) if (v !== null && v !== '') lines.push(`     ${k.padEnd(10)}${v}`);
  return lines;
}

const CSV_COLUMNS = [
  'id',
  'sha256',
  'fileName',
  'status',
  'category',
  'subcategory',
  'docType',
  'issuer',
  'customer',
  'primaryDate',
  'dueDate',
  'invoiceNumber',
  'totalAmount',
  'currency',
  'title',
  'confidence',
  'needsReview',
  'nearDuplicateOf',
  'pageCount',
  'provider',
  'model',
  'storagePath',
  'errorCode',
  'errorMessage',
  'retryAt',
  'strikes',
  'createdAt',
  'mediaType',
  'originalPath',
] as const;

export async function exportCommand(
  ctx: CommandContext,
  filter: DocumentFilter,
  o: { format?: string; output?: string },
): Promise<number> {
  const format = choiceFlag(o.format, '--format', ['json', 'csv'] as const) ?? 'json';
  if (ctx.out.json && format === 'csv' && !o.output)
    throw flagError('--format', 'csv cannot be printed with --json (use --format json, or -o <file>)', format);
  const db = await ctx.openDatabase({ migrate: true });
  const all: DocumentRow[] = [];
  for (let offset = 0; ; offset += 500) {
    const { items } = await db.documents.list({ ...filter, limit: 500, offset });
    all.push(...items);
    if (items.length < 500) break;
  }
  const text =
    format === 'json'
      ? JSON.stringify(
          all.map((d) => ({ ...publicDocument(d), metadata: d.metadata })),
          null,
          2,
        ) + '\n'
      : [
          CSV_COLUMNS.join(','),
          ...all.map((d) => CSV_COLUMNS.map((c) => csvCell(publicDocument(d)[c])).join(',')),
        ].join('\n') + '\n';
  if (o.output) {
    await writeFile(o.output, text);
    if (ctx.out.json) ctx.out.data({ written: all.length, format, output: o.output });
    else ctx.out.error(`wrote ${all.length} documents to ${o.output}`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}

export async function reprocessCommand(
  ctx: CommandContext,
  idOrSha: string,
  o: { force?: boolean } = {},
): Promise<number> {
  const rt = await ctx.open();
  const key = /^\d+$/.test(idOrSha) ? Number(idOrSha) : idOrSha;
  const outcome = await rt.pipeline.reprocess(key, { force: o.force === true });
  report(
    ctx.out,
    {
      total: 1,
      processed: outcome.kind === 'processed' ? 1 : 0,
      duplicates: 0,
      failed: outcome.kind === 'failed' ? 1 : 0,
      retryLater: outcome.kind === 'retry_later' ? 1 : 0,
      skipped: 0,
      costUsd: outcome.kind === 'processed' ? outcome.costUsd : 0,
      outcomes: [outcome],
    },
    ctx.cwd,
    rt.pipeline.provider,
  );
  return outcome.kind === 'processed' ? 0 : 3;
}

function csvCell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) return '';
  else if (v instanceof Date) s = v.toISOString();
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else s = JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A document without its (large) metadata and text, for listings. */
export function publicDocument(d: DocumentRow): Record<(typeof CSV_COLUMNS)[number], unknown> {
  return {
    id: d.id,
    sha256: d.sha256,
    fileName: d.fileName,
    status: d.status,
    category: d.category,
    subcategory: d.subcategory,
    docType: d.docType,
    issuer: d.issuer,
    customer: d.customer,
    primaryDate: d.primaryDate,
    dueDate: d.dueDate,
    invoiceNumber: d.invoiceNumber,
    totalAmount: d.totalAmount,
    currency: d.currency,
    title: d.title,
    confidence: d.confidence,
    needsReview: d.needsReview,
    nearDuplicateOf: d.nearDuplicateOf,
    pageCount: d.pageCount,
    provider: d.provider,
    model: d.model,
    storagePath: d.storagePath,
    errorCode: d.errorCode,
    errorMessage: d.errorMessage,
    retryAt: d.retryAt,
    strikes: d.strikes,
    createdAt: d.createdAt,
    mediaType: d.mediaType,
    originalPath: d.originalPath,
  };
}

export const defineList: DefineCommand = async (cmd: Command, { run, documentFilter }) => {
  const filters = await documentFilter();
  addFilterOptions(cmd, filters);
  cmd
    .option('--limit <n>', 'page size (1..1000)', '50')
    .option('--offset <n>', 'skip this many', '0')
    .action((o: ListOptions) => run((c) => listCommand(c, filterFromOptions(cmd, filters), o)));
};

export const defineShow: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .option('--attempts', 'every extraction attempt with its result, provider/model, prompt version, cost and time')
    .action((id: string, o: { attempts?: boolean }) => run((c) => showCommand(c, id, o)));
};

export const defineExport: DefineCommand = async (cmd: Command, { run, documentFilter }) => {
  const filters = await documentFilter();
  addFilterOptions(cmd, filters);
  cmd
    .option('--format <format>', 'output format: json or csv', 'json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((o: { format?: string; output?: string }) =>
      run((c) => exportCommand(c, filterFromOptions(cmd, filters), o)),
    );
};

export const defineReprocess: DefineCommand = (cmd: Command, { run }) => {
  cmd
    .description('extract a document again with the current provider, model and prompt (old attempts are kept)')
    .option('--force', 'drop the corrections a person made in review (default: they are re-applied)')
    .action((id: string, o: { force?: boolean }) => run((c) => reprocessCommand(c, id, o)));
};
