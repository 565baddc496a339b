// The editor's media library ("Thư viện", crates/sen-web/admin/editor/src/picker.js) in headless
// Chromium, without a server: editor-harness.html loaded over file://, its form pointing the
// library at http://sen.test, which page.route answers here (the listing, the uploads, autosave).
// Opening by mouse, keyboard and shortcut; search, kind filter, pages; uploads with their progress
// and refusals; inserting an image (its alt required), a document link, audio and video players,
// with the exact HTML each gives; an image's new description saved back to the library; Escape;
// an image file pasted or dropped into the text; a library image's srcset and sizes, in the
// editor's DOM only (crates/sen-core/src/variants.rs's rule). One test
// uploads to a real server on 127.0.0.1 that reads slowly, to see XMLHttpRequest's progress.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AXE_SOURCE, launchChromium, waitUntil } from './support.mjs';

const HARNESS = pathToFileURL(resolve(import.meta.dirname, 'editor-harness.html')).href;
const URLS = pathToFileURL(resolve(import.meta.dirname, '../../crates/sen-web/admin/editor/src/urls.js')).href;
const SITE = 'http://sen.test';
const START = '<p>Sáng nay, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh tổ chức hội nghị.</p>';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

// The library as the server gives it (GET /admin/media/picker).
const file = (key, fields) => ({
  key, url: `/media/${key}`, thumb: null, name: key, type: '', class: 'document', size: 1000, size_label: '1 KB',
  width: null, height: null, pages: null, alt: '', caption: '', date: '01/12/2026', ...fields,
});
const PHOTO = file('ab12cd34ef56ab78-hoi-nghi.jpg', {
  thumb: '/media/ab12cd34ef56ab78-hoi-nghi.w320.jpg', name: 'hội nghị.jpg', type: 'image/jpeg', class: 'image',
  size: 183000, size_label: '179 KB', width: 1600, height: 900,
  alt: 'Đại biểu dự hội nghị tổng kết', caption: 'Toàn cảnh hội nghị. Ảnh: Ban Tuyên giáo',
});
const BUILDING = file('0123456789abcdef-tru-so.png', {
  thumb: '/media/0123456789abcdef-tru-so.w320.png', name: 'trụ sở.png', type: 'image/png', class: 'image',
  size_label: '96 KB', width: 1200, height: 800,
});
const REPORT = file('fedcba9876543210-bao-cao.pdf', { name: 'Báo cáo tổng kết 2025.pdf', type: 'application/pdf', size_label: '2,4 MB', pages: 36 });
const SPEECH = file('1111222233334444-phat-bieu.mp3', { name: 'Phát biểu khai mạc.mp3', type: 'audio/mpeg', class: 'audio', size_label: '4,1 MB', caption: 'Phát biểu của Chủ tịch' });
const FILM = file('5555666677778888-phong-su.mp4', { name: 'Phóng sự.mp4', type: 'video/mp4', class: 'video', size_label: '48 MB', width: 1920, height: 1080 });
const PLAN = file('9999aaaabbbbcccc-ke-hoach.docx', { name: 'Kế hoạch 2026.docx', size_label: '88 KB' });
const PAGE_ONE = [PHOTO, BUILDING, REPORT, SPEECH, FILM];

// Page 1 of everything has five files, page 2 one more; a filter or a search finds within them.
function listing(url) {
  const q = (url.searchParams.get('q') ?? '').toLowerCase();
  const kind = url.searchParams.get('class');
  const page = Number(url.searchParams.get('page') ?? '1');
  if (!q && !kind) return { files: page === 2 ? [PLAN] : PAGE_ONE, page, pages: 3, total: 52 };
  const files = [...PAGE_ONE, PLAN].filter(f => (!kind || f.class === kind) && f.name.toLowerCase().includes(q));
  return { files, page: 1, pages: 1, total: files.length };
}

// The harness with the library's routes. `upload(entry, n)` gives the reply to the nth upload
// ({status, json}); `list(url)` the listing's, when it is not the one above; `describe(entry, n)`
// the reply to the nth description saved (POST /admin/media/KEY), a 303 to the file's page unless
// it gives {status, html}.
async function open({ upload, list, describe, viewport, setup } = {}) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => {
    // The browser's own line for a missing thumbnail (file://) or a 4xx answer is no script error.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (setup) await page.addInitScript(`document.addEventListener('DOMContentLoaded', ${setup})`);
  const lists = [];
  const uploads = [];
  const describes = [];
  const warnings = [];
  page.on('console', m => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.route(`${SITE}/**`, async route => {
    const request = route.request();
    const url = new URL(request.url());
    const reply = async (status, json) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(json) })
      .catch(() => {}); // the page may be gone
    if (url.pathname === '/admin/media/picker') {
      lists.push({ url, headers: request.headers() });
      const answer = list ? await list(url) : { status: 200, json: listing(url) };
      return reply(answer.status, answer.json);
    }
    if (url.pathname === '/admin/media' && request.method() === 'POST') {
      const body = request.postDataBuffer()?.toString('utf8') ?? '';
      const entry = {
        url, headers: request.headers(), body,
        filename: (body.match(/name="file"; filename="([^"]*)"/) ?? [])[1],
      };
      uploads.push(entry);
      const answer = await upload(entry, uploads.length);
      return reply(answer.status, answer.json);
    }
    if (url.pathname.startsWith('/admin/media/') && request.method() === 'POST') {
      const body = request.postData() ?? '';
      const entry = { url, headers: request.headers(), body, fields: [...new URLSearchParams(body)] };
      describes.push(entry);
      const answer = describe ? await describe(entry, describes.length) : null;
      if (answer) {
        return route.fulfill({ status: answer.status, contentType: 'text/html; charset=utf-8', body: answer.html }).catch(() => {});
      }
      const key = url.pathname.slice('/admin/media/'.length);
      return route.fulfill({ status: 303, headers: { location: `${SITE}/admin/media/${key}?done=described` }, body: '' }).catch(() => {});
    }
    return reply(200, { version: 4, saved_at: '14:05' }); // autosave
  });
  await page.goto(HARNESS);
  await page.locator('.editor[data-ready]').waitFor();
  const dialog = page.getByRole('dialog');
  const files = dialog.getByRole('radiogroup', { name: 'Tệp trong thư viện' });
  return {
    page, context, lists, uploads, describes, warnings, errors, dialog, files,
    content: page.locator('.editor__content'),
    html: () => page.evaluate(() => document.getElementById('body').editor.getHTML()),
    setHtml: html => page.evaluate(h => document.getElementById('body').editor.commands.setContent(h, { emitUpdate: true }), html),
    button: name => page.locator('[role="toolbar"]').getByRole('button', { name, exact: true }),
    item: name => files.getByRole('radio', { name, exact: true }),
    // A file's card, which a person clicks (its radio button is out of sight).
    card: name => files.locator(`.editor-library__item[title="${name}"]`),
    active: () => page.evaluate(() => {
      const a = document.activeElement;
      return { inDialog: Boolean(a?.closest('dialog')), inEditor: Boolean(a?.classList.contains('editor__content')), label: a?.getAttribute('aria-label') ?? a?.id ?? a?.tagName };
    }),
    // The browser moves the caret and the editor reads it on its next selectionchange: what comes
    // next must wait for it (on CI a shortcut came first, and a file went in where the click had
    // put the caret).
    caretAt: from => waitUntil(() => page.evaluate(n => {
      const { selection } = document.getElementById('body').editor.state;
      return selection.empty && selection.from === n;
    }, from), `the cursor at ${from}`),
    // The cursor at the end of the text, as a person clicks there.
    async cursorAtEnd() {
      await this.content.click();
      await page.keyboard.press('Control+End');
      await waitUntil(() => page.evaluate(() => {
        const { state } = document.getElementById('body').editor;
        return state.selection.empty && state.selection.to === state.doc.content.size - 1;
      }), 'the cursor at the end');
    },
    async openByMouse() {
      await this.button('Thư viện').click();
      await dialog.waitFor();
      await waitUntil(async () => (await this.item(PHOTO.name).count()) === 1, 'the files');
    },
    async close() {
      const csp = await page.evaluate(() => window.__csp);
      assert.deepEqual(csp, [], 'nothing is blocked by the admin\'s Content-Security-Policy');
      assert.deepEqual(errors, [], 'no script errors');
      await context.close();
    },
  };
}


