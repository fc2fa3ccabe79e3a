import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { calls, documentRow, mockApi, renderAt } from '../test-utils.js';
import Review from './Review.js';

describe('<Review>', () => {
  it('is driven by the keyboard: a accepts (PATCH accept) and shows the next one, n skips, e edits', async () => {
    let queue = [
      documentRow({ id: 1, issuer: 'First GmbH', needsReview: true, reviewReasons: ['issuer: confidence 0.40'] }),
      documentRow({ id: 2, issuer: 'Second AG', title: null, needsReview: true }),
      documentRow({ id: 3, issuer: 'Third Ltd', title: null, needsReview: true }),
    ];
    mockApi({
      'GET /v1/review': (c) => {
        const offset = Number(c.search.get('offset'));
        return { items: queue.slice(offset, offset + 1), total: queue.length, limit: 1, offset };
      },
      'PATCH /v1/documents/1': (c) => {
        queue = queue.filter((d) => d.id !== 1);
        return { document: documentRow({ id: 1 }), corrections: [], body: c.body };
      },
    });
    renderAt('/review', <Review />);
    expect(await screen.findByText('1 of 3 to review')).toBeTruthy();
    expect(screen.getByText('issuer: confidence 0.40')).toBeTruthy();

    await userEvent.keyboard('a');
    await waitFor(() => expect(screen.getByText('1 of 2 to review · 1 done in this session')).toBeTruthy());
    const patch = calls.find((c) => c.method === 'PATCH');
    expect(patch?.body).toEqual({ accept: true });
    expect(await screen.findByRole('link', { name: 'Second AG' })).toBeTruthy();

    await userEvent.keyboard('n');
    expect(await screen.findByRole('link', { name: 'Third Ltd' })).toBeTruthy();
    expect(screen.getByText('2 of 2 to review · 1 done in this session')).toBeTruthy();

    await userEvent.keyboard('e');
    const issuer = await screen.findByLabelText('Issuer');
    // Typing in the form does not trigger the shortcuts.
    await userEvent.type(issuer, 'an');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });

  it('says when everything is reviewed', async () => {
    mockApi({ 'GET /v1/review': () => ({ items: [], total: 0, limit: 1, offset: 0 }) });
    renderAt('/review', <Review />);
    expect(await screen.findByText('All caught up.')).toBeTruthy();
    expect(screen.getByText('Nothing to review')).toBeTruthy();
  });
});
