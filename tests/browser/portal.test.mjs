// What a reader clicks on the sample portal, in headless Chromium: the menu on a phone, an article and
// its view count, the print view, pagination; and every kind of public page at desktop and phone width
// checked by axe-core and under the portal's Content-Security-Policy. Run by scripts/test after
// `cargo test` built target/debug/sen. SEN_BIN names another binary; SEN_CONFIG (read by sen itself)
// may point at a sen.toml with `theme_dir = ".../themes/default"` to try theme edits without a rebuild.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AXE_SOURCE, freePort, launchChromium, SEN, waitFor } from './support.mjs';

const READER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';


// What the server sends on every public page. Until every build sends it, a page that comes without it
// gets this one added on its way to the browser, so the theme is held to it either way.
const CSP = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; font-src 'self'; "
  + "connect-src 'self'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com; frame-ancestors 'self'; "
  + "base-uri 'self'; form-action 'self'; object-src 'none'";

const WIDTHS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

let server, browser, base, dataDir;
// Addresses found on the sample portal once it runs: an article, and a tag it carries.
const found = {};


/** 1234567 → "1.234.567" */
const vietnameseNumber = n => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');


before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sen-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(SEN, ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    env: { ...process.env, SEN_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`${base}/healthz`);
  const home = await (await fetch(`${base}/`)).text();
  [found.article, found.id] = home.match(/\/tin\/[^"]*-(\d+)\.html/);
  const article = await (await fetch(base + found.article)).text();
  [found.tag] = article.match(/\/the\/[^"?#]+/);
  browser = await launchChromium();
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

// Opens `path` in a fresh context at `width` under the CSP, lets `prepare` act on the page, and runs
// axe-core on it. Returns the HTTP status, and the axe violations and the CSP violations (plus any
// script error) of the page, each as readable lines.
async function audit(path, width, prepare) {
  const context = await browser.newContext({ userAgent: READER_UA, ...WIDTHS[width] });
  await context.route('**/*', async route => {
    if (route.request().resourceType() !== 'document') return route.continue();
    const response = await route.fetch();
    const headers = response.headers();
    headers['content-security-policy'] ??= CSP;
    await route.fulfill({ response, headers });
  });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', e => window.__csp.push(
      `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile || document.URL}:${e.lineNumber}`
      + (e.sample ? ` «${e.sample}»` : '')));
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', m => {
    if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) problems.push(`console: ${m.text().split('. ')[0]}`);
  });
  page.on('pageerror', e => problems.push(`script error: ${e.message}`));
  const status = (await page.goto(base + path, { waitUntil: 'load' })).status();
  await prepare?.(page, width);
  await page.evaluate(AXE_SOURCE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  problems.unshift(...await page.evaluate(() => window.__csp));
  await context.close();
  const axe = violations.map(v => `${v.id} (${v.impact}): ${v.help}\n`
    + v.nodes.map(n => `      ${n.target.join(' ')}\n        ${n.html.slice(0, 200)}\n        ${(n.failureSummary ?? '').replace(/\n/g, '\n        ')}`).join('\n'));
  return { status, axe, csp: [...new Set(problems)] };
}

// The menu as a reader opens it: the phone menu by its button, a submenu by pointing at its item.
async function openMenu(page, width) {
  if (width === 'phone') await page.locator('label.mainnav__button').tap();
  else await page.locator('.mainnav__item.has-children').first().hover();
  await page.locator('.mainnav__sub a').first().waitFor({ state: 'visible' });
}

// Every kind of public page, in the order a reader meets them: [name, path, what to do before axe runs].
const PAGE_KINDS = [
  ['home', () => '/'],
  ['home with the menu open', () => '/', openMenu],
  ['category', () => '/chuyen-muc/khoa-hoc-cong-nghe'],
  ['category page 2', () => '/chuyen-muc/khoa-hoc-cong-nghe?page=2'],
  ['tag', () => found.tag],
  ['article', () => found.article],
  ['print view', () => `/in/${found.id}`],
  ['static page', () => '/trang/gioi-thieu'],
  ['404', () => '/trang-nay-khong-co'],
];

for (const [kind, path, prepare] of PAGE_KINDS) {
  for (const width of Object.keys(WIDTHS)) {
    test(`${kind} at ${width} width: no axe violation, nothing against the CSP`, async () => {
      const { status, axe, csp } = await audit(path(), width, prepare);
      assert.equal(status, kind === '404' ? 404 : 200, `${path()} answers`);
      const report = [...axe.map(v => `axe: ${v}`), ...csp.map(v => `CSP: ${v}`)];
      if (report.length) assert.fail(`${path()} at ${width} width:\n  ${report.join('\n  ')}`);
    });
  }
}

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
  // The count in the article's own element, written the Vietnamese way: 13.405 for 13405.
  const shown = (await page.locator('.article__views').innerText()).trim();
  assert.equal(shown, vietnameseNumber(first), `the API counts ${first} views`);
  if (title) assert.ok((await page.locator('h1').first().innerText()).length > 0);
  // The same reader comes back: the cookie makes it one view.
  await page.reload();
  await page.goto(url);
  assert.equal(await views(), first, 'a repeat view within 30 minutes is not counted again');

  // The print view opens from the article.
  await page.locator(`a[href="/in/${id}"]`).first().click();
  await page.waitForURL(new RegExp(`/in/${id}$`));
  assert.equal(await page.locator('nav.mainnav').count(), 0, 'no menu on the print view');
  // Its button (from static/print.js) opens the browser's print dialog, here a stand-in.
  assert.equal((await fetch(`${base}/static/print.js`)).status, 200,
    'static/print.js is served (the embedded theme needs it listed in EMBEDDED in crates/sen-web/src/theme.rs)');
  await page.evaluate(() => { window.print = () => { window.printed = (window.printed ?? 0) + 1; }; });
  await page.getByRole('button', { name: 'In trang này' }).click();
  assert.equal(await page.evaluate(() => window.printed), 1, 'the print button calls window.print()');
  assert.equal(await page.getByText('Ctrl+P').isVisible(), false, 'the hint for readers without JavaScript is gone');
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