async function axe(page) {
  await page.evaluate(AXE_SOURCE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], preload: false }));
  return violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}

const noUpload = () => { throw new Error('no upload expected'); };

test('a local path is a safe link and a /media/ path a player source; "//host" is neither', async () => {
  const { isSafeHref, isMediaSrc, mediaFileName } = await import(URLS);
  for (const good of ['/media/fedcba9876543210-bao-cao.pdf', '/gioi-thieu', '/']) assert.ok(isSafeHref(good), good);
  for (const bad of ['//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/media/a b.pdf']) assert.ok(!isSafeHref(bad), bad);
  assert.ok(isMediaSrc('/media/1111222233334444-phat-bieu.mp3'));
  for (const bad of ['/media/', '/mediax/a.mp3', '//media/a.mp3', 'https://sen.test/media/a.mp3', '/media/../admin', '/media/a.mp3?x=1', '/uploads/a.mp3']) {
    assert.ok(!isMediaSrc(bad), bad);
  }
  assert.equal(mediaFileName('/media/1111222233334444-ph%C3%A1t-bi%E1%BB%83u.mp3'), 'phát-biểu.mp3');
});

test('a library image\'s srcset: the rule of crates/sen-core/src/variants.rs, exactly', async () => {
  const { mediaSrcset, BODY_SIZES, VARIANT_WIDTHS } = await import(URLS);
  assert.deepEqual(VARIANT_WIDTHS, [320, 640, 1024, 1600]);
  assert.equal(BODY_SIZES, '(max-width: 800px) 100vw, 760px');
  // variants.rs's own cases.
  assert.equal(mediaSrcset('/media/ab12-anh.png'),
    '/media/ab12-anh.w320.jpg 320w, /media/ab12-anh.w640.jpg 640w, /media/ab12-anh.w1024.jpg 1024w, /media/ab12-anh.w1600.jpg 1600w');
  for (const not of ['https://example.vn/a.jpg', '/media/ab12-ke-hoach.pdf', '/media/ab12-anh.w640.jpg', '/static/logo.svg']) {
    assert.equal(mediaSrcset(not), null, not);
  }
  const set = stem => [320, 640, 1024, 1600].map(w => `/media/${stem}.w${w}.jpg ${w}w`).join(', ');
  for (const [src, stem] of [
    ['/media/ab12cd34ef56ab78-hoi-nghi.jpg', 'ab12cd34ef56ab78-hoi-nghi'],
    ['/media/2026/01/aaaabbbbccccdddd-le-ky-niem.JPEG', '2026/01/aaaabbbbccccdddd-le-ky-niem'], // any case
    ['/media/ab12-anh.GiF', 'ab12-anh'],
    ['/media/ab12-anh.webp', 'ab12-anh'],
    ['/media/ab12.tar.png', 'ab12.tar'], // the last extension only
    ['/media/ab12-anh.w.jpg', 'ab12-anh.w'], // no width: no variant
    ['/media/ab12-anh.wide.jpg', 'ab12-anh.wide'],
    ['/media/ab12-anh.W640.jpg', 'ab12-anh.W640'], // ".w" as written
    ['/media/ab12-anh.w640.b.jpg', 'ab12-anh.w640.b'],
    ['/media/ab12-anh.w4294967296.jpg', 'ab12-anh.w4294967296'], // more than a u32
  ]) {
    assert.equal(mediaSrcset(src), set(stem), src);
  }
  for (const not of [
    'https://cdn.example.vn/a.png', '/media/ab12-anh.w640.webp', '/media/ab12-anh.w0.png', '/media/ab12-anh.w+5.jpg',
    '/media/ab12-anh.w4294967295.jpg', '/media/a b.jpg', '/media/a,b.jpg', '/media/a"b.jpg', '/media/a<b.jpg', '/media/a>b.jpg',
    '/media/ab12-anh', '/media/ab12-anh.svg', '/media/ab12-anh.jpg?w=1', '/MEDIA/ab12-anh.jpg', '/mediax/ab12-anh.jpg',
    'http://sen.test/media/ab12-anh.jpg', '', null, undefined,
  ]) {
    assert.equal(mediaSrcset(not), null, String(not));
  }
});

