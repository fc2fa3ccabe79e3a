import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from './App.js';
import { getCsrfToken, notifyUnauthorized } from './api/client.js';
import { calls, mockApi, reply } from './test-utils.js';
import { render } from '@testing-library/react';

const session = { via: 'session', csrfToken: 'csrf-123', expiresAt: '2030-01-01T00:00:00.000Z' };
const unauthorized = () =>
  reply(401, {
    error: {
      code: 'UNAUTHORIZED',
      message: 'The token is wrong.',
      hint: 'Send the header "Authorization: Bearer <AUTOD_SERVER_TOKEN>".',
    },
  });

describe('<App> sign-in', () => {
  it('asks for the token, shows a wrong token as the catalogue message, then signs in and sends the CSRF token', async () => {
    let good = false;
    mockApi({
      'GET /v1/session': () => (good ? session : unauthorized()),
      'POST /v1/session': (c) => {
        if ((c.body as { token: string }).token !== 'right-token-123456') return unauthorized();
        good = true;
        return session;
      },
      'GET /v1/events/recent': () => ({ items: [] }),
      'DELETE /v1/session': () => reply(204, null),
    });
    render(<App />);
    const input = await screen.findByLabelText('Server token');
    await userEvent.type(input, 'wrong-token-123456');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The token is wrong.');

    await userEvent.clear(input);
    await userEvent.type(input, 'right-token-123456');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Inbox' })).toBeTruthy();
    expect(getCsrfToken()).toBe('csrf-123');
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByText('You are signed out.')).toBeTruthy();
    const out = calls.find((c) => c.method === 'DELETE');
    expect(out?.headers.get('x-csrf-token')).toBe('csrf-123');
    expect(getCsrfToken()).toBeNull();
  });

  it('goes back to the sign-in page with the reason when the session expires', async () => {
    mockApi({ 'GET /v1/session': () => session, 'GET /v1/events/recent': () => ({ items: [] }) });
    render(<App />);
    await screen.findByRole('heading', { name: 'Inbox' });
    act(() => notifyUnauthorized('Your session has expired or was signed out.'));
    await waitFor(() => expect(screen.getByText('Your session has expired or was signed out.')).toBeTruthy());
    expect(screen.getByLabelText('Server token')).toBeTruthy();
  });
});
