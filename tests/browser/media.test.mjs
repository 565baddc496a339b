// The media library in headless Chromium against the real server: several files dropped at once,
// each with its progress and its answer; a file chosen with the keyboard's button; audio and an
// image put in an article from the editor's library, the audio seeking on the public page (ranges); a file replaced (what uses it follows: crates/sen-web/tests/web/media.rs); axe-core on the library's pages;
// screenshots to /tmp/shots/media-*.png. Run by scripts/test after target/debug/sen is built.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axeViolations, freePort, launchChromium, SEN, signIn, waitFor } from './support.mjs';

const SHOTS = '/tmp/shots';
const PASSWORD = 'Bien-tap-vien-thu-vien-2026';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let server, browser, base, dataDir;
const made = {};

/** A silent MPEG-1 layer III file of `seconds` (128 kbit/s, 44.1 kHz frames of zeros). */
function silentMp3(seconds) {
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x00]);
  const frames = Math.ceil((seconds * 44100) / 1152);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** A PNG drawn by Chromium: a coloured field with a white square. */
async function png(page, width, height, color) {
  const data = await page.evaluate(([w, h, c]) => {
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext('2d');
    g.fillStyle = c;
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#fff';
    g.fillRect(w / 4, h / 4, w / 2, h / 2);
    return canvas.toDataURL('image/png').split(',')[1];
  }, [width, height, color]);
  return Buffer.from(data, 'base64');
}

/** Drops files on the element `selector` as a person dragging them from the desktop would. */
async function drop(page, selector, files) {
  await page.evaluate(([selector, files]) => {
    const transfer = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.data), ch => ch.charCodeAt(0));
      transfer.items.add(new File([bytes], f.name, { type: f.type }));
    }
    const target = document.querySelector(selector);
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
  }, [selector, files.map(f => ({ ...f, data: f.data.toString('base64') }))]);
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sen-media-'));
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(SEN, ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    env: { ...process.env, SEN_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`${base}/healthz`);
  const { items } = await (await fetch(`${base}/api/v1/categories`)).json();
  made.category = items.find(c => c.slug === 'tin-hoat-dong');
  assert.ok(made.category, 'the sample portal has the category "Tin hoạt động"');
  const add = spawnSync(SEN, ['user', 'add', '--data', dataDir, '--username', 'thuvien', '--role', 'editor',
    '--name', 'Phạm Thư Viện', '--password-stdin', '--category', String(made.category.id)], { input: `${PASSWORD}\n` });
  assert.equal(add.status, 0, String(add.stderr));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server) {
    const exited = new Promise(r => server.on('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signedIn(options = {}) {
  const context = await browser.newContext({ locale: 'vi-VN', ...options });
  const page = await context.newPage();
  await signIn(page, base, 'thuvien', PASSWORD);
  return { context, page };
}

test('several files dropped at once upload side by side, each with its progress and its answer', async () => {
  const { context, page } = await signedIn({ viewport: { width: 1366, height: 900 } });
  await page.goto(`${base}/admin/media`);
  const zone = page.locator('#dropzone');
  assert.ok(await zone.isVisible(), 'the drop zone replaces the plain form');
  assert.equal(await page.locator('[data-plain-upload]').isVisible(), false);
  const blue = await png(page, 900, 600, '#0b4a8b');
  const green = await png(page, 700, 700, '#1e6b3a');
  // Progress is shown as it goes: every bar that moved ends full.
  await page.evaluate(() => {
    window.progressSeen = [];
    new MutationObserver(records => {
      for (const r of records) if (r.target.tagName === 'PROGRESS') window.progressSeen.push(r.target.value);
    }).observe(document.getElementById('dropzone'), { attributes: true, subtree: true, attributeFilter: ['value'] });
  });
  await drop(page, '#dropzone', [
    { name: 'Hội thảo chuyển đổi số.png', type: 'image/png', data: blue },
    { name: 'Lễ ra mắt câu lạc bộ.png', type: 'image/png', data: green },
    { name: 'không phải ảnh.jpg', type: 'image/jpeg', data: Buffer.from('<html><body>trang web</body></html>') },
  ]);
  await page.locator('.dropzone__summary', { hasText: 'Đã tải lên 2/3 tệp.' }).waitFor();
  const rows = page.locator('.dropzone__item');
  assert.equal(await rows.count(), 3);
  assert.equal(await page.locator('.dropzone__item--done').count(), 2);
  const failed = page.locator('.dropzone__item--failed');
  assert.equal(await failed.count(), 1);
  const why = await failed.textContent();
  assert.match(why, /không phải ảnh\.jpg/);
  assert.match(why, /Không tải lên được: loại tệp này không được nhận/);
  for (const bar of await page.locator('.dropzone__item--done progress').all()) {
    assert.equal(await bar.getAttribute('value') ?? String(await bar.evaluate(b => b.value)), '100');
  }
  // Images still need their text alternative: each row leads to its page to add it.
  const describe = page.locator('.dropzone__item--done a', { hasText: 'Thêm mô tả' });
  assert.equal(await describe.count(), 2);
  made.imagePage = await describe.first().getAttribute('href');

  // The button chooses files with the keyboard: Enter on it opens the chooser.
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'chọn tệp từ máy' }).focus();
  await page.keyboard.press('Enter');
  await (await chooser).setFiles({ name: 'Phóng sự hội nghị.mp3', mimeType: 'audio/mpeg', buffer: silentMp3(320) });
  await page.locator('.dropzone__summary', { hasText: 'Đã tải lên 3/4 tệp.' }).waitFor();
  made.audioPage = await page.locator('.dropzone__item--done a', { hasText: 'Xem tệp' }).getAttribute('href');
  await page.screenshot({ path: `${SHOTS}/media-upload-desktop.png`, fullPage: true });

  await page.getByRole('link', { name: 'Làm mới danh sách' }).click();
  await page.waitForURL(`${base}/admin/media`);
  for (const name of ['Hội thảo chuyển đổi số.png', 'Lễ ra mắt câu lạc bộ.png', 'Phóng sự hội nghị.mp3']) {
    assert.ok(await page.locator('.media-card', { hasText: name }).isVisible(), name);
  }
  assert.equal(await page.locator('.media-card', { hasText: 'không phải ảnh' }).count(), 0);
  await context.close();
});

