import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';

/** The header the server wants with every change made with the session cookie. */
export const CSRF_HEADER = 'x-csrf-token';

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<(message: string) => void>();

/** Remembers the session's CSRF token (from sign-in or GET /v1/session). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called when the server says the session is gone (expired or signed out elsewhere). */
export function onUnauthorized(listener: (message: string) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function notifyUnauthorized(message: string): void {
  for (const l of unauthorizedListeners) l(message);
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
  async onResponse({ request, response }) {
    const url = new URL(request.url, window.location.origin);
    if (response.status === 401 && url.pathname !== '/v1/session') {
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { error?: { message?: string } } | null;
      notifyUnauthorized(body?.error?.message ?? 'Please sign in.');
    }
    return response;
  },
};

/** The one way the page talks to the server: typed from the server's OpenAPI document (schema.d.ts). */
export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  credentials: 'same-origin',
});
api.use(session);

export type Paths = paths;
