import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Highlight } from '../components/PdfViewer.js';
import { calls, documentRow, mockApi, renderAt } from '../test-utils.js';
import DocumentPage, { changedFields } from './Document.js';

// pdf.js needs a real canvas: the viewer is replaced by a stand-in that shows what it was asked to highlight.
vi.mock('../components/PdfViewer.js', () => ({
  default: ({ page, highlight }: { page: number; highlight: Highlight | null }) => (
    <div data-testid="viewer">
      page {page}
      {highlight?.box ? ` box ${highlight.label} ${highlight.box.x0}` : ''}
    </div>
  ),
}));

const metadata = {
  title: 'Electricity March',
  summary: 'Your bill.',
  issuer: 'Stadtwerke Nord',
  customer: null,
  primary_date: '2024-03-15',
  doc_type: 'electricity bill',
  category: 'Financial & Administrative',
  subcategory: 'Bills',
  deadline: '2024-04-01',
  key_points: [],
  action_items: [
    {
      description: 'Pay the bill',
      assignee_suggestion: null,
      due: '2024-04-01',
      priority: 'high',
      blocking: null,
      rationale: null,
    },
  ],
  tags: [],
  extracted_fields: { total_amount: 120.5, currency: 'EUR', invoice_number: 'INV-1', due_date: null },
  field_evidence: {
    issuer: {
      confidence: 0.95,
      page: 2,
      source_text: 'Stadtwerke Nord GmbH',
      box: { x0: 0.1, y0: 0.05, x1: 0.5, y1: 0.08 },
    },
    total_amount: { confidence: 0.4, page: 1, source_text: 'Total 120,50', box: null },
  },
};

describe('changedFields', () => {
  it('sends only what changed; empty clears; amounts are numbers', () => {
    const doc = documentRow({ metadata });
    expect(
      changedFields(doc as never, { issuer: 'Stadtwerke Nord', total_amount: '99.5', customer: '', due_date: '' }),
    ).toEqual({
      total_amount: 99.5,
    });
    expect(changedFields(doc as never, { invoice_number: '  ' })).toEqual({ invoice_number: null });
  });
});

describe('<DocumentPage>', () => {
  it('shows fields with confidence, highlights evidence on hover, lists attempts, and saves a correction', async () => {
    let current = documentRow({
      metadata,
      pageCount: 2,
      needsReview: true,
      reviewReasons: ['total_amount: confidence 0.40'],
    });
    const trail: unknown[] = [];
    mockApi({
      'GET /v1/documents/1': () => ({
        status: 'completed',
        document: current,
        attempts: [
          {
            id: 9,
            attemptNo: 1,
            provider: 'openai',
            model: 'gpt-5-mini',
            status: 'succeeded',
            inputTokens: 1000,
            outputTokens: 200,
            costUsd: 0.0021,
            latencyMs: 2300,
            errorCode: null,
            errorMessage: null,
            createdAt: '2024-03-16T10:00:00.000Z',
          },
        ],
        duplicates: [
          { id: 3, sha256: 'b'.repeat(64), fileName: 'bill (1).pdf', detectedAt: '2024-03-17T10:00:00.000Z' },
        ],
      }),
      'GET /v1/documents/1/corrections': () => ({ items: trail }),
      'PATCH /v1/documents/1': (c) => {
        current = { ...current, issuer: 'Stadtwerke Nord GmbH' };
        trail.push({
          id: 1,
          documentId: 1,
          kind: 'correct',
          field: 'issuer',
          value: 'Stadtwerke Nord GmbH',
          previous: 'Stadtwerke Nord',
          actor: 'http',
          note: null,
          at: '2024-03-18T10:00:00.000Z',
        });
        return { document: current, corrections: trail, echo: c.body };
      },
    });
    renderAt('/documents/1', <DocumentPage id="1" />);
    expect(await screen.findByRole('heading', { name: 'Electricity March' })).toBeTruthy();
    expect(screen.getByText('95 %', { exact: false })).toBeTruthy();
    expect(screen.getByText('gpt-5-mini')).toBeTruthy();
    expect(screen.getByText('$0.0021')).toBeTruthy();
    expect(screen.getByText('Pay the bill')).toBeTruthy();
    expect(screen.getByText('bill (1).pdf')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Download original' }).getAttribute('href')).toBe(
      '/v1/documents/1/original',
    );
    expect(screen.getByRole('link', { name: 'Download archive PDF' }).getAttribute('href')).toBe(
      '/v1/documents/1/file',
    );

    const viewer = await screen.findByTestId('viewer');
    const issuerRow = document.querySelector('[data-field="issuer"]')!;
    fireEvent.mouseEnter(issuerRow);
    await waitFor(() => expect(viewer.textContent).toBe('page 2 box issuer 0.1'));
    fireEvent.mouseLeave(issuerRow);
    await waitFor(() => expect(viewer.textContent).toBe('page 2'));
    // Thumbnails come from the server's cache.
    const thumbs = [...document.querySelectorAll('img')].map((i) => i.getAttribute('src'));
    expect(thumbs).toEqual(['/v1/documents/1/pages/1/thumbnail', '/v1/documents/1/pages/2/thumbnail']);
    await userEvent.click(screen.getByRole('button', { name: 'Page 1' }));
    await waitFor(() => expect(viewer.textContent).toBe('page 1'));

    await userEvent.click(screen.getByRole('button', { name: 'Edit fields' }));
    const issuer = screen.getByLabelText('Issuer');
    await userEvent.clear(issuer);
    await userEvent.type(issuer, 'Stadtwerke Nord GmbH');
    await userEvent.click(screen.getByRole('button', { name: 'Save corrections' }));
    expect(await screen.findByText(/Saved\. The correction is kept and audited/)).toBeTruthy();
    const patch = calls.find((c) => c.method === 'PATCH');
    expect(patch?.body).toEqual({ fields: { issuer: 'Stadtwerke Nord GmbH' } });
    expect(screen.getByText(/set/).textContent).toContain('"Stadtwerke Nord GmbH"');
  });

  it('shows why a waiting document waits and when it is tried next', async () => {
    mockApi({
      'GET /v1/documents/1': () => ({
        status: 'waiting',
        document: documentRow({
          status: 'waiting',
          errorCode: 'CIRCUIT_OPEN',
          errorMessage: 'The OpenAI circuit breaker is open.',
          retryAt: '2024-03-16T10:05:00.000Z',
        }),
        attempts: [],
        duplicates: [],
      }),
      'GET /v1/documents/1/corrections': () => ({ items: [] }),
    });
    renderAt('/documents/1', <DocumentPage id="1" />);
    expect(await screen.findByText('The OpenAI circuit breaker is open.')).toBeTruthy();
    expect(screen.getByText(/CIRCUIT_OPEN · next try/)).toBeTruthy();
  });

  it('shows a missing document as the catalogue message', async () => {
    mockApi({ 'GET /v1/documents/1/corrections': () => ({ items: [] }) });
    renderAt('/documents/42', <DocumentPage id="42" />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('No route /v1/documents/42.');
  });
});
