import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockApi, renderAt } from '../test-utils.js';
import Inbox from './Inbox.js';

/** An EventSource stand-in the test can push events through. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, l: (e: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  removeEventListener() {}
  close() {}
  emit(type: string, data: unknown) {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
}

/** An XMLHttpRequest stand-in: reports progress, then answers 202 like the server. */
class FakeXhr {
  static sent: { url: string; headers: Record<string, string>; body: FormData }[] = [];
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = '';
  withCredentials = false;
  private url = '';
  private headers: Record<string, string> = {};
  open(_method: string, url: string) {
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: FormData) {
    FakeXhr.sent.push({ url: this.url, headers: this.headers, body });
    const file = body.get('file') as File;
    queueMicrotask(() => {
      this.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 });
      setTimeout(() => {
        this.status = 202;
        this.responseText = JSON.stringify({
          id: `sha-${file.name}`,
          sha256: `sha-${file.name}`,
          status: 'accepted',
          fileName: file.name,
          sizeBytes: file.size,
          location: '',
        });
        this.onload?.();
      }, 10);
    });
  }
  abort() {}
}

beforeEach(() => {
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  FakeXhr.sent = [];
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.stubGlobal('fetch', (globalThis as { fetch: typeof fetch }).fetch);
});

describe('<Inbox>', () => {
  it("uploads several files with progress, then shows each one's live state with a link or the reason", async () => {
    mockApi({ 'GET /v1/events/recent': () => ({ items: [] }) });
    renderAt('/', <Inbox />);
    expect(await screen.findByText('Nothing uploaded from this page yet.')).toBeTruthy();
    const input = document.querySelector('input[type=file]') as HTMLInputElement;
    expect(input.multiple).toBe(true);
    expect(input.accept).toContain('image/jpeg');
    await userEvent.upload(input, [
      new File(['%PDF-1.4 a'], 'bill.pdf', { type: 'application/pdf' }),
      new File(['jpeg'], 'receipt.jpg', { type: 'image/jpeg' }),
    ]);
    expect(FakeXhr.sent.map((s) => s.url)).toEqual(['/v1/documents', '/v1/documents']);
    expect(await screen.findAllByText('Uploaded, waiting for the server…')).toHaveLength(2);
    const es = FakeEventSource.last!;
    expect(es.url).toBe('/v1/events');
    act(() => {
      es.emit('document', {
        seq: 1,
        sha256: 'sha-bill.pdf',
        fileName: 'bill.pdf',
        state: 'processing',
        documentId: null,
        error: null,
        at: '',
      });
      es.emit('document', {
        seq: 2,
        sha256: 'sha-receipt.jpg',
        fileName: 'receipt.jpg',
        state: 'failed',
        documentId: null,
        error: { code: 'INPUT_NO_TEXT', message: 'No text could be read.', hint: 'Rescan at a higher resolution.' },
        at: '',
      });
    });
    expect(screen.getByText('Processing…')).toBeTruthy();
    expect(screen.getByText('Failed')).toBeTruthy();
    expect(screen.getByText(/No text could be read\./)).toBeTruthy();
    act(() => {
      es.emit('document', {
        seq: 3,
        sha256: 'sha-bill.pdf',
        fileName: 'bill.pdf',
        state: 'processed',
        documentId: 12,
        error: null,
        at: '',
      });
    });
    expect(screen.getByRole('link', { name: 'Open the document' }).getAttribute('href')).toBe('/documents/12');
  });
});