test('the library opens by mouse, keyboard and Ctrl+Alt+M, lists the files, and Escape gives the editor its focus back', async () => {
  const ed = await open({ upload: noUpload });
  const { page, dialog } = ed;
  const library = ed.button('Thư viện');
  assert.equal(await library.getAttribute('title'), 'Thư viện (Ctrl+Alt+M)');
  assert.equal(await library.getAttribute('aria-haspopup'), 'dialog');

  // By mouse: a modal dialog named by its title, the search field focused.
  await ed.cursorAtEnd();
  await ed.openByMouse();
  assert.equal(await dialog.evaluate(d => d.open && d.matches(':modal')), true);
  assert.equal(await dialog.getAttribute('aria-labelledby').then(id => page.locator(`#${id}`).textContent()), 'Thư viện tệp');
  assert.equal(await page.evaluate(() => document.activeElement.type), 'search');
  const [first] = ed.lists;
  assert.equal(first.url.href, `${SITE}/admin/media/picker?page=1`);
  assert.equal(first.headers.accept, 'application/json');
  assert.equal(await dialog.getByRole('status').first().textContent(), '52 tệp');
  assert.equal(await ed.files.getByRole('radio').count(), 5);
  // An image shows its thumbnail; the others their kind, extension, name and size.
  assert.equal(await dialog.locator('.editor-library__item').first().locator('img').getAttribute('src'), PHOTO.thumb);
  const report = ed.card(REPORT.name);
  assert.equal(await report.locator('img').count(), 0);
  assert.equal(await report.locator('.editor-library__ext').textContent(), 'PDF');
  assert.equal(await report.locator('.editor-library__meta').textContent(), 'Tài liệu · 2,4 MB · 36 trang');
  assert.equal(await ed.card(PHOTO.name).locator('.editor-library__meta').textContent(), 'Ảnh · 179 KB · 1600×900');
  assert.equal(await dialog.getByRole('button', { name: 'Chọn', exact: true }).isDisabled(), true, 'nothing chosen yet');

  // The focus stays in the dialog: Tab never reaches the page under it.
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    const { inDialog } = await ed.active();
    const tag = await page.evaluate(() => document.activeElement.tagName);
    assert.ok(inDialog || tag === 'BODY', `Tab ${i + 1} stays in the dialog`);
  }
  assert.deepEqual(await axe(page), [], 'axe-core finds nothing in the open library');

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await waitUntil(async () => (await ed.active()).inEditor, 'the editor\'s focus');
  assert.equal(await ed.html(), START, 'nothing inserted');

  // By keyboard: the toolbar's one tab stop, the arrows to the button, Enter.
  await page.keyboard.press('Shift+Tab');
  for (let i = 0; i < 20 && (await ed.active()).label !== 'Thư viện'; i++) await page.keyboard.press('ArrowRight');
  assert.equal((await ed.active()).label, 'Thư viện');
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  assert.equal((await ed.active()).inDialog, true);
  // Escape from a search field with text closes at once too.
  await page.keyboard.type('abc');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await waitUntil(async () => (await ed.active()).inEditor, 'the editor\'s focus after the keyboard');

  // By the shortcut in the text; the close button closes as well.
  await page.keyboard.press('Control+Alt+m');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await waitUntil(async () => (await ed.active()).inEditor, 'the editor\'s focus after closing');
  assert.equal(await ed.html(), START);
  await ed.close();
});

test('search, the kind filter and the pages ask the server, and a failed listing can be retried', async () => {
  let failing = true;
  const ed = await open({
    upload: noUpload,
    list: url => (failing ? { status: 500, json: {} } : { status: 200, json: listing(url) }),
  });
  const { page, dialog } = ed;
  await ed.button('Thư viện').click();
  const status = dialog.getByRole('status').first();
  await waitUntil(async () => (await status.textContent()) === 'Không tải được danh sách tệp.', 'the failure');
  failing = false;
  await dialog.getByRole('button', { name: 'Thử lại' }).click();
  await waitUntil(async () => (await status.textContent()) === '52 tệp', 'the retry');
  assert.equal(await dialog.getByRole('button', { name: 'Thử lại' }).isVisible(), false);

  // Pages.
  const pager = dialog.getByRole('group', { name: 'Chuyển trang' });
  assert.equal(await pager.locator('.editor-library__page').textContent(), 'Trang 1/3');
  assert.equal(await pager.getByRole('button', { name: 'Trước' }).isDisabled(), true);
  await pager.getByRole('button', { name: 'Sau' }).click();
  await waitUntil(async () => (await ed.files.getByRole('radio').count()) === 1, 'page 2');
  assert.equal(ed.lists.at(-1).url.searchParams.get('page'), '2');
  assert.equal(await pager.locator('.editor-library__page').textContent(), 'Trang 2/3');
  assert.equal(await ed.item(PLAN.name).count(), 1);
  await pager.getByRole('button', { name: 'Trước' }).click();
  await waitUntil(async () => (await ed.files.getByRole('radio').count()) === 5, 'page 1 again');
  assert.equal(ed.lists.at(-1).url.searchParams.get('page'), '1');

  // Search: typing asks after a pause, with q (and from page 1).
  await pager.getByRole('button', { name: 'Sau' }).click();
  await waitUntil(async () => ed.lists.at(-1).url.searchParams.get('page') === '2', 'page 2');
  const asked = ed.lists.length;
  await dialog.getByLabel('Tìm tệp').fill('hội nghị');
  await waitUntil(() => ed.lists.length === asked + 1, 'the search request');
  const searched = ed.lists.at(-1).url;
  assert.equal(searched.searchParams.get('q'), 'hội nghị');
  assert.equal(searched.searchParams.get('page'), '1');
  assert.equal(searched.searchParams.get('class'), null);
  // Page 2 also held one file: the status says when the search's answer is in.
  await waitUntil(async () => (await status.textContent()) === '1 tệp', 'the match');
  assert.equal(await ed.files.getByRole('radio').count(), 1);
  assert.equal(await pager.isVisible(), false, 'one page needs no pager');
  // Enter searches at once.
  await dialog.getByLabel('Tìm tệp').fill('không có');
  await dialog.getByLabel('Tìm tệp').press('Enter');
  await waitUntil(async () => (await status.textContent()) === 'Không có tệp nào khớp.', 'no match');
  assert.equal(ed.lists.at(-1).url.searchParams.get('q'), 'không có');
  await dialog.getByLabel('Tìm tệp').fill('');
  await dialog.getByLabel('Tìm tệp').press('Enter');
  await waitUntil(async () => (await ed.files.getByRole('radio').count()) === 5, 'everything again');

  // The kind filter: one choice at a time, sent as class.
  const kinds = dialog.getByRole('group', { name: 'Loại tệp' });
  assert.deepEqual(await kinds.getByRole('radio').evaluateAll(rs => rs.map(r => r.labels[0].textContent)), ['Tất cả', 'Ảnh', 'Tài liệu', 'Âm thanh', 'Video']);
  for (const [label, kind, names] of [
    ['Ảnh', 'image', [PHOTO.name, BUILDING.name]],
    ['Tài liệu', 'document', [REPORT.name, PLAN.name]],
    ['Âm thanh', 'audio', [SPEECH.name]],
    ['Video', 'video', [FILM.name]],
  ]) {
    await kinds.getByText(label, { exact: true }).click();
    await waitUntil(() => ed.lists.at(-1).url.searchParams.get('class') === kind, `the ${kind} request`);
    await waitUntil(async () => JSON.stringify(await dialog.locator('.editor-library__name').allTextContents()) === JSON.stringify(names), `the ${kind} files`);
    assert.equal(await kinds.getByRole('radio', { name: label }).isChecked(), true);
  }
  await kinds.getByText('Tất cả', { exact: true }).click();
  await waitUntil(() => ed.lists.at(-1).url.searchParams.get('class') === null, 'all kinds');
  // The arrow keys move along the kinds, as radio buttons do.
  await kinds.getByRole('radio', { name: 'Tất cả' }).focus();
  await page.keyboard.press('ArrowRight');
  await waitUntil(() => ed.lists.at(-1).url.searchParams.get('class') === 'image', 'the kind by keyboard');
  await ed.close();
});

