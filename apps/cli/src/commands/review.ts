import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { EVIDENCE_FIELDS, keyFieldValue, parseCorrectionText, type FieldCorrections } from '@autod/core';
import type { DocumentRow } from '@autod/db';
import { errorFor } from '@autod/errors';
import type { DocumentReview } from '@autod/pipeline';
import type { CommandContext } from '../context.js';
import type { Runner } from '../main.js';
import { flagError, intFlag } from '../flags.js';
import { renderTable } from '../output.js';
import { publicDocument } from './documents.js';

interface ReviewOptions {
  list?: boolean;
  accept?: boolean;
  set?: string[];
  note?: string;
  interactive?: boolean;
  limit?: string;
}

/** `--set field=value`, repeatable. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parse `field=value` pairs into one correction (VALIDATION_FAILED naming the pair when one is wrong). */
export function parseSets(pairs: readonly string[]): FieldCorrections {
  const out: FieldCorrections = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw errorFor('VALIDATION_FAILED', `--set takes field=value (got "${pair}"), e.g. --set issuer="ACME Ltd".`);
    const field = pair.slice(0, eq).trim();
    try {
      Object.assign(out, parseCorrectionText(field, pair.slice(eq + 1)));
    } catch (cause) {
      throw errorFor('VALIDATION_FAILED', `--set ${field}: not a valid value or field (${summarise(cause)}).`, {
        cause,
      });
    }
  }
  return out;
}

function summarise(e: unknown): string {
  if (e !== null && typeof e === 'object' && 'issues' in e && Array.isArray(e.issues)) {
    return (e.issues as { path?: unknown[]; message?: string }[])
      .map((i) => `${(i.path ?? []).join('.') || 'field'}: ${i.message ?? 'invalid'}`)
      .join('; ');
  }
  return e instanceof Error ? e.message : String(e);
}

function actorName(ctx: CommandContext): string {
  const user = ctx.env['USER'] ?? ctx.env['USERNAME'];
  return user ? `cli:${user}` : 'cli';
}

/** The key fields of a document with their confidence, one line each. */
function describeFields(doc: DocumentRow): string[] {
  const m = doc.metadata;
  if (!m) return [];
  return EVIDENCE_FIELDS.map((f) => {
    const value = keyFieldValue(m, f);
    const ev = m.field_evidence[f];
    const conf = ev ? ev.confidence.toFixed(2) : '  - ';
    const where = ev?.source_text ? `  ← "${ev.source_text.replace(/\s+/g, ' ').slice(0, 60)}"` : '';
    return `  ${f.padEnd(15)} ${conf}  ${value ?? '(none)'}${where}`;
  });
}

/** Ask one question; `undefined` when the input ended. Lines typed ahead (or piped) are never lost. */
type Ask = (prompt: string) => Promise<string | undefined>;

