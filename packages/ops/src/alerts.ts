import { noopLogger, type Logger } from './logger.js';
import type { BreakerState } from './metrics.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  /** Name of the rule that raised it (`error_rate`, `p95_latency`, `cost_daily`, …). */
  rule: string;
  severity: AlertSeverity;
  /** One line for humans (Slack text, e-mail subject, PagerDuty summary). */
  summary: string;
  details?: Record<string, unknown>;
  /** Alerts with the same key are de-duplicated (and grouped by PagerDuty). */
  dedupeKey: string;
  /** ISO-8601 UTC time it was raised. */
  at: string;
}

/** Where alerts go. `send` throws when delivery fails. */
export interface AlertChannel {
  name: string;
  send(alert: Alert): Promise<void>;
}

export interface RequestSample {
  at: number;
  ok: boolean;
  latencyMs: number;
}

export interface FailedDocumentSample {
  at: number;
  fileName: string;
  code: string;
}

export interface CostTotals {
  dailyUsd: number;
  monthlyUsd: number;
}

/**
 * Spend committed since the last report: what it cost and the day's and month's totals right after it (it included).
 * A level is crossed when the total before (`*BeforeUsd`, default total − costUsd) is under it and the total after is
 * at or above it.
 */
export interface SpendCommit extends CostTotals {
  costUsd: number;
  /** The day's total before this spend (default `dailyUsd − costUsd`). */
  dailyBeforeUsd?: number;
  /** The month's total before this spend (default `monthlyUsd − costUsd`). */
  monthlyBeforeUsd?: number;
  /** Milliseconds since the epoch (set by the manager). */
  at: number;
}

/** What the manager knows when rules are evaluated. */
export interface AlertFacts {
  /** Milliseconds since the epoch. */
  now: number;
  /** Requests in the retention window, oldest first. */
  requests: readonly RequestSample[];
  /** Latest spend totals (undefined until `recordCost` or `recordSpendCommit`). */
  cost: (CostTotals & { at: number }) | undefined;
  /** Spend committed since the last evaluation, oldest first (each commit is evaluated once). */
  spendCommits: readonly SpendCommit[];
  breaker: { state: BreakerState; since: number };
  /** Failed documents in the retention window, oldest first. */
  failedDocuments: readonly FailedDocumentSample[];
}

/** An alert as a rule produces it; `at` defaults to the evaluation time. */
export type AlertDraft = Omit<Alert, 'at'> & { at?: string };

export interface AlertRule {
  name: string;
  evaluate(facts: AlertFacts): AlertDraft[];
}

