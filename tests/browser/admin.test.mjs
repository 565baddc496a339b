// What staff click in the admin area, in headless Chromium: signing in (a wrong password, the forced
// password change, signing out), what an author may not open, a form without its CSRF token, and the
// admin's pages at desktop and phone width checked by axe-core under the admin's own
// Content-Security-Policy (sent by the server). Run by scripts/test after target/debug/sen is built.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axeViolations, freePort, launchChromium, SEN, signIn as signInAt, waitFor } from './support.mjs';

const WIDTHS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  tablet: { viewport: { width: 768, height: 1024 }, hasTouch: true },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const ADMIN_PASSWORD = 'Ban-bien-tap-Ha-Lam-2026';
const AUTHOR_PASSWORD = 'Cong-tac-vien-viet-bai-2026';
const EDITOR_PASSWORD = 'Bien-tap-vien-hai-lop-2026';

let server, browser, base, dataDir, firstPassword;



before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sen-admin-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(SEN, ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    env: { ...process.env, SEN_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The first start prints the administrator's one-time password.
  let printed = '';
  server.stdout.on('data', chunk => { printed += chunk; });
  await waitFor(`${base}/healthz`);
  firstPassword = printed.match(/password: (\S+)/)?.[1];
  assert.ok(firstPassword, `the first start prints the admin's password:\n${printed}`);
  const add = spawnSync(SEN, ['user', 'add', '--data', dataDir, '--username', 'ctv', '--role', 'author',
    '--name', 'Trần Cộng Tác', '--password-stdin'], { input: `${AUTHOR_PASSWORD}\n` });
  assert.equal(add.status, 0, String(add.stderr));
  const editor = spawnSync(SEN, ['user', 'add', '--data', dataDir, '--username', 'bientap', '--role', 'editor',
    '--name', 'Lê Biên Tập', '--password-stdin'], { input: `${EDITOR_PASSWORD}\n` });
  assert.equal(editor.status, 0, String(editor.stderr));
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

async function signIn(page, username, password) {
  await signInAt(page, base, username, password);
}

// RFC 6238 as an authenticator app computes it: HMAC-SHA1 of the 30-second step, 6 digits.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    value = ((value << 5) | alphabet.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
function totp(secret, seconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[19] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
}


// The administrator, signed in with their own password (the first test sets it).
let resolveAdmin;
const adminReady = new Promise(ok => { resolveAdmin = ok; });
async function adminPage(width = 'desktop') {
  await adminReady;
  const context = await browser.newContext({ locale: 'vi-VN', ...WIDTHS[width] });
  const page = await context.newPage();
  await signIn(page, 'admin', ADMIN_PASSWORD);
  assert.equal(new URL(page.url()).pathname, '/admin');
  return { context, page };
}

test('the administrator signs in: a wrong password, the forced change, signing out', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', ...WIDTHS.desktop });
  const page = await context.newPage();
  await signIn(page, 'admin', 'khong-dung-mat-khau');
  const summary = page.getByRole('alert');
  await assert.doesNotReject(summary.getByText('Tên đăng nhập hoặc mật khẩu không đúng').waitFor());
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), true,
    'the error summary takes the focus');
  // The summary's link moves the focus to the field at fault.
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');

  await signIn(page, 'admin', firstPassword);
  assert.equal(new URL(page.url()).pathname, '/admin/password', 'a one-time password must be changed');
  await page.getByLabel('Mật khẩu hiện tại').fill(firstPassword);
  await page.getByLabel('Mật khẩu mới', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('Nhập lại mật khẩu mới').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Lưu mật khẩu mới' }).click();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/admin/account');
  await assert.doesNotReject(page.getByText('Đã lưu mật khẩu mới.').waitFor());
  resolveAdmin();

  await page.getByRole('button', { name: 'Đăng xuất', exact: true }).click();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/admin/login');
  await assert.doesNotReject(page.getByText('Bạn đã đăng xuất.').waitFor());
  await page.goto(`${base}/admin`);
  assert.equal(new URL(page.url()).pathname, '/admin/login', 'signed out on the server too');
  await context.close();
});

test('an author can not open user management', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', ...WIDTHS.desktop });
  const page = await context.newPage();
  await signIn(page, 'ctv', AUTHOR_PASSWORD);
  assert.equal(new URL(page.url()).pathname, '/admin');
  const menu = page.getByRole('navigation', { name: 'Menu quản trị' });
  assert.equal(await menu.getByRole('link', { name: 'Người dùng' }).count(), 0, 'the menu hides it');
  const response = await page.goto(`${base}/admin/users`);
  assert.equal(response.status(), 403);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Không có quyền truy cập' }).waitFor());
  await context.close();
});

