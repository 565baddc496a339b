// What a reader clicks on the sample portal, in headless Chromium: the menu on a phone, an article and
// its view count, the print view, pagination. Run by scripts/test after `cargo test` built target/debug/sen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const SEN = process.env.SEN_BIN ?? resolve(import.meta.dirname, '../../target/debug/sen');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const READER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

let server, browser, base, dataDir;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

async function waitFor(url, ms = 60000) {
  const start = Date.now();
  for (;;) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    if (Date.now() - start > ms) throw new Error(`sen did not answer at ${url}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sen-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(SEN, ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    env: { ...process.env, SEN_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`${base}/healthz`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (server) {
    const exited = new Promise(r => server.on('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('a reader opens an article from the home page and is counted once', async () => {
  const context = await browser.newContext({ userAgent: READER_UA, viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await page.goto(base + '/');
  assert.match(await page.title(), /Hà Lam/);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Thống kê truy cập' }).waitFor());
  const lead = page.locator('main a[href^="/tin/"]').first();
  const title = (await lead.innerText()).trim();
  await lead.click();
  await page.waitForURL(/\/tin\/.+\.html$/);
  const url = page.url();
  const id = Number(url.match(/-(\d+)\.html$/)[1]);
  const views = async () => (await (await fetch(`${base}/api/v1/articles/${id}`)).json()).views;
  const first = await views();
  await assert.doesNotReject(page.getByText('Lượt xem').first().waitFor());
  const shown = await page.locator('text=Lượt xem').first().locator('xpath=..').innerText();
  assert.match(shown, new RegExp(String(first).replace(/\B(?=(\d{3})+(?!\d))/g, '.')), `page shows ${first}: ${shown}`);
  if (title) assert.ok((await page.locator('h1').first().innerText()).length > 0);
  // The same reader comes back: the cookie makes it one view.
  await page.reload();
  await page.goto(url);
  assert.equal(await views(), first, 'a repeat view within 30 minutes is not counted again');

  // The print view opens from the article.
  await page.locator(`a[href="/in/${id}"]`).first().click();
  await page.waitForURL(new RegExp(`/in/${id}$`));
  assert.equal(await page.locator('nav.mainnav').count(), 0, 'no menu on the print view');
  await context.close();
});

test('on a phone the menu opens with a tap and leads to a category', async () => {
  const context = await browser.newContext({ userAgent: READER_UA, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(base + '/');
  const firstCategory = page.locator('.mainnav__list a[href^="/chuyen-muc/"]').first();
  assert.equal(await firstCategory.isVisible(), false, 'the menu starts closed on a phone');
  await page.locator('label.mainnav__button').tap();
  await firstCategory.waitFor({ state: 'visible' });
  const name = (await firstCategory.innerText()).trim();
  await firstCategory.tap();
  await page.waitForURL(/\/chuyen-muc\//);
  const heading = (await page.locator('h1').first().innerText()).trim();
  assert.equal(heading.toLowerCase(), name.toLowerCase());
  // No sideways scrolling on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
  await context.close();
});

test('pagination moves through a long category', async () => {
  const context = await browser.newContext({ userAgent: READER_UA });
  const page = await context.newPage();
  await page.goto(base + '/chuyen-muc/khoa-hoc-cong-nghe');
  const next = page.locator('a[rel="next"], .pagination a:has-text("Trang sau")').first();
  await next.click();
  await page.waitForURL(/page=2$/);
  assert.ok(await page.locator('main a[href^="/tin/"]').count() > 0);
  await page.goto(base + '/chuyen-muc/khoa-hoc-cong-nghe?page=99');
  assert.match(await page.locator('body').innerText(), /Không tìm thấy trang/);
  await context.close();
});
