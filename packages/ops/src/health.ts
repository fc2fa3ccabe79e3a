export type HealthStatus = 'pass' | 'warn' | 'fail';
export type HealthCheckKind = 'liveness' | 'readiness' | 'startup' | 'dependency';

export interface HealthCheckOutcome {
  status?: HealthStatus;
  details?: object;
}

export interface HealthCheck {
  name: string;
  /**
   * liveness: /health/live; readiness: /health/ready and /health/dependencies;
   * startup: /health/startup; dependency: /health/dependencies only.
   */
  kind: HealthCheckKind;
  /** The check counts as failed after this long (default 80 ms). */
  timeoutMs?: number;
  /** A failing critical check fails the report (default true); a non-critical one only warns. */
  critical?: boolean;
  /** Re-use the last result for this long (e.g. upstream reachability, 30 s). */
  cacheMs?: number;
  /** Resolve (or return `{status, details}`) when healthy; throw when not. Honour `signal`. */
  check(signal: AbortSignal): Promise<void | HealthCheckOutcome>;
}

export interface HealthCheckResult {
  name: string;
  status: HealthStatus;
  latencyMs: number;
  critical: boolean;
  error?: string;
  details?: object;
  /** True when the result came from the `cacheMs` cache. */
  cached?: boolean;
}

export interface HealthReport {
  status: HealthStatus;
  httpStatus: 200 | 503;
  checks: HealthCheckResult[];
  /** ISO-8601 UTC. */
  timestamp: string;
  uptimeSeconds: number;
}

export interface HealthRegistryOptions {
  /** Timeout for checks that do not set one (default 80 ms, so every probe answers < 100 ms). */
  defaultTimeoutMs?: number;
  /** Milliseconds clock (default `Date.now`); injectable for tests of `cacheMs`. */
  now?: () => number;
}

interface CacheEntry {
  at: number;
  result: HealthCheckResult;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Registry of health checks behind `/health/live`, `/health/ready`, `/health/startup` and
 * `/health/dependencies`. Checks run in parallel, each with a timeout, so a hanging dependency
 * makes a report fail fast instead of hanging it.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<HealthCheckResult>>();
  private readonly defaultTimeoutMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private started = false;

  constructor(options: HealthRegistryOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 80;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Adds a check (a later check with the same name replaces the earlier one). */
  register(check: HealthCheck): void {
    this.checks.set(check.name, check);
    this.cache.delete(check.name);
  }

  /** Call once initialisation (migrations, connections) is complete. */
  markStarted(): void {
    this.started = true;
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** Process is alive: liveness checks only (none by default → pass). */
  async live(): Promise<HealthReport> {
    return this.report(await this.runKinds(['liveness']), true);
  }

  /** Ready to serve: started, and every readiness check passes. */
  async ready(): Promise<HealthReport> {
    const results = await this.runKinds(['readiness']);
    if (!this.started) results.unshift(this.startupResult());
    return this.report(results, true);
  }

  /** Startup finished: `markStarted()` was called and startup checks pass. */
  async startup(): Promise<HealthReport> {
    const results = await this.runKinds(['startup']);
    results.unshift(this.startupResult());
    return this.report(results, true);
  }

  /** Every external dependency with its latency; always HTTP 200 (informational). */
  async dependencies(): Promise<HealthReport> {
    return this.report(await this.runKinds(['readiness', 'dependency']), false);
  }

  private startupResult(): HealthCheckResult {
    return this.started
      ? { name: 'startup', status: 'pass', latencyMs: 0, critical: true }
      : { name: 'startup', status: 'fail', latencyMs: 0, critical: true, error: 'initialisation not complete' };
  }

  private report(checks: HealthCheckResult[], failIs503: boolean): HealthReport {
    let status: HealthStatus = 'pass';
    for (const c of checks) {
      if (c.status === 'fail' && c.critical) status = 'fail';
      else if (c.status !== 'pass' && status === 'pass') status = 'warn';
    }
    return {
      status,
      httpStatus: status === 'fail' && failIs503 ? 503 : 200,
      checks,
      timestamp: new Date(this.now()).toISOString(),
      uptimeSeconds: round2((this.now() - this.startedAt) / 1000),
    };
  }

  private runKinds(kinds: HealthCheckKind[]): Promise<HealthCheckResult[]> {
    const selected = [...this.checks.values()].filter((c) => kinds.includes(c.kind));
    return Promise.all(selected.map((c) => this.runCached(c)));
  }

  private runCached(check: HealthCheck): Promise<HealthCheckResult> {
    const cacheMs = check.cacheMs ?? 0;
    if (cacheMs > 0) {
      const hit = this.cache.get(check.name);
      if (hit && this.now() - hit.at < cacheMs) return Promise.resolve({ ...hit.result, cached: true });
    }
    const running = this.inFlight.get(check.name);
    if (running) return running;
    const p = this.runOne(check).then((result) => {
      this.inFlight.delete(check.name);
      if (cacheMs > 0 && this.checks.get(check.name) === check) this.cache.set(check.name, { at: this.now(), result });
      return result;
    });
    this.inFlight.set(check.name, p);
    return p;
  }

  private async runOne(check: HealthCheck): Promise<HealthCheckResult> {
    const timeoutMs = check.timeoutMs ?? this.defaultTimeoutMs;
    const critical = check.critical ?? true;
    const controller = new AbortController();
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref?.();
    });
    const base = { name: check.name, critical };
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => check.check(controller.signal)), timeout]);
      const latencyMs = round2(performance.now() - t0);
      if (outcome === 'timeout') {
        controller.abort(new Error(`timeout after ${timeoutMs}ms`));
        return { ...base, status: 'fail', latencyMs, error: `timeout after ${timeoutMs}ms` };
      }
      const result: HealthCheckResult = { ...base, status: outcome?.status ?? 'pass', latencyMs };
      if (outcome?.details !== undefined) result.details = outcome.details;
      return result;
    } catch (err) {
      return { ...base, status: 'fail', latencyMs: round2(performance.now() - t0), error: errorMessage(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : 'check failed';
}