test('uploads: each file has its progress bar; a stored one comes first, chosen; a refused one says why', async () => {
  let release;
  const held = new Promise(r => { release = r; });
  const STORED = file('abcdefabcdef0123-toa-dam.jpg', {
    thumb: '/media/abcdefabcdef0123-toa-dam.w320.jpg', name: 'tọa đàm.jpg', type: 'image/jpeg', class: 'image',
    size_label: '240 KB', width: 1600, height: 1067,
  });
  const REFUSAL = 'Không tải lên được: tệp bị hỏng hoặc chưa tải trọn vẹn. Hãy mở thử tệp trên máy rồi tải lại.';
  const ed = await open({
    upload: async entry => {
      if (entry.filename === 'hong.pdf') return { status: 422, json: { error: { code: 'corrupt', message: REFUSAL, field: 'file' } } };
      await held;
      return { status: 201, json: STORED };
    },
  });
  const { page, dialog } = ed;
  await ed.cursorAtEnd();
  await ed.openByMouse();
  await ed.card(REPORT.name).click(); // a choice made before the upload ends gives way to it
  const picker = dialog.locator('input[type="file"]');
  assert.equal(await picker.getAttribute('multiple'), '');
  assert.match(await picker.getAttribute('accept'), /\.jpg,.*\.pdf,.*\.mp3,\.mp4,\.webm$/);
  const chooser = page.waitForEvent('filechooser');
  await dialog.getByRole('button', { name: 'Chọn tệp từ máy' }).click();
  await (await chooser).setFiles([
    { name: 'tọa đàm.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(300000, 7) },
    { name: 'hong.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7 broken') },
  ]);
  const uploads = dialog.getByRole('list', { name: 'Tệp đang tải lên' });
  const good = uploads.getByRole('listitem').filter({ hasText: 'tọa đàm.jpg' });
  const bad = uploads.getByRole('listitem').filter({ hasText: 'hong.pdf' });

  // The refusal is shown beside its file, the other still on its way with its bar.
  await waitUntil(async () => (await bad.getAttribute('data-state')) === 'failed', 'the refusal');
  assert.equal(await bad.locator('.editor-library__upload-note').textContent(), REFUSAL);
  assert.equal(await bad.locator('progress').isVisible(), false);
  assert.equal(await good.getAttribute('data-state'), 'uploading');
  assert.equal(await good.locator('progress').isVisible(), true);
  assert.equal(await good.getByRole('progressbar', { name: 'tọa đàm.jpg' }).count(), 1);
  assert.equal(await good.locator('.editor-library__upload-note').textContent(), 'Đang tải lên…');
  // Both went to the upload URL with the form's token, as multipart with the file in "file".
  assert.equal(ed.uploads.length, 2);
  for (const u of ed.uploads) {
    assert.equal(u.url.href, `${SITE}/admin/media?_csrf=csrf-token-for-tests`);
    assert.equal(u.headers.accept, 'application/json');
    assert.match(u.headers['content-type'], /^multipart\/form-data; boundary=/);
  }
  assert.deepEqual(ed.uploads.map(u => u.filename).sort(), ['hong.pdf', 'tọa đàm.jpg']);
  assert.equal(await ed.item(STORED.name).count(), 0);

  release();
  await waitUntil(async () => (await good.getAttribute('data-state')) === 'done', 'the stored upload');
  assert.equal(await good.locator('progress').evaluate(p => p.value), 100);
  assert.equal(await good.locator('.editor-library__upload-note').textContent(), 'Đã tải lên, đã chọn trong danh sách.');
  assert.equal(await dialog.locator('.editor-library__name').first().textContent(), STORED.name, 'first in the grid');
  assert.equal(await ed.item(STORED.name).isChecked(), true, 'and chosen');
  assert.equal(await dialog.getByRole('status').first().textContent(), '53 tệp');
  assert.deepEqual(await axe(page), [], 'axe-core finds nothing with the uploads listed');

  // A refusal can be put away; going on inserts the upload (an image: its alt first).
  await bad.getByRole('button', { name: 'Bỏ khỏi danh sách' }).click();
  assert.equal(await bad.count(), 0);
  await dialog.getByRole('button', { name: 'Chọn', exact: true }).click();
  await dialog.getByLabel('Mô tả ảnh (alt)').fill('Tọa đàm khoa học');
  await dialog.getByRole('button', { name: 'Chèn ảnh' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await ed.html(), `${START}<figure><img src="/media/abcdefabcdef0123-toa-dam.jpg" alt="Tọa đàm khoa học"></figure><p></p>`);
  // Finished rows go with the dialog.
  await ed.button('Thư viện').click();
  await dialog.waitFor();
  assert.equal(await uploads.isVisible(), false);
  await ed.close();
});

test('an upload that ends before the list arrives stays first and chosen', async () => {
  let release;
  const held = new Promise(r => { release = r; });
  const STORED = file('abcdefabcdef4567-nhanh.pdf', { name: 'nhanh.pdf' });
  const ed = await open({
    upload: async () => ({ status: 201, json: STORED }),
    list: async url => { await held; return { status: 200, json: listing(url) }; },
  });
  const { dialog } = ed;
  await ed.button('Thư viện').click();
  await dialog.waitFor();
  await dialog.locator('input[type="file"]').setInputFiles({ name: 'nhanh.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') });
  await waitUntil(async () => (await ed.item(STORED.name).count()) === 1, 'the upload in the grid');
  release();
  await waitUntil(async () => (await ed.files.getByRole('radio').count()) === 6, 'the list');
  assert.equal(await dialog.locator('.editor-library__name').first().textContent(), STORED.name);
  assert.equal(await ed.item(STORED.name).isChecked(), true);
  assert.equal(await dialog.getByRole('status').first().textContent(), '53 tệp');
  await ed.close();
});

