// What the browser tests share: the sen binary and Chromium they run, a free port, waiting for
// the server, signing in to the admin, and axe-core's findings on a page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const SEN = process.env.SEN_BIN ?? resolve(import.meta.dirname, '../../target/debug/sen');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

export async function waitFor(url, ms = 60000) {
  const start = Date.now();
  for (;;) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    if (Date.now() - start > ms) throw new Error(`sen did not answer at ${url}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Headless Chromium from the system, with nothing reaching out to the network. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}

/** Signs in to the admin of the portal at `base` in `page`. */
export async function signIn(page, base, username, password) {
  await page.goto(`${base}/admin/login`);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForLoadState();
}

/** axe-core's violations on the page the tab shows, as lines naming `path`. */
export async function axeViolations(tab, path) {
  await tab.evaluate(AXE_SOURCE);
  const { violations } = await tab.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return violations.map(v => `${path}: axe ${v.id}: ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}

/** Polls `check` every 25 ms until it holds; fails naming `what` after `ms`. */
export async function waitUntil(check, what, ms = 5000) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}
