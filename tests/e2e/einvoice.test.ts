import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCiiInvoiceXml,
  buildEInvoicePdf,
  eInvoicePrintedLines,
  sampleEInvoice,
  startEmulator,
  type Emulator,
} from '@autod/testkit';
import { runCli } from './helpers.js';

let work: string;
let emulator: Emulator;
const fixture = sampleEInvoice();
let pdf: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-e2e-einvoice-'));
  emulator = await startEmulator();
  pdf = await buildEInvoicePdf(buildCiiInvoiceXml(fixture, 'factur-x-en16931'), {
    printed: eInvoicePrintedLines(fixture),
  });
});
afterAll(async () => {
  await emulator.close();
  await rm(work, { recursive: true, force: true });
});

async function inbox(name: string): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = join(work, name);
  await mkdir(join(dir, 'inbox'), { recursive: true });
  await writeFile(join(dir, 'inbox', 'factur-x-rechnung.pdf'), pdf);
  return { dir, env: { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false' } };
}

interface Shown {
  provider: string;
  model: string;
  issuer: string;
  customer: string;
  invoiceNumber: string;
  totalAmount: number;
  currency: string;
  dueDate: string;
  needsReview: boolean;
  attempts: { provider: string; model: string; costUsd: number }[];
  metadata: {
    doc_type: string;
    issuer: string;
    extracted_fields: Record<string, unknown>;
    field_evidence: Record<string, { confidence: number; source_text: string; page: number | null } | null>;
  };
}

async function processAndShow(dir: string, env: Record<string, string>): Promise<Shown> {
  const run = await runCli(['process', '--json'], env, dir);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ processed: 1, failed: 0 });
  const show = await runCli(['show', '1', '--json'], env, dir);
  expect(show.code).toBe(0);
  return JSON.parse(show.stdout) as Shown;
}

describe('autod process on a Factur-X PDF', () => {
  it('reads the invoice from its embedded XML: provider einvoice, cost 0, every field', async () => {
    const { dir, env } = await inbox('local');
    const doc = await processAndShow(dir, env);
    expect(doc).toMatchObject({
      provider: 'einvoice',
      model: 'factur-x',
      issuer: 'Nordlicht Bürobedarf',
      customer: 'Kanzlei Weber & Partner',
      invoiceNumber: 'RE-2024-0815',
      totalAmount: 120.04,
      currency: 'EUR',
      dueDate: '2024-04-04',
      needsReview: false,
    });
    expect(doc.attempts).toEqual([expect.objectContaining({ provider: 'einvoice', model: 'factur-x', costUsd: 0 })]);
    expect(doc.metadata.issuer).toBe('Nordlicht Bürobedarf GmbH');
    expect(doc.metadata.doc_type).toBe('invoice');
    expect(doc.metadata.extracted_fields).toMatchObject({
      net_amount: 104.9,
      tax_amount: 15.14,
      tax_lines: [
        { rate: 7, net_amount: 39.9, tax_amount: 2.79 },
        { rate: 19, net_amount: 65, tax_amount: 12.35 },
      ],
      amount_due: 120.04,
      order_number: 'PO-77812',
      seller_tax_id: 'DE811234567',
      customer_tax_id: 'DE299876543',
      iban: 'DE02120300000000202051',
      bic: 'BYLADEM1001',
    });
    expect(doc.metadata.extracted_fields['line_items']).toHaveLength(3);
    expect(doc.metadata.field_evidence['total_amount']).toMatchObject({
      source_text: 'ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount 120.04',
      page: null,
    });
  });

  it('with the openai provider configured, no model is called for an e-invoice', async () => {
    const { dir, env } = await inbox('openai');
    emulator.resetStats();
    const doc = await processAndShow(dir, {
      ...env,
      AUTOD_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test-emulator-key-0123456789',
      OPENAI_BASE_URL: emulator.url,
    });
    expect(doc).toMatchObject({ provider: 'einvoice', invoiceNumber: 'RE-2024-0815', totalAmount: 120.04 });
    expect(doc.attempts[0]?.costUsd).toBe(0);
    // No upload, no Responses call: the model never saw the document (indexing still embeds its text).
    const byPath = emulator.stats().byPath;
    expect(byPath['/v1/responses'] ?? 0).toBe(0);
    expect(byPath['/v1/files'] ?? 0).toBe(0);
  });

  it('AUTOD_EINVOICE=false hands it to the configured provider', async () => {
    const { dir, env } = await inbox('off');
    const doc = await processAndShow(dir, { ...env, AUTOD_EINVOICE: 'false' });
    expect(doc.provider).toBe('local');
    expect(doc.model).toBe('autod-rules-v1');
  });
});
