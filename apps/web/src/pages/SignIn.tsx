import { useState, type FormEvent } from 'react';
import { toApiError, type ApiError } from '../api/errors.js';
import { useAuth } from '../auth.js';
import { ErrorNotice, usePageTitle } from '../components/ui.js';

export function SignIn({ reason }: { reason: string | null }) {
  const { signIn } = useAuth();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const headingRef = usePageTitle('Sign in');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <form className="card signin-card" onSubmit={(e) => void submit(e)}>
        <h1 ref={headingRef} tabIndex={-1}>
          Sign in to autod
        </h1>
        {reason ? (
          <p className="notice" role="status">
            {reason}
          </p>
        ) : null}
        <p>
          Enter the server token: the value of <code>AUTOD_SERVER_TOKEN</code> that <code>autod serve</code> was started
          with.
        </p>
        <label htmlFor="token">Server token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          required
          minLength={16}
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <ErrorNotice error={error} />
        <button type="submit" className="button button-primary" disabled={busy || token.trim().length === 0}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