test('a form posted without its CSRF token is refused and changes nothing', async () => {
  const { context, page } = await adminPage();
  await page.goto(`${base}/admin/users/new`);
  await page.getByLabel('Tên đăng nhập').fill('khong.duoc.tao');
  await page.locator('input[name=_csrf]').evaluateAll(inputs => inputs.forEach(i => i.remove()));
  const [response] = await Promise.all([
    page.waitForResponse(r => r.url().endsWith('/admin/users/new') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Tạo người dùng' }).click(),
  ]);
  assert.equal(response.status(), 403);
  await page.goto(`${base}/admin/users`);
  assert.equal(await page.getByText('khong.duoc.tao').count(), 0);
  await context.close();
});

test('an administrator adds a user and sees the one-time password', async () => {
  const { context, page } = await adminPage();
  await page.goto(`${base}/admin/users/new`);
  await page.getByRole('button', { name: 'Tạo người dùng' }).click();
  await assert.doesNotReject(page.getByRole('alert').getByText('Nhập tên đăng nhập').waitFor());
  await page.getByLabel('Tên đăng nhập').fill('nguyen.van.an');
  await page.getByLabel('Họ và tên').fill('Nguyễn Văn An');
  await page.getByLabel('Biên tập viên').check();
  await page.getByRole('button', { name: 'Tạo người dùng' }).click();
  await assert.doesNotReject(page.getByText('chỉ hiện một lần').waitFor());
  assert.match(await page.locator('#shown-password').innerText(), /^[A-Za-z0-9]{20}$/);
  await page.goto(`${base}/admin/users`);
  await assert.doesNotReject(page.getByRole('link', { name: 'Nguyễn Văn An' }).waitFor());
  await context.close();
});

test('an administrator changes the phone number and the public footer shows it at the next request', async () => {
  const { context, page } = await adminPage();
  await page.goto(`${base}/admin/site`);
  const phone = page.getByLabel('Điện thoại');
  await phone.fill('');
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
  await assert.doesNotReject(page.getByRole('alert').getByRole('link').first().waitFor());
  assert.equal(await page.locator('#phone').getAttribute('aria-invalid'), 'true', 'a legally required field');
  await page.getByLabel('Điện thoại').fill('0235 3 777 666');
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
  await assert.doesNotReject(page.getByText('Đã lưu thông tin đơn vị').waitFor());
  const reader = await browser.newContext();
  const home = await reader.newPage();
  await home.goto(`${base}/`);
  await assert.doesNotReject(home.locator('footer').getByText('0235 3 777 666').waitFor());
  await reader.close();
  await context.close();
});

test('an editor turns on the second factor, signs out, and signs in with a code', async () => {
  const context = await browser.newContext({ locale: 'vi-VN', ...WIDTHS.desktop });
  const page = await context.newPage();
  const problems = [];
  await signIn(page, 'bientap', EDITOR_PASSWORD);
  assert.equal(new URL(page.url()).pathname, '/admin');
  await page.goto(`${base}/admin/account`);
  await page.getByRole('link', { name: 'Bật xác thực hai lớp' }).click();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/admin/account/second-factor');
  await assert.doesNotReject(page.getByRole('img', { name: /Mã QR/ }).waitFor());
  problems.push(...await axeViolations(page, 'enrolment'));
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.getByLabel('Mã xác thực').fill(totp(secret));
  await page.getByRole('button', { name: 'Xác nhận và bật' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: 'Mã khôi phục' }).waitFor());
  assert.equal(await page.locator('#recovery-codes li').count(), 10);
  problems.push(...await axeViolations(page, 'recovery codes'));

  await page.getByRole('button', { name: 'Đăng xuất', exact: true }).click();
  await page.waitForLoadState();
  await signIn(page, 'bientap', EDITOR_PASSWORD);
  assert.equal(new URL(page.url()).pathname, '/admin/login/code');
  problems.push(...await axeViolations(page, '/admin/login/code'));
  // The code of this step was spent at enrolment: the app's next one (a step of skew) is taken.
  await page.getByLabel('Mã xác thực').fill(totp(secret, Date.now() / 1000 + 30));
  await page.getByRole('button', { name: 'Xác nhận' }).click();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/admin');
  await context.close();
  if (problems.length) assert.fail(problems.join('\n'));
});

const ADMIN_PAGES = ['/admin', '/admin/site', '/admin/categories', '/admin/categories/new', '/admin/pages',
  '/admin/pages/new', '/admin/users', '/admin/users/new', '/admin/account', '/admin/security', '/admin/audit', '/admin/password',
  '/admin/account/second-factor', '/admin/media', '/admin/media/sample%2Fcover-1.jpg', '/admin/media?class=image&q=cover'];

for (const width of Object.keys(WIDTHS)) {
  test(`admin pages at ${width} width: no axe violation, nothing against the CSP, no overflow`, async () => {
    const { context, page } = await adminPage(width);
    const problems = [];
    page.on('pageerror', e => problems.push(`script error: ${e.message}`));
    page.on('console', m => {
      if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    const login = await browser.newContext(WIDTHS[width]);
    const pages = [[login, '/admin/login'], ...ADMIN_PAGES.map(p => [context, p])];
    for (const [ctx, path] of pages) {
      const tab = ctx === context ? page : await ctx.newPage();
      const response = await tab.goto(base + path);
      assert.equal(response.status(), 200, path);
      assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);
      problems.push(...await axeViolations(tab, path));
      const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) problems.push(`${path}: wider than the screen by ${overflow}px`);
    }
    await login.close();
    await context.close();
    if (problems.length) assert.fail(problems.join('\n'));
  });
}
