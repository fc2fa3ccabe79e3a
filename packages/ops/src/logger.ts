import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';
import { RotatingFileStream } from './rotating-file.js';

/** The logging surface every autod package depends on (pino's logger satisfies it). */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  child(bindings: object): Logger;
  flush?(): void;
}

export interface LoggerCreateOptions {
  /** pino level: trace, debug, info (default), warn, error, fatal, silent. */
  level?: string;
  /** Human-readable output (pino-pretty). Default: the destination (or stdout) is a TTY. */
  pretty?: boolean | undefined;
  /** Also append JSON lines to this file, rotated by size (`file.1` … `file.N`). */
  file?: string;
  /** Rotation size for `file` (default 10 MiB). */
  fileMaxBytes?: number;
  /** Rotated files kept for `file` (default 5). */
  fileMaxFiles?: number;
  /** `name` field on every line (default "autod"). */
  name?: string;
  /** Extra redaction paths, added to {@link DEFAULT_REDACT_PATHS}. */
  redact?: string[];
  /** Literal secret values (API key, DB password, …) scrubbed from every field and message. */
  secrets?: (string | undefined)[];
  /** Where lines go instead of stdout. */
  destination?: NodeJS.WritableStream;
}

export const REDACTED = '[REDACTED]';

const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'apikey',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'bearerToken',
  'password',
  'passwd',
  'pass',
  'secret',
  'clientSecret',
  'routingKey',
  'routing_key',
  'webhookUrl',
  'authorization',
  'cookie',
  'OPENAI_API_KEY',
  'AUTOD_API_TOKEN',
  'AUTOD_DB_PASSWORD',
];

/** Field paths pino redacts by default: secret-named keys up to two levels deep and auth headers. */
export const DEFAULT_REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  '*.headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Shortest literal secret worth scrubbing (shorter values would mangle ordinary text). */
const MIN_SECRET_LENGTH = 6;

interface Target {
  write(line: string): unknown;
  flushSync?(): void;
}

/** Builds a function that replaces every literal secret (and its JSON-escaped form) in a string. */
export function secretScrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) continue;
    needles.add(s);
    needles.add(JSON.stringify(s).slice(1, -1));
  }
  const list = [...needles].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of list) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  };
}

/** pino destination: scrubs literal secrets from each serialised line, then fans out to the targets. */
class ScrubbingDestination implements DestinationStream {
  constructor(
    private readonly targets: Target[],
    private readonly scrub: (text: string) => string,
  ) {}

  write(line: string): void {
    const clean = this.scrub(line);
    for (const t of this.targets) t.write(clean);
  }

  flushSync(): void {
    for (const t of this.targets) {
      try {
        t.flushSync?.();
      } catch {
        // a destination that is not open yet has nothing to flush
      }
    }
  }

  flush(cb: (err?: Error) => void): void {
    this.flushSync();
    cb();
  }
}

function isTty(stream: NodeJS.WritableStream | undefined): boolean {
  const s = (stream ?? process.stdout) as NodeJS.WritableStream & { isTTY?: boolean };
  return s.isTTY === true;
}

/**
 * Creates autod's structured logger: pino JSON lines (pretty on a TTY), default redaction of
 * secret-named fields and auth headers, literal secret values scrubbed everywhere, optional
 * size-rotated file.
 */
/** pino-pretty, loaded only for a terminal (a service or a pipe logs JSON lines and never needs it). */
function pretty(options: PinoPretty.PrettyOptions): ReturnType<typeof PinoPretty> {
  const load = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return load(options);
}

export function createLogger(options: LoggerCreateOptions = {}): Logger {
  const usePretty = options.pretty ?? isTty(options.destination);
  const console: Target = usePretty
    ? pretty({
        colorize: isTty(options.destination),
        destination: options.destination ?? 1,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  const targets: Target[] = [console];
  if (options.file) {
    targets.push(
      new RotatingFileStream(options.file, { maxBytes: options.fileMaxBytes, maxFiles: options.fileMaxFiles }),
    );
  }
  const pinoOptions: LoggerOptions = {
    name: options.name ?? 'autod',
    level: options.level ?? 'info',
    redact: { paths: [...DEFAULT_REDACT_PATHS, ...(options.redact ?? [])], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    formatters: { level: (label) => ({ level: label }) },
  };
  const logger = pino(pinoOptions, new ScrubbingDestination(targets, secretScrubber(options.secrets ?? [])));
  return logger;
}

function noop(): void {
  // intentionally empty
}

/** A logger that drops everything (the default wherever a logger is optional). */
export const noopLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => noopLogger,
  flush: noop,
};

/** A fresh request/correlation id (UUID v4). */
export function newRequestId(): string {
  return randomUUID();
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Uses an incoming `x-request-id` header if it is sane, otherwise makes a new id. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID_RE.test(value) ? value : newRequestId();
}