test('an image goes in after its alt text is given (required), with its caption; never a srcset', async () => {
  const ed = await open({ upload: noUpload });
  const { page, dialog } = ed;
  await ed.setHtml('<p>Mở đầu.</p><p>Kết.</p>');
  await ed.content.locator('p').first().click();
  await page.keyboard.press('End');
  await ed.caretAt(1 + 'Mở đầu.'.length);

  // The library's alt and caption are offered; an image without one asks for it.
  await ed.openByMouse();
  await ed.card(BUILDING.name).click();
  await dialog.getByRole('button', { name: 'Chọn', exact: true }).click();
  const alt = dialog.getByLabel('Mô tả ảnh (alt)');
  const caption = dialog.getByLabel('Chú thích');
  assert.equal(await dialog.locator('h2').textContent(), 'Chèn ảnh từ thư viện');
  assert.equal(await dialog.locator('.editor-library__preview-img').getAttribute('src'), BUILDING.url);
  assert.equal(await alt.inputValue(), '');
  assert.equal(await alt.getAttribute('aria-required'), 'true');
  assert.equal((await ed.active()).label, await alt.getAttribute('id'), 'the alt field has the focus');
  await dialog.getByRole('button', { name: 'Chèn ảnh' }).click();
  const error = dialog.getByText('Hãy nhập mô tả ảnh.');
  assert.equal(await error.isVisible(), true);
  assert.equal(await alt.getAttribute('aria-invalid'), 'true');
  assert.match(await alt.getAttribute('aria-describedby'), new RegExp(await error.getAttribute('id')));
  assert.equal(await page.evaluate(() => document.activeElement.id), await alt.getAttribute('id'));
  // Spaces alone are no description either.
  await alt.fill('   ');
  await alt.press('Enter');
  assert.equal(await alt.getAttribute('aria-invalid'), 'true');
  assert.equal(await dialog.isVisible(), true);
  assert.deepEqual(await axe(page), [], 'axe-core finds nothing in the alt step with its error');

  // Back to the list keeps the choice; another image brings its own words.
  await dialog.getByRole('button', { name: 'Quay lại' }).click();
  assert.equal(await ed.item(BUILDING.name).isChecked(), true);
  await ed.card(PHOTO.name).dblclick();
  assert.equal(await alt.inputValue(), PHOTO.alt);
  assert.equal(await caption.inputValue(), PHOTO.caption);
  assert.equal(await alt.getAttribute('aria-invalid'), null, 'no error left from before');
  await alt.fill('  Đại biểu   dự hội nghị ');
  await caption.fill('Toàn cảnh hội nghị');
  await alt.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  const figure = '<figure><img src="/media/ab12cd34ef56ab78-hoi-nghi.jpg" alt="Đại biểu dự hội nghị"><figcaption>Toàn cảnh hội nghị</figcaption></figure>';
  assert.equal(await ed.html(), `<p>Mở đầu.</p>${figure}<p>Kết.</p>`);
  assert.doesNotMatch(await ed.html(), /srcset/);
  assert.equal(await ed.content.locator('figure img').getAttribute('srcset'),
    [320, 640, 1024, 1600].map(w => `/media/ab12cd34ef56ab78-hoi-nghi.w${w}.jpg ${w}w`).join(', '), 'in the editor only');
  // Typing goes on after the image.
  await waitUntil(async () => (await ed.active()).inEditor, 'the editor\'s focus');
  await page.keyboard.type('Tiếp ');
  assert.equal(await ed.html(), `<p>Mở đầu.</p>${figure}<p>Tiếp Kết.</p>`);
  assert.equal(await page.locator('#body').inputValue(), await ed.html(), 'the form sends it');
  await ed.close();
});

test('in the editor a library image shows with its variants (srcset, sizes); getHTML() never has them', async () => {
  const ed = await open({ upload: noUpload });
  const { page, content } = ed;
  const SRCSET = [320, 640, 1024, 1600].map(w => `/media/ab12cd34ef56ab78-hoi-nghi.w${w}.jpg ${w}w`).join(', ');
  const SIZES = '(max-width: 800px) 100vw, 760px';
  const photo = '<figure><img src="/media/ab12cd34ef56ab78-hoi-nghi.jpg" alt="Đại biểu dự hội nghị"><figcaption>Toàn cảnh hội nghị</figcaption></figure>';
  const remote = '<figure><img src="https://cdn.example.vn/a.png" alt="Ảnh từ nơi khác"></figure>';
  const variant = '<figure><img src="/media/ab12-anh.w640.jpg" alt="Một bản thu nhỏ"></figure>';
  const html = `<p>Mở đầu.</p>${photo}${remote}${variant}<p>Kết.</p>`;
  await ed.setHtml(html);
  assert.equal(await ed.html(), html, 'getHTML() as before: no srcset, no sizes');
  assert.equal(await page.locator('#body').inputValue(), html, 'the form sends it');

  const figures = content.locator('figure');
  const imgs = content.locator('figure > img');
  assert.equal(await imgs.count(), 3);
  const attrs = img => img.evaluate(e => Object.fromEntries([...e.attributes].map(a => [a.name, a.value])));
  assert.deepEqual(await attrs(imgs.nth(0)),
    { src: '/media/ab12cd34ef56ab78-hoi-nghi.jpg', alt: 'Đại biểu dự hội nghị', srcset: SRCSET, sizes: SIZES });
  assert.deepEqual(await attrs(imgs.nth(1)), { src: 'https://cdn.example.vn/a.png', alt: 'Ảnh từ nơi khác' });
  assert.deepEqual(await attrs(imgs.nth(2)), { src: '/media/ab12-anh.w640.jpg', alt: 'Một bản thu nhỏ' });
  // The browser asks for one of the copies, never the original.
  await waitUntil(() => imgs.nth(0).evaluate(e => e.currentSrc !== ''), 'the image\'s choice');
  assert.match(await imgs.nth(0).evaluate(e => e.currentSrc), /\/media\/ab12cd34ef56ab78-hoi-nghi\.w(320|640|1024|1600)\.jpg$/);
  // The figure is as before: not editable inside, draggable, its caption under the image.
  assert.equal(await figures.first().getAttribute('contenteditable'), 'false');
  assert.equal(await figures.first().getAttribute('draggable'), 'true');
  assert.equal(await figures.first().locator('figcaption').textContent(), 'Toàn cảnh hội nghị');
  assert.equal(await figures.nth(1).locator('figcaption').count(), 0, 'no caption, no figcaption');

  // A double click opens the image form; another address drops the variants, another caption shows.
  const selected = () => page.evaluate(() => {
    const { selection } = document.getElementById('body').editor.state;
    return selection.node ? `${selection.node.type.name} ${selection.node.attrs.src}` : null;
  });
  await figures.first().locator('figcaption').dblclick();
  assert.equal(await selected(), 'figureImage /media/ab12cd34ef56ab78-hoi-nghi.jpg');
  assert.equal(await page.getByLabel('Địa chỉ ảnh').inputValue(), '/media/ab12cd34ef56ab78-hoi-nghi.jpg');
  await page.getByLabel('Địa chỉ ảnh').fill('https://cdn.example.vn/b.jpg');
  await page.getByLabel('Chú thích (không bắt buộc)').fill('');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  const edited = '<figure><img src="https://cdn.example.vn/b.jpg" alt="Đại biểu dự hội nghị"></figure>';
  assert.equal(await ed.html(), `<p>Mở đầu.</p>${edited}${remote}${variant}<p>Kết.</p>`);
  assert.deepEqual(await attrs(imgs.nth(0)), { src: 'https://cdn.example.vn/b.jpg', alt: 'Đại biểu dự hội nghị' });
  assert.equal(await figures.first().locator('figcaption').count(), 0);
  // And back: the remote image becomes a library one, with a caption.
  await figures.nth(1).dblclick();
  assert.equal(await selected(), 'figureImage https://cdn.example.vn/a.png');
  await page.getByLabel('Địa chỉ ảnh').fill('/media/ab12cd34ef56ab78-hoi-nghi.jpg');
  await page.getByLabel('Chú thích (không bắt buộc)').fill('Chú thích mới');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  assert.deepEqual(await attrs(imgs.nth(1)),
    { src: '/media/ab12cd34ef56ab78-hoi-nghi.jpg', alt: 'Ảnh từ nơi khác', srcset: SRCSET, sizes: SIZES });
  assert.equal(await figures.nth(1).locator('figcaption').textContent(), 'Chú thích mới');
  assert.equal(await ed.html(), `<p>Mở đầu.</p>${edited}<figure><img src="/media/ab12cd34ef56ab78-hoi-nghi.jpg" alt="Ảnh từ nơi khác"><figcaption>Chú thích mới</figcaption></figure>${variant}<p>Kết.</p>`);

  // Selected by a click, it goes with Backspace; undo brings it back, with its variants.
  await page.waitForTimeout(600); // a new undo step
  await figures.nth(1).locator('figcaption').click();
  assert.equal(await selected(), 'figureImage /media/ab12cd34ef56ab78-hoi-nghi.jpg');
  await page.keyboard.press('Backspace');
  assert.equal(await ed.html(), `<p>Mở đầu.</p>${edited}${variant}<p>Kết.</p>`);
  await ed.button('Hoàn tác').click();
  assert.equal(await imgs.count(), 3);
  assert.deepEqual(await attrs(imgs.nth(1)),
    { src: '/media/ab12cd34ef56ab78-hoi-nghi.jpg', alt: 'Ảnh từ nơi khác', srcset: SRCSET, sizes: SIZES });
  assert.doesNotMatch(await ed.html(), /srcset|sizes/);
  await ed.close();
});

