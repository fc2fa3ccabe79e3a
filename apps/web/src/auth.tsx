import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, onUnauthorized, setCsrfToken } from './api/client.js';
import { unwrap } from './api/errors.js';
import type { Session } from './api/models.js';

export type AuthState =
  { status: 'checking' } | { status: 'signed-out'; reason: string | null } | { status: 'signed-in'; session: Session };

interface AuthApi {
  state: AuthState;
  signIn: (token: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthApi | null>(null);

export function useAuth(): AuthApi {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside <AuthProvider>');
  return ctx;
}

/** Knows whether the browser has a live session; signs in and out through /v1/session. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'checking' });

  useEffect(() => {
    let cancelled = false;
    void api.GET('/v1/session').then(
      ({ data, error }) => {
        if (cancelled) return;
        if (data) {
          setCsrfToken(data.csrfToken);
          setState({ status: 'signed-in', session: data });
          return;
        }
        // A session that ran out says so; a browser that never signed in just sees the form.
        const body = error as { error?: { code?: string; message?: string } } | undefined;
        const expired = body?.error?.code === 'SESSION_EXPIRED';
        setState({ status: 'signed-out', reason: expired ? (body?.error?.message ?? null) : null });
      },
      () => !cancelled && setState({ status: 'signed-out', reason: null }),
    );
    const off = onUnauthorized((message) => {
      setCsrfToken(null);
      setState({ status: 'signed-out', reason: message });
    });
    return () => {
      cancelled = true;
      off();
    };
  }, []);

  const signIn = useCallback(async (token: string) => {
    const session = await unwrap<Session>(api.POST('/v1/session', { body: { token } }));
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', session });
  }, []);

  const signOut = useCallback(async () => {
    await api.DELETE('/v1/session').catch(() => undefined);
    setCsrfToken(null);
    setState({ status: 'signed-out', reason: 'You are signed out.' });
  }, []);

  return <AuthContext.Provider value={{ state, signIn, signOut }}>{children}</AuthContext.Provider>;
}
