import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';

export interface Call {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Headers;
  body: unknown;
}

type Handler = (call: Call) => unknown;

let routes: Record<string, Handler> = {};
export const calls: Call[] = [];

/** A JSON answer with a status (anything else a handler returns is a 200 JSON body). */
export function reply(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** Answers `METHOD /path` (no query) from `handlers`; unknown routes get a 404 in the server's error format. */
export function mockApi(handlers: Record<string, Handler>): void {
  routes = handlers;
  calls.length = 0;
}

export async function fetchMock(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = input instanceof Request ? input : new Request(input, init);
  const url = new URL(request.url);
  const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  const call: Call = {
    method: request.method,
    path: url.pathname,
    search: url.searchParams,
    headers: request.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
  calls.push(call);
  const handler = routes[`${request.method} ${url.pathname}`];
  if (!handler) {
    return reply(404, { error: { code: 'NOT_FOUND', message: `No route ${url.pathname}.`, hint: 'Check the id.' } });
  }
  const result = handler(call);
  return result instanceof Response ? result : reply(200, result);
}

/** Renders `ui` inside a router at `path` (memory location); returns the location hook's history too. */
export function renderAt(path: string, ui: ReactElement): RenderResult & { history: string[] } {
  const location = memoryLocation({ path, record: true });
  const result = render(
    <Router hook={location.hook} searchHook={location.searchHook}>
      {ui}
    </Router>,
  );
  return Object.assign(result, { history: location.history ?? [] });
}

export function documentRow(over: Record<string, unknown> = {}) {
  return {
    id: 1,
    sha256: 'a'.repeat(64),
    fileName: 'bill.pdf',
    sizeBytes: 1000,
    pageCount: 1,
    status: 'completed',
    storagePath: null,
    filedAt: null,
    provider: 'local',
    model: 'autod-rules-v1',
    metadata: null,
    category: 'Financial & Administrative',
    subcategory: 'Bills',
    docType: 'electricity bill',
    issuer: 'Stadtwerke Nord',
    primaryDate: '2024-03-15',
    totalAmount: 120.5,
    currency: 'EUR',
    title: 'Electricity March',
    summary: null,
    confidence: 0.9,
    errorCode: null,
    errorMessage: null,
    attemptCount: 1,
    nearDuplicateOf: null,
    customer: null,
    invoiceNumber: 'INV-1',
    dueDate: null,
    needsReview: false,
    reviewReasons: [],
    createdAt: '2024-03-16T10:00:00.000Z',
    updatedAt: '2024-03-16T10:00:00.000Z',
    ...over,
  };
}
