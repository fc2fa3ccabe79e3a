/**
 * The web app end to end: a real `autod serve` (the built CLI, with the built @autod/web) on a free port, driven by
 * Debian's Chromium through playwright-core. One browser, one page reused across the steps (they run in order).
 * Screenshots of every page go to <repo>/test-results/web/. Run after `pnpm turbo run build`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@autod/db';
import { renderPageToPng } from '@autod/extract';
import { buildTextPdf } from '@autod/testkit';
import { CLI, REPO, startCli } from './helpers.js';

const TOKEN = 'web-e2e-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO, 'test-results', 'web');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let profile: string;
let base: string;
let server: ReturnType<typeof startCli>;
let context: BrowserContext;
let page: Page;
let evil: Server | undefined;
const pageErrors: string[] = [];

async function invoice(issuer: string, lines: string[] = []): Promise<Uint8Array> {
  return buildTextPdf([
    [
      '**INVOICE',
      `${issuer} GmbH`,
      'Musterstrasse 1, 10115 Berlin',
      'Invoice number: RE-2024-0042',
      'Invoice date: 2024-03-15',
      ...lines,
      'Total due: 249.90 EUR',
    ],
  ]);
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium).`);
  }
  if (!existsSync(CLI) || !existsSync(join(REPO, 'apps/web/dist/index.html'))) {
    throw new Error('Build first: pnpm turbo run build (the CLI and the web app).');
  }
  await mkdir(SHOTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'autod-web-e2e-'));
  profile = await mkdtemp(join(tmpdir(), 'autod-web-e2e-chromium-'));
  // A folder of old scans on the server for the batch step.
  await mkdir(join(dir, 'inbox', 'old-scans'), { recursive: true });
  for (const name of ['Alpha', 'Bravo', 'Charlie'])
    await writeFile(join(dir, 'inbox', 'old-scans', `${name.toLowerCase()}.pdf`), await invoice(`${name} Batch`));

  server = startCli(
    ['serve', '--port', '0', '--host', '127.0.0.1', '--json'],
    {
      AUTOD_DATA_DIR: dir,
      AUTOD_SERVER_TOKEN: TOKEN,
      AUTOD_PROVIDER: 'local',
      AUTOD_OCR: 'true',
      AUTOD_LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    dir,
  );
  const lines = createInterface({ input: server.child.stdout! });
  base = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { event: string; address?: string; page?: string };
      if (msg.event === 'ready' && msg.page && msg.address) resolve(msg.address);
    });
    void server.done.then((r) => reject(new Error(`autod serve exited ${r.code}: ${r.stderr.slice(-2000)}`)));
  });

  // A fresh profile folder per run (playwright passes it as --user-data-dir).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageErrors.push(m.text());
  });
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  evil?.close();
  if (server && server.child.exitCode === null) server.child.kill('SIGTERM');
  await server?.done;
  await rm(dir, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
});

describe('the web app in Chromium', () => {
  it('refuses a wrong token, then signs in with the right one (httpOnly, SameSite=Strict cookie)', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('Server token').fill('this-is-not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The token is wrong.');
    await shot('sign-in');
    await page.getByLabel('Server token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'autod_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    // The page's script cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('autod_session');
  });

  it('uploads a PDF and an image and shows them finish, live', async () => {
    const pdf = await invoice('Upload Werke');
    const imagePdf = await invoice('Picture Print', ['Photographed receipt']);
    const png = await renderPageToPng(imagePdf, 1, 2);
    const pdfPath = join(dir, 'upload-werke.pdf');
    const pngPath = join(dir, 'receipt-photo.png');
    await writeFile(pdfPath, pdf);
    await writeFile(pngPath, png);
    await page.locator('input[type=file]').setInputFiles([pdfPath, pngPath]);
    const pdfItem = page.locator('li.upload', { hasText: 'upload-werke.pdf' });
    await pdfItem.getByText('Processed').waitFor({ timeout: 60_000 });
    await expect.poll(() => pdfItem.getByRole('link', { name: 'Open the document' }).count()).toBe(1);
    // The image is a document too: OCR'd and filed as a searchable PDF.
    const imageItem = page.locator('li.upload', { hasText: 'receipt-photo.png' });
    await imageItem.getByText('Processed').waitFor({ timeout: 90_000 });
    await expect.poll(() => imageItem.getByRole('link', { name: 'Open the document' }).count()).toBe(1);
    await shot('inbox');
  });

  it('lists, filters and searches documents; filters live in the URL', async () => {
    // More documents through the API (bearer token, no CSRF token needed for scripts).
    for (const [name, bytes] of [
      ['water.pdf', await invoice('Wasserwerk Nord', ['Water supply March 2024'])],
      ['letter.pdf', await buildTextPdf([['Hello,', 'just a short note without any details.', 'Regards']])],
    ] as const) {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
      expect((await api('/v1/documents', { method: 'POST', body: form })).status).toBe(202);
    }
    await expect
      .poll(async () => ((await (await api('/v1/documents?status=completed')).json()) as { total: number }).total, {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(3);

    await page.getByRole('link', { name: 'Documents' }).click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    await page.locator('table.doc-table tbody tr').first().waitFor();
    await page.locator('summary', { hasText: 'Filters' }).click();
    await page.getByLabel('Issuer contains').fill('wasserwerk');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/issuer=wasserwerk/);
    await expect.poll(() => page.locator('table.doc-table tbody tr').count()).toBe(1);
    await shot('documents-filtered');
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes('issuer='));

    await page.getByRole('searchbox', { name: 'Search documents' }).fill('water supply');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=water/);
    await page.locator('table.doc-table mark').first().waitFor();
    expect((await page.locator('table.doc-table mark').allTextContents()).join(' ').toLowerCase()).toContain('water');
    await shot('documents-search');
  });

  it('opens a document (PDF in the page), edits a field, and the change is persisted and audited', async () => {
    await page
      .getByRole('link', { name: /Wasserwerk Nord/ })
      .first()
      .click();
    await page.locator('.pdf-page[data-rendered=true]').waitFor({ timeout: 30_000 });
    const id = /\/documents\/(\d+)/.exec(page.url())?.[1];
    expect(id).toBeDefined();
    await page.getByRole('heading', { name: 'Extraction attempts' }).waitFor();
    await page.getByText('autod-rules-v1').first().waitFor();
    await shot('document');

    await page.getByRole('button', { name: 'Edit fields' }).click();
    await page.getByLabel('Invoice number').fill('RE-CORRECTED-7');
    await page.getByLabel('Note (kept in the audit log)').fill('typo on the scan');
    await page.getByRole('button', { name: 'Save corrections' }).click();
    await page.getByText(/Saved\. The correction is kept and audited/).waitFor();

    await page.reload();
    await page.locator('[data-field="invoice_number"]').getByText('RE-CORRECTED-7').waitFor();
    await page
      .locator('ol.audit')
      .getByText(/typo on the scan/)
      .waitFor();
    const doc = (await (await api(`/v1/documents/${id}`)).json()) as { document: { invoiceNumber: string } };
    expect(doc.document.invoiceNumber).toBe('RE-CORRECTED-7');
    const trail = (await (await api(`/v1/documents/${id}/corrections`)).json()) as {
      items: { field: string; value: unknown; actor: string; note: string }[];
    };
    expect(trail.items).toEqual([
      expect.objectContaining({ field: 'invoice_number', value: 'RE-CORRECTED-7', note: 'typo on the scan' }),
    ]);
  });

  it('accepts a review from the keyboard', async () => {
    const before = ((await (await api('/v1/review')).json()) as { total: number }).total;
    expect(before).toBeGreaterThan(0); // the letter has no issuer, date or amount
    await page.getByRole('link', { name: 'Review' }).click();
    await page.getByText(`1 of ${before} to review`).waitFor();
    await shot('review');
    await page.locator('body').press('a');
    await page.getByText(/1 done in this session/).waitFor();
    const after = ((await (await api('/v1/review')).json()) as { total: number }).total;
    expect(after).toBe(before - 1);
  });

  it('draws the costs charts with data', async () => {
    await page.getByRole('link', { name: 'Costs' }).click();
    await page.getByRole('heading', { name: 'Spend per model' }).waitFor();
    await page.locator('[data-testid=chart] canvas').first().waitFor();
    expect(await page.locator('[data-testid=chart] canvas').count()).toBe(2);
    await page.getByRole('cell', { name: 'autod-rules-v1' }).waitFor();
    expect(await page.getByText('No cap set').count()).toBe(2);
    await shot('costs');
  });

  it('estimates a batch over a server folder, starts it and shows its progress to the end', async () => {
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByText('No batches yet.').waitFor();
    await page.getByLabel('Folder (relative to the inbox)').fill('old-scans');
    await page.getByRole('button', { name: 'Estimate' }).click();
    await page.getByText(/3 files · 3 pages/).waitFor();
    await page.getByRole('button', { name: 'Start the batch' }).click();
    const row = page.locator('li.batch').first();
    await row.getByText(/3 of 3 finished/).waitFor({ timeout: 60_000 });
    await row.getByText('completed').waitFor({ timeout: 30_000 });
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    await shot('batches');
  });

  it('shows the system page', async () => {
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('heading', { name: 'Where the data lives' }).waitFor();
    await page.getByText(dir, { exact: true }).first().waitFor();
    await shot('system');
  });

  it('fits a phone screen: a menu button, no sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${base}/documents`);
      await page.locator('table.doc-table tbody tr').first().waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByRole('link', { name: 'Costs' }).waitFor();
      await shot('documents-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('refuses a cross-site form post made with the session cookie (CSRF)', async () => {
    const list = (await (await api('/v1/documents?limit=1')).json()) as {
      items: { id: number; attemptCount: number }[];
    };
    const target = list.items[0]!;
    // Another origin on the same machine (same site for the cookie: SameSite alone would let it through).
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="POST" action="${base}/v1/documents/${target.id}/reprocess"></form>` +
          '<script>document.getElementById("f").submit()</script>',
      );
    });
    await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', r));
    const evilPort = (evil.address() as { port: number }).port;
    const attack = await context.newPage();
    const answered = attack.waitForResponse((r) => r.url().includes('/reprocess'));
    await attack.goto(`http://127.0.0.1:${evilPort}/`);
    const response = await answered;
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('CSRF_REJECTED');
    await attack.close();
    const after = (await (await api(`/v1/documents/${target.id}`)).json()) as { attempts: unknown[] };
    expect(after.attempts).toHaveLength(target.attemptCount);
  });

  it('asks to sign in again when the session has expired', async () => {
    const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
    try {
      await db.knex('web_sessions').update({ expires_at: Date.now() - 1000 });
    } finally {
      await db.close();
    }
    await page.goto(`${base}/documents`);
    await page.getByLabel('Server token').waitFor();
    await page
      .getByText(/expired/)
      .first()
      .waitFor();
    await page.getByLabel('Server token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
  });

  it('signs out: the page asks for the token and the old cookie no longer works', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'autod_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    const res = await fetch(`${base}/v1/documents`, { headers: { cookie: `autod_session=${cookie.value}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SESSION_EXPIRED');
    expect(pageErrors).toEqual([]);
  });
});
