import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { calls, documentRow, mockApi, renderAt } from '../test-utils.js';
import Documents, { parseQuery, queryString } from './Documents.js';

describe('Documents URL state', () => {
  it('round-trips filters, search, sort and page through the query string', () => {
    const q = parseQuery(
      'q=water&category=Financial+%26+Administrative&minAmount=10&orderBy=totalAmount&order=asc&page=3&bogus=1',
    );
    expect(q).toEqual({
      q: 'water',
      filters: { category: 'Financial & Administrative', minAmount: '10' },
      orderBy: 'totalAmount',
      order: 'asc',
      page: 3,
    });
    expect(parseQuery(queryString(q).slice(1))).toEqual(q);
    expect(queryString(parseQuery(''))).toBe('');
    expect(parseQuery('orderBy=password').orderBy).toBe('createdAt');
  });
});

describe('<Documents>', () => {
  it('lists documents with the filters from the URL, sorts by a column and pages', async () => {
    mockApi({
      'GET /v1/documents': () => ({
        items: [
          documentRow(),
          documentRow({ id: 2, issuer: 'ACME', needsReview: true, reviewReasons: ['issuer unsure'] }),
        ],
        total: 120,
        limit: 50,
        offset: 0,
      }),
    });
    const view = renderAt('/documents?issuer=acme&needsReview=true', <Documents />);
    const table = await screen.findByRole('table');
    expect(within(table).getByRole('link', { name: 'Stadtwerke Nord' })).toHaveProperty(
      'href',
      expect.stringContaining('/documents/1'),
    );
    expect(within(table).getByText('needs review')).toBeTruthy();
    const first = calls.find((c) => c.path === '/v1/documents')!;
    expect(first.search.get('issuer')).toBe('acme');
    expect(first.search.get('needsReview')).toBe('true');
    expect(first.search.get('limit')).toBe('50');
    expect(screen.getByText('120 documents')).toBeTruthy();
    expect(screen.getByText('Page 1 of 3')).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: /Amount/ }));
    await waitFor(() => expect(view.history.at(-1)).toContain('orderBy=totalAmount'));
    await waitFor(() => expect(calls.at(-1)?.search.get('orderBy')).toBe('totalAmount'));
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(calls.at(-1)?.search.get('offset')).toBe('50'));
    expect(view.history.at(-1)).toContain('page=2');
  });

  it('runs one hybrid search with highlighted snippets when the search box is used', async () => {
    mockApi({
      'GET /v1/documents': () => ({ items: [], total: 0, limit: 50, offset: 0 }),
      'GET /v1/search': () => ({
        query: 'water',
        mode: 'hybrid',
        hits: [{ id: 7, score: 1, snippet: 'your [water] bill', document: documentRow({ id: 7, issuer: 'Water Co' }) }],
      }),
    });
    const view = renderAt('/documents', <Documents />);
    expect(await screen.findByText('No documents yet.')).toBeTruthy();
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search documents' }), 'water{Enter}');
    const mark = await screen.findByText('water', { selector: 'mark' });
    expect(mark).toBeTruthy();
    const search = calls.find((c) => c.path === '/v1/search')!;
    expect(search.search.get('q')).toBe('water');
    expect(search.search.get('mode')).toBe('hybrid');
    expect(search.search.get('limit')).toBeNull(); // the server's SEARCH_DEFAULT_TOP_K
    expect(view.history.at(-1)).toBe('/documents?q=water');
    expect(screen.getByText('1 match for “water”')).toBeTruthy();
  });

  it("shows the catalogue's message and hint when the server refuses", async () => {
    mockApi({
      'GET /v1/documents': () =>
        new Response(
          JSON.stringify({
            error: {
              code: 'VALIDATION_FAILED',
              message: 'Invalid request: querystring.from: must be a date',
              hint: 'Fix the date.',
            },
          }),
          { status: 400, headers: { 'content-type': 'application/json' } },
        ),
    });
    renderAt('/documents?from=2024-13-99', <Documents />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('must be a date');
    expect(alert.textContent).toContain('Fix the date.');
  });
});