export interface DefaultAlertRulesOptions {
  /** Error-rate threshold as a fraction (default 0.05 = 5 %). */
  errorRate?: number;
  /** Window for error rate and p95 latency (default 5 minutes). */
  windowMs?: number;
  /** Fewest requests in the window before rate/latency rules judge (default 20). */
  minRequests?: number;
  /** p95 request latency threshold (default 2000 ms, the seed's target). */
  p95LatencyMs?: number;
  /** Spend levels for daily and monthly totals (default the seed's $10/$50/$100). */
  costLevelsUsd?: number[];
  /** Override levels for the daily total only. */
  dailyCostLevelsUsd?: number[];
  /** Override levels for the monthly total only. */
  monthlyCostLevelsUsd?: number[];
  /** Failed documents in the last hour that raise an alert (default 5). */
  failedDocsPerHour?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const fmtWindow = (ms: number): string => (ms % MINUTE === 0 ? `${ms / MINUTE} min` : `${ms / 1000} s`);
/**
 * Dollars with enough digits to mean something: cents from $1 up, otherwise three significant digits
 * (`$0.00926`, `$0.001`), never `$0.00` for a non-zero amount.
 */
export function formatUsd(x: number): string {
  if (!Number.isFinite(x)) return `$${x}`;
  if (x === 0) return '$0';
  const sign = x < 0 ? '-' : '';
  const abs = Math.abs(x);
  if (abs >= 1) return `${sign}$${abs.toFixed(2)}`;
  // three significant digits, at least two decimals; zeros beyond the second decimal dropped
  const decimals = Math.min(12, Math.max(2, Math.ceil(-Math.log10(abs)) + 2));
  return `${sign}$${abs.toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}
const usd = formatUsd;

function inWindow<T extends { at: number }>(samples: readonly T[], now: number, windowMs: number): T[] {
  return samples.filter((s) => s.at > now - windowMs && s.at <= now);
}

/** Nearest-rank percentile (p in 0..1) of the values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

/** Fires when more than `threshold` of requests in the window failed (critical above 50 %). */
export function errorRateRule(
  opts: { threshold?: number | undefined; windowMs?: number | undefined; minRequests?: number | undefined } = {},
): AlertRule {
  const threshold = opts.threshold ?? 0.05;
  const windowMs = opts.windowMs ?? 5 * MINUTE;
  const minRequests = opts.minRequests ?? 20;
  return {
    name: 'error_rate',
    evaluate(facts) {
      const window = inWindow(facts.requests, facts.now, windowMs);
      if (window.length < minRequests) return [];
      const failed = window.filter((s) => !s.ok).length;
      const rate = failed / window.length;
      if (rate <= threshold) return [];
      return [
        {
          rule: 'error_rate',
          severity: rate >= 0.5 ? 'critical' : 'warning',
          summary: `Error rate ${pct(rate)} over the last ${fmtWindow(windowMs)} (${failed} of ${window.length} requests) exceeds ${pct(threshold)}`,
          details: { errorRate: rate, failed, requests: window.length, threshold, windowMs },
          dedupeKey: 'error_rate',
        },
      ];
    },
  };
}

/** Fires when the p95 request latency in the window exceeds `p95LatencyMs`. */
export function p95LatencyRule(
  opts: { p95LatencyMs?: number | undefined; windowMs?: number | undefined; minRequests?: number | undefined } = {},
): AlertRule {
  const limit = opts.p95LatencyMs ?? 2000;
  const windowMs = opts.windowMs ?? 5 * MINUTE;
  const minRequests = opts.minRequests ?? 20;
  return {
    name: 'p95_latency',
    evaluate(facts) {
      const window = inWindow(facts.requests, facts.now, windowMs);
      if (window.length < minRequests) return [];
      const p95 = percentile(
        window.map((s) => s.latencyMs),
        0.95,
      );
      if (p95 <= limit) return [];
      return [
        {
          rule: 'p95_latency',
          severity: 'warning',
          summary: `p95 latency ${Math.round(p95)} ms over the last ${fmtWindow(windowMs)} exceeds ${limit} ms`,
          details: { p95LatencyMs: p95, thresholdMs: limit, requests: window.length, windowMs },
          dedupeKey: 'p95_latency',
        },
      ];
    },
  };
}

function severityForLevel(index: number, count: number): AlertSeverity {
  if (index === count - 1) return 'critical';
  if (index === count - 2) return 'warning';
  return 'info';
}

/**
 * Fires at the commit that crosses a level, for the UTC day's total and the UTC month's total: a level is crossed by a
 * commit when the total before it (total − its cost) was under the level and the total after it is at or above it.
 * Crossing $10 then $50 gives two alerts; spend that was already above a level when the process started gives none (the
 * command whose commit crossed it alerted). When one commit crosses several levels only the highest is reported. Top
 * level is critical, the one below warning, lower ones info. Within one process a level fires at most once per period.
 */
export function costLevelRule(
  opts: {
    levelsUsd?: number[] | undefined;
    dailyLevelsUsd?: number[] | undefined;
    monthlyLevelsUsd?: number[] | undefined;
  } = {},
): AlertRule {
  const base = opts.levelsUsd ?? [10, 50, 100];
  const sorted = (xs: number[]): number[] => [...new Set(xs)].filter((x) => x > 0).sort((a, b) => a - b);
  const periods = [
    { name: 'daily' as const, levels: sorted(opts.dailyLevelsUsd ?? base), key: (d: string) => d.slice(0, 10) },
    { name: 'monthly' as const, levels: sorted(opts.monthlyLevelsUsd ?? base), key: (d: string) => d.slice(0, 7) },
  ];
  const fired = new Set<string>();
  let lastPeriodKeys = '';
  return {
    name: 'cost_levels',
    evaluate(facts) {
      if (facts.spendCommits.length === 0) return [];
      const iso = new Date(facts.now).toISOString();
      const periodKeys = periods.map((p) => p.key(iso)).join('|');
      if (periodKeys !== lastPeriodKeys) {
        // forget keys of past periods (the set only ever holds the current day/month)
        for (const k of fired) if (!periods.some((p) => k.startsWith(`${p.name}:${p.key(iso)}:`))) fired.delete(k);
        lastPeriodKeys = periodKeys;
      }
      const out: AlertDraft[] = [];
      for (const commit of facts.spendCommits) {
        const commitIso = new Date(commit.at).toISOString();
        for (const period of periods) {
          const total = period.name === 'daily' ? commit.dailyUsd : commit.monthlyUsd;
          const before =
            (period.name === 'daily' ? commit.dailyBeforeUsd : commit.monthlyBeforeUsd) ??
            total - Math.max(commit.costUsd, 0);
          const periodKey = period.key(commitIso);
          let highest = -1;
          period.levels.forEach((level, i) => {
            if (before < level && total >= level) highest = i;
          });
          if (highest < 0) continue;
          const level = period.levels[highest] ?? 0;
          const key = `${period.name}:${periodKey}:${level}`;
          if (fired.has(key)) continue;
          for (const l of period.levels.slice(0, highest + 1)) fired.add(`${period.name}:${periodKey}:${l}`);
          out.push({
            rule: `cost_${period.name}`,
            severity: severityForLevel(highest, period.levels.length),
            summary: `${period.name === 'daily' ? 'Daily' : 'Monthly'} spend ${usd(total)} crossed the ${usd(level)} level (${periodKey})`,
            details: {
              period: period.name,
              periodKey,
              totalUsd: total,
              levelUsd: level,
              commitUsd: commit.costUsd,
            },
            dedupeKey: `cost_${period.name}:${periodKey}:${level}`,
          });
        }
      }
      return out;
    },
  };
}

/** Fires while the upstream circuit breaker is open (repeats are governed by the manager's interval). */
export function breakerOpenRule(): AlertRule {
  return {
    name: 'breaker_open',
    evaluate(facts) {
      if (facts.breaker.state !== 'open') return [];
      return [
        {
          rule: 'breaker_open',
          severity: 'critical',
          summary: `Upstream circuit breaker open since ${new Date(facts.breaker.since).toISOString()}; model calls are being refused`,
          details: { since: new Date(facts.breaker.since).toISOString(), openForMs: facts.now - facts.breaker.since },
          dedupeKey: 'breaker_open',
        },
      ];
    },
  };
}

/** Fires when at least `perHour` documents failed in the last hour. */
export function failedDocumentsRule(opts: { perHour?: number | undefined } = {}): AlertRule {
  const limit = Math.max(1, opts.perHour ?? 5);
  return {
    name: 'failed_documents',
    evaluate(facts) {
      const window = inWindow(facts.failedDocuments, facts.now, HOUR);
      if (window.length < limit) return [];
      const codes: Record<string, number> = {};
      for (const f of window) codes[f.code] = (codes[f.code] ?? 0) + 1;
      return [
        {
          rule: 'failed_documents',
          severity: 'warning',
          summary: `${window.length} documents failed in the last hour (threshold ${limit})`,
          details: {
            count: window.length,
            threshold: limit,
            codes,
            recent: window.slice(-5).map((f) => ({ fileName: f.fileName, code: f.code })),
          },
          dedupeKey: 'failed_documents',
        },
      ];
    },
  };
}

/** The standard rule set: error rate, p95 latency, daily/monthly cost levels, breaker open, failed documents. */
export function defaultAlertRules(opts: DefaultAlertRulesOptions = {}): AlertRule[] {
  return [
    errorRateRule({ threshold: opts.errorRate, windowMs: opts.windowMs, minRequests: opts.minRequests }),
    p95LatencyRule({ p95LatencyMs: opts.p95LatencyMs, windowMs: opts.windowMs, minRequests: opts.minRequests }),
    costLevelRule({
      levelsUsd: opts.costLevelsUsd,
      dailyLevelsUsd: opts.dailyCostLevelsUsd,
      monthlyLevelsUsd: opts.monthlyCostLevelsUsd,
    }),
    breakerOpenRule(),
    failedDocumentsRule({ perHour: opts.failedDocsPerHour }),
  ];
}

export interface AlertManagerOptions {
  channels: AlertChannel[];
  /** Default {@link defaultAlertRules}(). */
  rules?: AlertRule[];
  /** Minimum time between two alerts with the same dedupeKey (default 15 minutes). */
  minIntervalMs?: number;
  /** At most this many alerts in any hour, across keys (default 30); excess is dropped and logged. */
  maxPerHour?: number;
  /** How long request and failed-document samples are kept (default 1 hour). */
  retentionMs?: number;
  /** Cap on kept request samples (default 10,000; oldest dropped). */
  maxSamples?: number;
  /** Milliseconds clock (default `Date.now`). */
  clock?: () => number;
  logger?: Logger;
}

/** Outcome of {@link AlertManager.fire}. */
export type FireResult = 'sent' | 'duplicate' | 'rate_limited';

/**
 * Collects facts (requests, spend, breaker state, failed documents), evaluates rules and fans
 * alerts out to channels, with per-key de-duplication and a global hourly rate limit.
 */
export class AlertManager {
  private readonly channels: AlertChannel[];
  private readonly rules: AlertRule[];
  private readonly minIntervalMs: number;
  private readonly maxPerHour: number;
  private readonly retentionMs: number;
  private readonly maxSamples: number;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private requests: RequestSample[] = [];
  private failedDocs: FailedDocumentSample[] = [];
  private cost: (CostTotals & { at: number }) | undefined;
  private spendCommits: SpendCommit[] = [];
  private breaker: { state: BreakerState; since: number };
  private readonly lastSent = new Map<string, number>();
  private sentTimes: number[] = [];
  private readonly sentAlerts: Alert[] = [];
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AlertManagerOptions) {
    this.channels = [...options.channels];
    this.rules = options.rules ?? defaultAlertRules();
    this.minIntervalMs = options.minIntervalMs ?? 15 * MINUTE;
    this.maxPerHour = options.maxPerHour ?? 30;
    this.retentionMs = options.retentionMs ?? HOUR;
    this.maxSamples = options.maxSamples ?? 10_000;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? noopLogger;
    this.breaker = { state: 'closed', since: this.clock() };
  }

  recordRequest(ok: boolean, latencyMs: number): void {
    this.requests.push({ at: this.clock(), ok, latencyMs });
    if (this.requests.length > this.maxSamples) this.requests.splice(0, this.requests.length - this.maxSamples);
  }

  /** Latest spend totals for the current day and month (from the cost ledger). */
  recordCost(totals: CostTotals): void {
    this.cost = { dailyUsd: totals.dailyUsd, monthlyUsd: totals.monthlyUsd, at: this.clock() };
  }

  /**
   * A spend was committed (an extraction's cost is in the ledger): `costUsd` is its cost, `dailyUsd`/`monthlyUsd` the
   * UTC day's and month's totals right after it, it included. The cost-level rule alerts when this commit crossed a
   * level; call {@link evaluate} after it.
   */
  recordSpendCommit(commit: Omit<SpendCommit, 'at'>): void {
    const at = this.clock();
    this.cost = { dailyUsd: commit.dailyUsd, monthlyUsd: commit.monthlyUsd, at };
    this.spendCommits.push({ ...commit, at });
    if (this.spendCommits.length > this.maxSamples)
      this.spendCommits.splice(0, this.spendCommits.length - this.maxSamples);
  }

  recordBreaker(state: BreakerState): void {
    if (state !== this.breaker.state) this.breaker = { state, since: this.clock() };
  }

  recordFailedDocument(info: { fileName: string; code: string }): void {
    this.failedDocs.push({ at: this.clock(), fileName: info.fileName, code: info.code });
    if (this.failedDocs.length > this.maxSamples) this.failedDocs.splice(0, this.failedDocs.length - this.maxSamples);
  }

  /** Runs every rule and fires what is due; returns the alerts actually sent. */
  async evaluate(): Promise<Alert[]> {
    const now = this.clock();
    this.prune(now);
    const spendCommits = this.spendCommits;
    this.spendCommits = [];
    const facts: AlertFacts = {
      now,
      requests: this.requests,
      cost: this.cost,
      spendCommits,
      breaker: this.breaker,
      failedDocuments: this.failedDocs,
    };
    const at = new Date(now).toISOString();
    const sent: Alert[] = [];
    for (const rule of this.rules) {
      let drafts: AlertDraft[];
      try {
        drafts = rule.evaluate(facts);
      } catch (err) {
        this.logger.error({ rule: rule.name, err }, 'alert rule failed to evaluate');
        continue;
      }
      for (const d of drafts) {
        const alert: Alert = { ...d, at: d.at ?? at };
        if ((await this.fire(alert)) === 'sent') sent.push(alert);
      }
    }
    return sent;
  }

  /**
   * De-duplicates (same dedupeKey within minIntervalMs), rate-limits (maxPerHour), then sends to
   * every channel in parallel; one channel failing does not stop the others (failures are logged).
   */
  async fire(alert: Alert): Promise<FireResult> {
    const now = this.clock();
    const last = this.lastSent.get(alert.dedupeKey);
    if (last !== undefined && now - last < this.minIntervalMs) {
      this.logger.debug({ rule: alert.rule, dedupeKey: alert.dedupeKey }, 'alert suppressed as duplicate');
      return 'duplicate';
    }
    this.sentTimes = this.sentTimes.filter((t) => t > now - HOUR);
    if (this.sentTimes.length >= this.maxPerHour) {
      this.suppressed++;
      this.logger.warn(
        { rule: alert.rule, dedupeKey: alert.dedupeKey, maxPerHour: this.maxPerHour },
        'alert dropped: hourly alert limit reached',
      );
      return 'rate_limited';
    }
    this.lastSent.set(alert.dedupeKey, now);
    this.sentTimes.push(now);
    this.sentAlerts.push(alert);
    if (this.sentAlerts.length > 1000) this.sentAlerts.splice(0, this.sentAlerts.length - 1000);

    const logFields = {
      alert: { rule: alert.rule, severity: alert.severity, dedupeKey: alert.dedupeKey, details: alert.details },
    };
    if (alert.severity === 'critical') this.logger.error(logFields, alert.summary);
    else if (alert.severity === 'warning') this.logger.warn(logFields, alert.summary);
    else this.logger.info(logFields, alert.summary);

    const results = await Promise.allSettled(this.channels.map((c) => c.send(alert)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const reason: unknown = r.reason;
        this.logger.warn(
          {
            channel: this.channels[i]?.name,
            rule: alert.rule,
            error: reason instanceof Error ? reason.message : String(reason),
          },
          'alert channel failed',
        );
      }
    });
    return 'sent';
  }

  /** Alerts sent so far (most recent 1,000). */
  history(): Alert[] {
    return [...this.sentAlerts];
  }

  /** Alerts dropped by the hourly limit. */
  get suppressedCount(): number {
    return this.suppressed;
  }

  /** Evaluates every `intervalMs` (default 1 minute) until {@link stop}. The timer does not keep the process alive. */
  start(intervalMs = MINUTE): void {
    this.stop();
    this.timer = setInterval(() => {
      this.evaluate().catch((err: unknown) => this.logger.error({ err }, 'alert evaluation failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private prune(now: number): void {
    const cutoff = now - this.retentionMs;
    if (this.requests[0] && this.requests[0].at <= cutoff) this.requests = this.requests.filter((s) => s.at > cutoff);
    if (this.failedDocs[0] && this.failedDocs[0].at <= cutoff)
      this.failedDocs = this.failedDocs.filter((s) => s.at > cutoff);
    for (const [key, t] of this.lastSent) if (now - t >= this.minIntervalMs) this.lastSent.delete(key);
  }
}