test('an image the library had no alt for: the alt given is saved back to it, once, without holding up the insertion', async () => {
  let release;
  const held = new Promise(r => { release = r; });
  const ed = await open({ upload: noUpload, describe: async () => { await held; } });
  const { page, dialog } = ed;
  const alt = dialog.getByLabel('Mô tả ảnh (alt)');
  const caption = dialog.getByLabel('Chú thích');
  await ed.cursorAtEnd();
  await ed.openByMouse();
  await ed.card(BUILDING.name).dblclick();
  assert.equal(await alt.inputValue(), '');
  assert.equal(await caption.inputValue(), '');
  await alt.fill(' Trụ sở  Liên hiệp các Hội ');
  await caption.fill('Trụ sở mới, nhìn từ đường Trần Hưng Đạo');
  await dialog.getByRole('button', { name: 'Chèn ảnh' }).click();
  await dialog.waitFor({ state: 'hidden' });
  // In at once, as ever, while the library has not answered yet.
  const figure = '<figure><img src="/media/0123456789abcdef-tru-so.png" alt="Trụ sở Liên hiệp các Hội"><figcaption>Trụ sở mới, nhìn từ đường Trần Hưng Đạo</figcaption></figure>';
  assert.equal(await ed.html(), `${START}${figure}<p></p>`);
  await waitUntil(() => ed.describes.length === 1, 'the description sent');
  const [sent] = ed.describes;
  assert.equal(sent.url.href, `${SITE}/admin/media/0123456789abcdef-tru-so.png`);
  assert.match(sent.headers['content-type'], /^application\/x-www-form-urlencoded/);
  assert.deepEqual(sent.fields, [
    ['_csrf', 'csrf-token-for-tests'],
    ['alt', 'Trụ sở Liên hiệp các Hội'],
    ['caption', 'Trụ sở mới, nhìn từ đường Trần Hưng Đạo'],
  ]);
  release();

  // Chosen again this session, it offers what was saved (though this listing still has no alt),
  // and nothing goes back: the library has an alt now.
  await ed.button('Thư viện').click();
  await waitUntil(async () => (await ed.item(BUILDING.name).count()) === 1, 'the files');
  await ed.card(BUILDING.name).dblclick();
  assert.equal(await alt.inputValue(), 'Trụ sở Liên hiệp các Hội');
  assert.equal(await caption.inputValue(), 'Trụ sở mới, nhìn từ đường Trần Hưng Đạo');
  await alt.fill('Mặt trước trụ sở');
  await caption.fill('');
  await alt.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  assert.match(await ed.html(), /<figure><img src="\/media\/0123456789abcdef-tru-so.png" alt="Mặt trước trụ sở"><\/figure>/);

  // An image whose library alt was set: never sent, whatever is typed.
  await ed.button('Thư viện').click();
  await waitUntil(async () => (await ed.item(PHOTO.name).count()) === 1, 'the files');
  await ed.card(PHOTO.name).dblclick();
  assert.equal(await alt.inputValue(), PHOTO.alt);
  await alt.fill('Đại biểu dự hội nghị');
  await caption.fill('Toàn cảnh');
  await alt.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  const photo = '<figure><img src="/media/ab12cd34ef56ab78-hoi-nghi.jpg" alt="Đại biểu dự hội nghị"><figcaption>Toàn cảnh</figcaption></figure>';
  assert.ok((await ed.html()).includes(photo));
  await page.waitForTimeout(300);
  assert.equal(ed.describes.length, 1, 'one description sent in all');
  assert.deepEqual(ed.warnings, []);
  await ed.close();
});

