import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire('/work/main/tests/browser/package.json');
const { chromium } = require('playwright-core');
const SEN = '/work/main/target/debug/sen';
const dir = mkdtempSync('/tmp/dbg/data-');
const base = 'http://127.0.0.1:18799';
const server = spawn(SEN, ['serve', '--listen', '127.0.0.1:18799', '--data', dir], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SEN_LOG: 'warn' } });
for (;;) { try { if ((await fetch(base + '/healthz')).ok) break; } catch {} await new Promise(r => setTimeout(r, 100)); }
spawnSync(SEN, ['user', 'add', '--data', dir, '--username', 'ctv', '--role', 'author', '--name', 'A', '--password-stdin'], { input: 'Cong-tac-vien-viet-bai-2026\n' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
try {
  await page.goto(base + '/admin/login');
  await page.fill('#username', 'ctv'); await page.fill('#password', 'Cong-tac-vien-viet-bai-2026');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const raw = await (await page.request.get(base + '/admin/articles/new')).text();
  console.log(raw.match(/<input[^>]*id="title"[^>]*>/)[0]);
  await page.goto(base + '/admin/articles/new');
  await page.locator('.editor[data-ready]').waitFor();
  await page.fill('#title', 'Hội thảo khoa học lần thứ nhất');
  await page.selectOption('#category', '1');
  await page.locator('.editor__content').click();
  await page.keyboard.insertText('Hội thảo bàn về chuyển đổi số.');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Lưu', exact: true }).click()]);
  console.log(page.url());
  const id = page.url().match(/articles\/(\d+)/)[1];
  await page.goto(`${base}/admin/articles/${id}/revisions`);
  console.log(await page.locator('main').innerText());
  await page.goto(`${base}/admin/articles/${id}`);
  await page.locator('.editor[data-ready]').waitFor();
  await page.fill('#title', 'Hội thảo khoa học lần thứ hai');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Lưu', exact: true }).click()]);
  await page.goto(`${base}/admin/articles/${id}/revisions`);
  console.log(await page.locator('main').innerText());
} finally {
  await browser.close(); server.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true });
}