test('from the editor\'s library into an article: a player and a described image; the public page plays and seeks', async () => {
  assert.ok(made.audioPage, 'the upload test ran first');
  const { context, page } = await signedIn({ viewport: { width: 1366, height: 900 } });
  await page.goto(`${base}/admin/articles/new`);
  await page.locator('.editor[data-ready]').waitFor();
  await page.getByLabel('Tiêu đề', { exact: true }).fill('Phóng sự âm thanh: hội nghị tổng kết');
  await page.getByLabel('Chuyên mục').selectOption(String(made.category.id));
  await page.locator('.editor__content').click();
  await page.keyboard.insertText('Mời bạn đọc nghe phóng sự.');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  const files = dialog.getByRole('radiogroup', { name: 'Tệp trong thư viện' });
  const library = page.locator('[role="toolbar"]').getByRole('button', { name: 'Thư viện', exact: true });
  // Audio: chosen among the library's sounds, it goes in as the browser's player.
  await library.click();
  await dialog.getByRole('group', { name: 'Loại tệp' }).getByText('Âm thanh', { exact: true }).click();
  await files.locator('.editor-library__item[title="Phóng sự hội nghị.mp3"]').click();
  await dialog.getByRole('button', { name: 'Chọn', exact: true }).click();
  assert.match(await page.locator('#body').inputValue(),
    /<figure class="player"><audio src="\/media\/[0-9a-f]{16}-phong-su-hoi-nghi\.mp3" controls="" preload="metadata"><\/audio><\/figure>/);
  // An image the library has no words for: its alt text is asked for here.
  await library.click();
  await dialog.getByRole('group', { name: 'Loại tệp' }).getByText('Ảnh', { exact: true }).click();
  await files.locator('.editor-library__item[title="Lễ ra mắt câu lạc bộ.png"]').click();
  await dialog.getByRole('button', { name: 'Chọn', exact: true }).click();
  await dialog.getByLabel('Mô tả ảnh (alt)').fill('Thành viên câu lạc bộ trong lễ ra mắt');
  await dialog.getByLabel('Chú thích').fill('Lễ ra mắt câu lạc bộ. Ảnh: Văn phòng');
  await page.screenshot({ path: `${SHOTS}/media-editor-picker.png` });
  await dialog.getByRole('button', { name: 'Chèn ảnh' }).click();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Xuất bản', exact: true }).click()]);
  assert.match(page.url(), /done=article_published$/);
  const url = await page.getByRole('link', { name: 'Xem trên cổng' }).getAttribute('href');
  await context.close();

  // A reader: the image comes in the size the screen needs, the sound plays and seeks (ranges).
  const reader = await browser.newContext({ locale: 'vi-VN' });
  const tab = await reader.newPage();
  const ranges = [];
  tab.on('response', async r => {
    if (new URL(r.url()).pathname.endsWith('.mp3')) {
      ranges.push({ status: r.status(), range: (await r.request().allHeaders()).range ?? '' });
    }
  });
  await tab.goto(base + url);
  const img = tab.locator('.prose figure img');
  assert.equal(await img.getAttribute('alt'), 'Thành viên câu lạc bộ trong lễ ra mắt');
  assert.match(await img.getAttribute('srcset'), /\.w320\.jpg 320w/);
  assert.equal(await tab.locator('.prose figure figcaption').last().textContent(), 'Lễ ra mắt câu lạc bộ. Ảnh: Văn phòng');
  const seeked = await tab.locator('.prose figure.player audio').evaluate(async audio => {
    if (audio.readyState < 1) await new Promise(ok => audio.addEventListener('loadedmetadata', ok, { once: true }));
    const duration = audio.duration;
    const done = new Promise(ok => audio.addEventListener('seeked', ok, { once: true }));
    audio.currentTime = 300;
    await done;
    await audio.play().catch(() => {});
    await new Promise(ok => setTimeout(ok, 300));
    audio.pause();
    return { duration, at: audio.currentTime };
  });
  assert.ok(seeked.duration > 310 && seeked.duration < 330, `duration ${seeked.duration}`);
  assert.ok(seeked.at >= 299.9, `at ${seeked.at}`);
  // Chromium asks for ranges and sen answers them; a later request (when Chromium had not kept
  // what it needed) starts inside the file.
  assert.ok(ranges.length > 0 && ranges.every(r => r.status === 206 && r.range.startsWith('bytes=')),
    JSON.stringify(ranges));
  assert.ok(ranges.slice(1).every(r => /^bytes=[1-9]\d*-/.test(r.range)), JSON.stringify(ranges));
  await tab.screenshot({ path: `${SHOTS}/media-article-desktop.png`, fullPage: true });
  await reader.close();
});