test('a description saved back keeps the library\'s caption, sends "/" in a key as %2F, and a refusal only warns', async () => {
  const DEEP = file('2026/01/aaaabbbbccccdddd-le-ky-niem.jpg', {
    name: 'lễ kỷ niệm.jpg', type: 'image/jpeg', class: 'image', width: 1600, height: 1067, caption: 'Ảnh: Ban Tuyên giáo',
  });
  const ed = await open({
    upload: noUpload,
    list: url => ({ status: 200, json: { files: [DEEP, ...listing(url).files], page: 1, pages: 1, total: 6 } }),
    describe: (entry, n) => (n === 1 ? { status: 422, html: '<!doctype html><title>Lỗi</title><p>Mô tả quá dài.</p>' } : null),
  });
  const { page, dialog } = ed;
  const alt = dialog.getByLabel('Mô tả ảnh (alt)');
  const caption = dialog.getByLabel('Chú thích');
  await ed.cursorAtEnd();
  await ed.openByMouse();
  await ed.card(DEEP.name).dblclick();
  assert.equal(await caption.inputValue(), DEEP.caption);
  await alt.fill('Lễ kỷ niệm');
  await caption.fill('Lễ kỷ niệm 30 năm'); // the article's caption; the library keeps its own
  await dialog.getByRole('button', { name: 'Chèn ảnh' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const figure = '<figure><img src="/media/2026/01/aaaabbbbccccdddd-le-ky-niem.jpg" alt="Lễ kỷ niệm"><figcaption>Lễ kỷ niệm 30 năm</figcaption></figure>';
  assert.equal(await ed.html(), `${START}${figure}<p></p>`);
  await waitUntil(() => ed.describes.length === 1, 'the description sent');
  assert.equal(ed.describes[0].url.pathname, '/admin/media/2026%2F01%2Faaaabbbbccccdddd-le-ky-niem.jpg');
  assert.deepEqual(ed.describes[0].fields, [['_csrf', 'csrf-token-for-tests'], ['alt', 'Lễ kỷ niệm'], ['caption', 'Ảnh: Ban Tuyên giáo']]);

  // Refused (422): a warning in the console, nothing on the page, the article as it was.
  await waitUntil(() => ed.warnings.some(w => w.includes('not saved')), 'the warning');
  assert.equal(await page.locator('[role="alert"]:visible, .field__error:visible').count(), 0);
  assert.equal(await ed.html(), `${START}${figure}<p></p>`);
  // Not saved, so asked again, and sent again.
  await ed.button('Thư viện').click();
  await waitUntil(async () => (await ed.item(DEEP.name).count()) === 1, 'the files');
  await ed.card(DEEP.name).dblclick();
  assert.equal(await alt.inputValue(), '');
  assert.equal(await caption.inputValue(), DEEP.caption);
  await alt.fill('Lễ kỷ niệm 30 năm thành lập');
  await alt.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  await waitUntil(() => ed.describes.length === 2, 'the second description sent');
  assert.deepEqual(ed.describes[1].fields, [['_csrf', 'csrf-token-for-tests'], ['alt', 'Lễ kỷ niệm 30 năm thành lập'], ['caption', 'Ảnh: Ban Tuyên giáo']]);
  await page.waitForTimeout(200);
  assert.equal(ed.warnings.length, 1, 'the 303 counts as saved');
  await ed.close();
});

test('a document goes in as a link in a paragraph of its own', async () => {
  const ed = await open({ upload: noUpload });
  const { page, dialog } = ed;
  await ed.cursorAtEnd();
  await ed.openByMouse();
  await ed.item(REPORT.name).focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter'); // Enter on a file chooses it
  await dialog.waitFor({ state: 'hidden' });
  const link = '<p><a href="/media/fedcba9876543210-bao-cao.pdf" rel="noopener noreferrer">Báo cáo tổng kết 2025.pdf</a></p>';
  assert.equal(await ed.html(), `${START}${link}<p></p>`);
  await waitUntil(async () => (await ed.active()).inEditor, 'the editor\'s focus');
  await page.keyboard.type('Xem báo cáo.');
  assert.equal(await ed.html(), `${START}${link}<p>Xem báo cáo.</p>`, 'typing goes on after it, not in the link');

  // In the middle of a paragraph, the paragraph is split around it.
  await ed.setHtml('<p>Trước sau</p>');
  // The caret put there through the editor: on a loaded CI machine a click and the keys after it
  // left it at the end twice (the editor applied the click's selection after the keys).
  await page.evaluate(n => document.getElementById('body').editor.chain().focus().setTextSelection(n).run(), 1 + 'Trước'.length);
  await ed.caretAt(1 + 'Trước'.length);
  await page.keyboard.press('Control+Alt+m');
  await waitUntil(async () => (await ed.item(PLAN.name).count()) + (await ed.item(REPORT.name).count()) > 0, 'the files');
  await ed.card(REPORT.name).dblclick();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await ed.html(), `<p>Trước</p>${link}<p> sau</p>`);
  await ed.close();
});

test('audio and video go in as players with the exact HTML the server keeps, and come back as players', async () => {
  const ed = await open({ upload: noUpload });
  const { page, dialog, content } = ed;
  await ed.setHtml('<p>Đầu.</p>');
  await ed.cursorAtEnd();
  await ed.openByMouse();
  await ed.card(SPEECH.name).click();
  await dialog.getByRole('button', { name: 'Chọn', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  const audio = '<figure class="player"><audio src="/media/1111222233334444-phat-bieu.mp3" controls="" preload="metadata"></audio><figcaption>Phát biểu của Chủ tịch</figcaption></figure>';
  assert.equal(await ed.html(), `<p>Đầu.</p>${audio}<p></p>`);
  await waitUntil(async () => (await ed.active()).inEditor, 'the editor\'s focus');
  await page.keyboard.type('Giữa.');

  await ed.button('Thư viện').click();
  await waitUntil(async () => (await ed.item(FILM.name).count()) === 1, 'the files');
  await ed.card(FILM.name).dblclick();
  await dialog.waitFor({ state: 'hidden' });
  const video = '<figure class="player"><video src="/media/5555666677778888-phong-su.mp4" controls="" preload="metadata"></video></figure>';
  const html = `<p>Đầu.</p>${audio}<p>Giữa.</p>${video}<p></p>`;
  assert.equal(await ed.html(), html, 'no caption, no figcaption');
  assert.equal(await page.locator('#body').inputValue(), html);

  // In the editor: a box with the kind, the file's name, a real player and the caption.
  const boxes = content.locator('.editor-player');
  assert.equal(await boxes.count(), 2);
  const speech = boxes.first();
  assert.equal(await speech.getAttribute('contenteditable'), 'false');
  assert.equal(await speech.getAttribute('draggable'), 'true');
  assert.equal(await speech.locator('.editor-player__kind').textContent(), 'Âm thanh');
  assert.equal(await speech.locator('.editor-player__name').textContent(), 'phat-bieu.mp3');
  assert.equal(await speech.locator('audio[controls]').getAttribute('src'), SPEECH.url);
  assert.equal(await speech.locator('.editor-player__caption').textContent(), 'Phát biểu của Chủ tịch');
  assert.equal(await boxes.nth(1).locator('video[controls]').getAttribute('src'), FILM.url);
  assert.equal(await boxes.nth(1).locator('.editor-player__caption').isVisible(), false);

  // The HTML reads back the same; anything but a /media/ source in figure.player is no player.
  await ed.setHtml(html);
  assert.equal(await ed.html(), html);
  await ed.setHtml('<figure class="player"><audio src="https://cdn.example.vn/a.mp3" controls=""></audio><figcaption>Ngoài</figcaption></figure>'
    + '<audio src="/media/1111222233334444-phat-bieu.mp3" controls=""></audio>'
    + '<figure><video src="/media/5555666677778888-phong-su.mp4"></video></figure>'
    + '<figure class="player"><video src="//evil.example/media/a.mp4"></video></figure>');
  assert.doesNotMatch(await ed.html(), /<audio|<video|class="player"/);

  // Selected by a click on its box, it goes with Backspace; undo brings it back.
  await ed.setHtml(html);
  await speech.locator('.editor-player__name').click();
  assert.equal(await page.evaluate(() => document.getElementById('body').editor.state.selection.node?.type.name), 'mediaPlayer');
  await page.keyboard.press('Backspace');
  assert.equal(await ed.html(), `<p>Đầu.</p><p>Giữa.</p>${video}<p></p>`);
  // From the paragraph after it, Backspace selects it first, as the video embed, then deletes it.
  await content.locator('p').last().click();
  await page.keyboard.press('Backspace');
  assert.equal(await page.evaluate(() => document.getElementById('body').editor.state.selection.node?.attrs.kind), 'video');
  await page.keyboard.press('Backspace');
  assert.equal(await ed.html(), '<p>Đầu.</p><p>Giữa.</p><p></p>');
  await ed.close();
});

test('a file pasted or dropped into the text is uploaded, then inserted there (an image once described)', async () => {
  const STORED = file('0a0b0c0d0e0f0a0b-chup-man-hinh.png', { name: 'chụp màn hình.png', type: 'image/png', class: 'image', width: 800, height: 600 });
  const ed = await open({ upload: async entry => ({ status: 201, json: entry.filename.endsWith('.pdf') ? REPORT : STORED }) });
  const { page, dialog, content } = ed;
  await ed.setHtml('<p>Một.</p><p>Hai.</p>');
  await content.locator('p').first().click();
  await page.keyboard.press('End');
  await ed.caretAt(1 + 'Một.'.length);
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], 'chụp màn hình.png', { type: 'image/png' }));
    document.querySelector('.editor__content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await dialog.waitFor();
  const alt = dialog.getByLabel('Mô tả ảnh (alt)');
  await alt.waitFor();
  assert.equal(ed.uploads.length, 1);
  assert.equal(ed.uploads[0].filename, 'chụp màn hình.png');
  assert.equal(await page.evaluate(() => document.activeElement.id), await alt.getAttribute('id'));
  await alt.fill('Màn hình trang quản trị');
  await alt.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  const figure = '<figure><img src="/media/0a0b0c0d0e0f0a0b-chup-man-hinh.png" alt="Màn hình trang quản trị"></figure>';
  assert.equal(await ed.html(), `<p>Một.</p>${figure}<p>Hai.</p>`);

  // Dropped on the second paragraph's end.
  const box = await content.locator('p').last().boundingBox();
  await page.evaluate(({ x, y }) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array([137, 80, 78, 71])], 'chụp màn hình.png', { type: 'image/png' }));
    document.querySelector('.editor__content').dispatchEvent(new DragEvent('drop', { dataTransfer: data, clientX: x, clientY: y, bubbles: true, cancelable: true }));
  }, { x: box.x + box.width - 2, y: box.y + box.height / 2 });
  await alt.waitFor();
  assert.equal(ed.uploads.length, 2);
  await alt.fill('Lần hai');
  await dialog.getByRole('button', { name: 'Chèn ảnh' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const second = '<figure><img src="/media/0a0b0c0d0e0f0a0b-chup-man-hinh.png" alt="Lần hai"></figure>';
  assert.equal(await ed.html(), `<p>Một.</p>${figure}<p>Hai.</p>${second}<p></p>`);

  // A document dropped at the end of the first paragraph goes in as its link, at once.
  const one = await content.locator('p').first().boundingBox();
  await page.evaluate(({ x, y }) => {
    const data = new DataTransfer();
    data.items.add(new File(['%PDF-1.7'], 'Báo cáo tổng kết 2025.pdf', { type: 'application/pdf' }));
    document.querySelector('.editor__content').dispatchEvent(new DragEvent('drop', { dataTransfer: data, clientX: x, clientY: y, bubbles: true, cancelable: true }));
  }, { x: one.x + one.width - 2, y: one.y + one.height / 2 });
  await waitUntil(() => ed.uploads.length === 3, 'the third upload');
  await dialog.waitFor({ state: 'hidden' });
  const link = '<p><a href="/media/fedcba9876543210-bao-cao.pdf" rel="noopener noreferrer">Báo cáo tổng kết 2025.pdf</a></p>';
  assert.equal(await ed.html(), `<p>Một.</p>${link}${figure}<p>Hai.</p>${second}<p></p>`);

  // A paste with text (Word, Excel: a picture of the text comes along) stays a text paste.
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.setData('text/html', '<p>Bảng số liệu</p>');
    data.setData('text/plain', 'Bảng số liệu');
    data.items.add(new File([new Uint8Array([1, 2, 3])], 'image.png', { type: 'image/png' }));
    document.querySelector('.editor__content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  assert.equal(ed.uploads.length, 3);
  assert.equal(await dialog.isVisible(), false);
  assert.match(await ed.html(), /<p>Bảng số liệu<\/p>/);
  await ed.close();
});

test('the phone: the library fills the screen', async () => {
  const ed = await open({ upload: noUpload, viewport: { width: 390, height: 844 } });
  await ed.openByMouse();
  const box = await ed.dialog.boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 390, 844]);
  const grid = await ed.dialog.locator('.editor-library__item').evaluateAll(items => items.slice(0, 2).map(i => Math.round(i.getBoundingClientRect().width)));
  assert.ok(grid[0] > 150 && grid[0] === grid[1], `two columns of files (${grid})`);
  assert.equal(await ed.page.evaluate(() => document.documentElement.scrollWidth), 390, 'nothing wider than the screen');
  await ed.close();
});