async function interactive(ctx: CommandContext, review: DocumentReview, ask: Ask, actor: string): Promise<number> {
  let done = 0;
  const skipped = new Set<number>();
  for (;;) {
    const { items, total } = await review.queue({ limit: 50 });
    const doc = items.find((d) => !skipped.has(d.id));
    if (!doc) {
      ctx.out.line(total === 0 ? 'Nothing to review.' : `${total} document(s) left, all skipped.`);
      return done;
    }
    ctx.out.line('');
    ctx.out.line(`#${doc.id}  ${doc.title ?? doc.fileName}  (${total} to review)`);
    ctx.out.line(`  why: ${doc.reviewReasons.join('; ')}`);
    for (const l of describeFields(doc)) ctx.out.line(l);
    const answer = (await ask('[a]ccept, [e]dit, [s]kip, [q]uit? '))?.trim().toLowerCase();
    if (answer === undefined || answer === 'q' || answer === 'quit') return done;
    if (answer === 's' || answer === 'skip') {
      skipped.add(doc.id);
      continue;
    }
    if (answer === 'a' || answer === 'accept') {
      await review.change(doc.id, { accept: true, actor });
      done++;
      continue;
    }
    if (answer === 'e' || answer === 'edit') {
      const pairs: string[] = [];
      for (;;) {
        const line = (await ask('field=value (empty line when done): '))?.trim();
        if (line === undefined || line === '') break;
        try {
          parseSets([line]);
          pairs.push(line);
        } catch (e) {
          ctx.out.line(`  ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (pairs.length === 0) continue;
      await review.change(doc.id, { fields: parseSets(pairs), accept: true, actor });
      done++;
      continue;
    }
    ctx.out.line('  answer a, e, s or q');
  }
}

export async function reviewCommand(ctx: CommandContext, id: string | undefined, o: ReviewOptions): Promise<number> {
  const limit = intFlag(o.limit, '--limit', 1, 1000) ?? 50;
  if (o.interactive && ctx.out.json)
    throw flagError('--interactive', 'cannot be used with --json (prompts are not JSON; use --list)', true);
  const rt = await ctx.open();
  const review = rt.pipeline.review;
  const actor = actorName(ctx);
  if (id !== undefined) {
    const fields = parseSets(o.set ?? []);
    if (Object.keys(fields).length === 0 && !o.accept) {
      throw errorFor('VALIDATION_FAILED', 'Give --set field=value (repeatable), --accept, or both.');
    }
    const key = /^\d+$/.test(id) ? Number(id) : id;
    const row = await review.change(key, {
      fields,
      ...(o.accept ? { accept: true } : {}),
      actor,
      ...(o.note ? { note: o.note } : {}),
    });
    if (ctx.out.json) {
      ctx.out.data({ ...publicDocument(row), reviewReasons: row.reviewReasons, metadata: row.metadata });
      return 0;
    }
    ctx.out.line(`#${row.id} ${row.needsReview ? `still needs review: ${row.reviewReasons.join('; ')}` : 'reviewed'}`);
    for (const l of describeFields(row)) ctx.out.line(l);
    return 0;
  }
  const wantsPrompt =
    o.interactive === true || (!o.list && !ctx.out.json && process.stdin.isTTY && process.stdout.isTTY);
  if (wantsPrompt) {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    const lines = rl[Symbol.asyncIterator]();
    const ask: Ask = async (prompt) => {
      process.stdout.write(prompt);
      const next = await lines.next();
      if (!process.stdin.isTTY) process.stdout.write('\n');
      return next.done ? undefined : String(next.value);
    };
    try {
      const done = await interactive(ctx, review, ask, actor);
      ctx.out.line(`${done} document(s) reviewed.`);
    } finally {
      rl.close();
    }
    return 0;
  }
  const { items, total } = await review.queue({ limit });
  if (ctx.out.json) {
    ctx.out.data({ total, items: items.map((d) => ({ ...publicDocument(d), reviewReasons: d.reviewReasons })) });
    return 0;
  }
  if (total === 0) {
    ctx.out.line('Nothing to review.');
    return 0;
  }
  ctx.out.line(
    renderTable(
      ['id', 'date', 'issuer', 'amount', 'why'],
      items.map((d) => [
        d.id,
        d.primaryDate,
        d.issuer,
        d.totalAmount === null ? '' : `${d.totalAmount.toFixed(2)} ${d.currency ?? ''}`.trim(),
        d.reviewReasons.join('; '),
      ]),
    ),
  );
  ctx.out.line(`${items.length} of ${total} need review; autod review <id> --accept | --set field=value`);
  return 0;
}

export function installReview(program: Command, run: Runner): void {
  program
    .command('review')
    .description('documents whose key fields need a person: list, accept or correct them')
    .argument('[id]', 'document id or sha256 to accept or correct')
    .option('--list', 'only list the review queue (the default when not on a terminal)')
    .option('--accept', 'confirm the extracted fields (after any --set)')
    .option(
      '--set <field=value>',
      'correct a field (repeatable): issuer, customer, primary_date, total_amount, currency, invoice_number, due_date, doc_type, category, subcategory, title',
      collect,
    )
    .option('--note <text>', 'why (kept in the audit log)')
    .option('--interactive', 'walk the queue with prompts even when stdin is not a terminal')
    .option('--limit <n>', 'list at most this many', '50')
    .action((id: string | undefined, o: ReviewOptions) => run((c) => reviewCommand(c, id, o))());
}
