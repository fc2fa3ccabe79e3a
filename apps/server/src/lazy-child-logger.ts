import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** What the parent must offer besides {@link FastifyBaseLogger}: pino's level check. */
type Parent = FastifyBaseLogger & { isLevelEnabled?(level: string): boolean };

/**
 * A request's logger, made on first use. fastify gives every request `parent.child({ requestId })`; with autod's
 * redaction paths (`*.apiKey`, `*.*.token`...) pino runs each child's bindings through the redactor, a few µs per
 * request — most requests never log through it (the request line is written by the request-log hook, health probes
 * at debug). A call at a level the parent does not log is dropped without making the child.
 */
class LazyChildLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  private at(level: LevelName): FastifyBaseLogger | undefined {
    if (this.#child) return this.#child;
    if (this.parent.isLevelEnabled && !this.parent.isLevelEnabled(level)) return undefined;
    return this.real();
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal: FastifyBaseLogger['fatal'] = (...args: unknown[]) => this.call('fatal', args);
  error: FastifyBaseLogger['error'] = (...args: unknown[]) => this.call('error', args);
  warn: FastifyBaseLogger['warn'] = (...args: unknown[]) => this.call('warn', args);
  info: FastifyBaseLogger['info'] = (...args: unknown[]) => this.call('info', args);
  debug: FastifyBaseLogger['debug'] = (...args: unknown[]) => this.call('debug', args);
  trace: FastifyBaseLogger['trace'] = (...args: unknown[]) => this.call('trace', args);
  silent: FastifyBaseLogger['silent'] = () => undefined;

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  private call(level: LevelName, args: unknown[]): void {
    const target = this.at(level);
    if (target) Reflect.apply(target[level], target, args);
  }
}

/**
 * fastify's `childLoggerFactory`: a lazy child ({@link LazyChildLogger}); a route with its own log level gets its
 * child at once (the level is part of it).
 */
export function lazyChildLoggerFactory(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  if (options.level !== undefined) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, options);
}