// A real server on 127.0.0.1 that reads the upload slowly, so that the bar moves as bytes go.
test('the progress bar follows the bytes XMLHttpRequest has sent', async () => {
  const server = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'accept' };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    req.on('data', () => {
      req.pause();
      setTimeout(() => req.resume(), 15);
    });
    req.on('end', () => {
      res.writeHead(201, { ...cors, 'content-type': 'application/json' });
      res.end(JSON.stringify(file('abababababababab-lon.pdf', { name: 'lớn.pdf' })));
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const ed = await open({
    upload: noUpload,
    setup: `() => { document.getElementById('article-form').dataset.mediaUploadUrl = 'http://127.0.0.1:${port}/admin/media'; }`,
  });
  try {
    const { page, dialog } = ed;
    await ed.openByMouse();
    await dialog.locator('input[type="file"]').setInputFiles({ name: 'lớn.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(8 * 1024 * 1024, 1) });
    const seen = new Set();
    const row = dialog.locator('.editor-library__upload');
    await waitUntil(async () => {
      const [state, value, text] = await row.evaluate(r => [r.dataset.state, r.querySelector('progress').value, r.querySelector('.editor-library__percent').textContent]);
      if (state === 'uploading') seen.add(`${value} ${text}`);
      return state === 'done';
    }, 'the slow upload', 30000);
    const between = [...seen].filter(s => { const v = Number(s.split(' ')[0]); return v > 0 && v < 100; });
    assert.ok(between.length >= 2, `the bar moved on the way (${[...seen].join(', ')})`);
    for (const s of between) assert.match(s, /^(\d+) \1%$/, 'the percentage beside the bar says the same');
    assert.equal(await ed.item('lớn.pdf').isChecked(), true);
    await ed.close();
  } finally {
    server.close();
  }
});