test('a file replaced: refused for another kind, then its page, its description and its old address lead to the new one', async () => {
  assert.ok(made.imagePage, 'the upload test ran first');
  const { context, page } = await signedIn();
  await page.goto(`${base}${made.imagePage}`);
  const oldUrl = await page.locator('.media-file__url').textContent();
  // Described first: an image without its text alternative can't be used.
  await page.getByLabel('Mô tả ảnh (alt)').fill('Đại biểu dự hội thảo chuyển đổi số');
  await page.getByRole('button', { name: 'Lưu', exact: true }).click();
  await page.getByText('Đã lưu mô tả tệp.').waitFor();
  // A document can't replace an image: the reason is at the field.
  await page.locator('#replace').setInputFiles({ name: 'ke-hoach.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n') });
  await page.getByRole('button', { name: 'Thay bằng tệp này' }).click();
  await page.locator('.field__error', { hasText: 'cùng loại' }).waitFor();
  assert.equal(await page.locator('#replace').getAttribute('aria-invalid'), 'true');
  await page.locator('#replace').setInputFiles({ name: 'Hội thảo (ảnh mới).png', mimeType: 'image/png',
    buffer: await png(page, 1200, 800, '#b3261e') });
  await page.getByRole('button', { name: 'Thay bằng tệp này' }).click();
  await page.getByText('Đã thay tệp').waitFor();
  const newUrl = await page.locator('.media-file__url').textContent();
  assert.notEqual(newUrl, oldUrl);
  assert.equal(await page.getByLabel('Mô tả ảnh (alt)').inputValue(), 'Đại biểu dự hội thảo chuyển đổi số');
  const moved = await fetch(`${base}${oldUrl}`, { redirect: 'manual' });
  assert.equal(moved.status, 302);
  assert.equal(moved.headers.get('location'), newUrl);
  await page.screenshot({ path: `${SHOTS}/media-file-desktop.png`, fullPage: true });
  await context.close();
});

test('the library pages pass axe and hold together on a phone', async () => {
  const { context, page } = await signedIn(PHONE);
  for (const path of ['/admin/media', made.audioPage ?? '/admin/media']) {
    await page.goto(`${base}${path}`);
    assert.deepEqual(await axeViolations(page, path), []);
  }
  await page.goto(`${base}/admin/media`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390, `no sideways scrolling on a phone (${wide}px)`);
  await page.screenshot({ path: `${SHOTS}/media-phone.png`, fullPage: true });
  await context.close();
});
