import type { ActionItem, DocumentMetadata, Priority } from '@autod/core';
import { daysBetween, parseDate } from '../dates.js';
import { formatMoney } from '../text.js';

/**
 * Deadline, urgency and action items: a due date gives `deadline`, `deadline_source =
 * 'explicit_due_date'`, "Pay <amount> to <issuer> by <date>" (or "Respond to <issuer> by <date>")
 * and an urgency by days to due from the processing day; an amount due without a date gives a
 * medium "Pay …" action; otherwise urgency 0.
 */
export function recordDeadline(
  meta: DocumentMetadata,
  dueDate: string | null,
  amountDue: { amount: number; due: boolean } | null,
  currency: string | null,
  payable: boolean,
  processedAt: string,
): void {
  const today = processedDay(processedAt);
  const issuerName = meta.issuer ?? 'the issuer';
  if (dueDate) {
    meta.deadline = dueDate;
    meta.deadline_source = 'explicit_due_date';
    const days = today ? daysBetween(today, dueDate) : 30;
    const urgency = urgencyFor(days);
    meta.urgency_score = urgency.score;
    meta.urgency_reason = urgency.reason;
    const what = amountDue
      ? `Pay ${formatMoney(amountDue.amount, currency)} to ${issuerName}`
      : `Respond to ${issuerName}`;
    meta.action_items.push(
      action(
        `${what} by ${dueDate}`,
        dueDate,
        urgency.priority,
        `Explicit due date on the ${meta.doc_type ?? 'document'}.`,
      ),
    );
  } else if (payable && amountDue && amountDue.due) {
    meta.deadline_source = 'none';
    meta.urgency_score = 30;
    meta.urgency_reason = 'An amount is due but no due date is printed.';
    meta.action_items.push(
      action(
        `Pay ${formatMoney(amountDue.amount, currency)} to ${issuerName}`,
        null,
        'medium',
        'Amount due without a printed due date.',
      ),
    );
  } else {
    meta.deadline_source = 'none';
    meta.urgency_score = 0;
  }
}

export function urgencyFor(days: number): { score: number; priority: Priority; reason: string } {
  if (days < 0)
    return { score: 95, priority: 'critical', reason: `The due date passed ${-days} day(s) before processing.` };
  if (days <= 3) return { score: 85, priority: 'high', reason: `Due in ${days} day(s).` };
  if (days <= 7) return { score: 70, priority: 'high', reason: `Due within a week (${days} days).` };
  if (days <= 14) return { score: 55, priority: 'medium', reason: `Due within two weeks (${days} days).` };
  if (days <= 30) return { score: 40, priority: 'medium', reason: `Due within a month (${days} days).` };
  return { score: 20, priority: 'low', reason: `Due in ${days} days.` };
}

function processedDay(processedAt: string): string | null {
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(processedAt)?.[1];
  if (iso && parseDate(iso)) return iso;
  const t = Date.parse(processedAt);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : null;
}

function action(description: string, due: string | null, priority: Priority, rationale: string): ActionItem {
  return {
    description: description.slice(0, 512),
    assignee_suggestion: null,
    due,
    priority,
    blocking: false,
    rationale,
  };
}
