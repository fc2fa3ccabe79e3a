import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Database } from '@autod/db';
import { errorFor, type AutodError } from '@autod/errors';

/** Name of the session cookie (httpOnly, SameSite=Strict, Secure over TLS). */
export const SESSION_COOKIE = 'autod_session';
/** Header a page sends with every state-changing request made with the session cookie. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface SessionAuthOptions {
  db: Database;
  /** Session lifetime from sign-in. */
  ttlMs: number;
  /** Epoch-ms clock (tests). */
  now?: () => number;
}

export interface NewSession {
  /** The cookie value (shown to the browser once, never stored). */
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export type AuthResult =
  | { ok: true; via: 'bearer' }
  | { ok: true; via: 'session'; csrfToken: string; expiresAt: Date }
  | { ok: false; status: 401 | 403; error: AutodError; bearerChallenge: boolean };

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Reads one cookie from a `Cookie` header (no dependency for one name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `Set-Cookie` for a session (or its removal when `value` is empty). */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSec: number }): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSec))}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Same-origin check for cookie-authenticated requests: `Sec-Fetch-Site` (sent by every current browser) must be
 * `same-origin` (or `none`: typed by the person), and an `Origin` header, when present, must be this server's.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  if (!host) return false;
  try {
    // Both through URL, so that default ports compare equal (http://h:80 = http://h).
    return new URL(origin).origin === new URL(`${request.protocol}://${host}`).origin;
  } catch {
    return false;
  }
}

/**
 * Server-side web sessions beside the bearer token. The browser holds a random 256-bit id in an httpOnly cookie;
 * the database holds only its SHA-256. The CSRF token is an HMAC of the id (synchronizer token: the server can
 * recompute it, a page of another site can neither read nor guess it).
 */
export class SessionAuth {
  private readonly now: () => number;

  constructor(private readonly options: SessionAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  csrfFor(id: string): string {
    return createHmac('sha256', id).update('autod csrf v1').digest('base64url');
  }

  async create(userAgent?: string): Promise<NewSession> {
    const id = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now() + this.options.ttlMs);
    await this.options.db.sessions.create({ idHash: sha256Hex(id), expiresAt, userAgent: userAgent ?? null });
    // Opportunistic clean-up of old rows (cheap: indexed by expiry).
    await this.options.db.sessions.purgeExpired();
    return { id, csrfToken: this.csrfFor(id), expiresAt };
  }

  async destroy(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.options.db.sessions.delete(sha256Hex(id));
  }

  /**
   * Authenticates a request that carries no bearer token: a live session cookie, and for a state-changing method
   * the same origin and the session's CSRF token in `X-CSRF-Token`.
   */
  async check(request: FastifyRequest): Promise<AuthResult> {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (id === undefined || id === '') {
      return {
        ok: false,
        status: 401,
        bearerChallenge: true,
        error: errorFor('UNAUTHORIZED', 'This endpoint needs a bearer token or a signed-in session.'),
      };
    }
    const session = SESSION_ID.test(id) ? await this.options.db.sessions.findActive(sha256Hex(id)) : undefined;
    if (!session) {
      return {
        ok: false,
        status: 401,
        bearerChallenge: false,
        error: errorFor('SESSION_EXPIRED', 'Your session has expired or was signed out.'),
      };
    }
    const csrfToken = this.csrfFor(id);
    if (!SAFE_METHODS.has(request.method)) {
      if (!sameOrigin(request)) {
        return {
          ok: false,
          status: 403,
          bearerChallenge: false,
          error: errorFor('CSRF_REJECTED', 'Refused: the request did not come from an autod page of this server.'),
        };
      }
      const header = request.headers[CSRF_HEADER];
      const given = Buffer.from(typeof header === 'string' ? header : '', 'utf8');
      const expected = Buffer.from(csrfToken, 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return {
          ok: false,
          status: 403,
          bearerChallenge: false,
          error: errorFor('CSRF_REJECTED', `Refused: the request lacks the session's ${CSRF_HEADER} header.`),
        };
      }
    }
    return { ok: true, via: 'session', csrfToken, expiresAt: session.expiresAt };
  }
}
