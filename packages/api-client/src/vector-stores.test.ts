import { describe, expect, test } from 'vitest';
import { emulatorClients } from './__tests__/emulator-clients.js';

const { client } = emulatorClients({}, { model: 'gpt-4o' });

describe('vector stores', () => {
  test('ensure creates once and then reuses by name; attach, search with filters, remove, delete', async () => {
    const c = client();
    const first = await c.vectorStores.ensure('autod-test-store');
    expect(first.created).toBe(true);
    const second = await c.vectorStores.ensure('autod-test-store');
    expect(second).toEqual({ id: first.id, created: false });

    const invoice = await c.uploadFile(
      new TextEncoder().encode('Electricity invoice from Stadtwerke, total 88.20 EUR'),
      'invoice.txt',
      'assistants',
    );
    const letter = await c.uploadFile(
      new TextEncoder().encode('Letter from the tax office about the 2025 assessment'),
      'letter.txt',
      'assistants',
    );
    await c.vectorStores.attachFile(first.id, invoice.id, { doc_type: 'invoice', year: 2026 });
    await c.vectorStores.attachFile(first.id, letter.id, { doc_type: 'letter', year: 2025 });

    const hits = await c.vectorStores.search(first.id, 'electricity invoice', { maxResults: 5 });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]).toMatchObject({ fileId: invoice.id, filename: 'invoice.txt', attributes: { doc_type: 'invoice' } });
    expect(hits[0]!.text).toContain('Stadtwerke');

    const filtered = await c.vectorStores.search(first.id, 'letter invoice', {
      filters: { type: 'eq', key: 'doc_type', value: 'letter' },
    });
    expect(filtered.map((h) => h.fileId)).toEqual([letter.id]);

    await expect(
      c.vectorStores.attachFile(
        first.id,
        letter.id,
        Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      ),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });

    await c.vectorStores.removeFile(first.id, invoice.id);
    const afterRemove = await c.vectorStores.search(first.id, 'electricity invoice');
    expect(afterRemove.map((h) => h.fileId)).not.toContain(invoice.id);
    await c.vectorStores.removeFile(first.id, invoice.id); // idempotent

    await c.vectorStores.delete(first.id);
    await c.vectorStores.delete(first.id); // idempotent
    const third = await c.vectorStores.ensure('autod-test-store');
    expect(third.created).toBe(true);
    expect(third.id).not.toBe(first.id);
  });
});
