// The article desk in headless Chromium against the real server: an author's article returned
// with a comment, resubmitted and published (Vietnamese typed through an input method); a Word
// paste saved and read back; two tabs saving one article; restoring a revision; hostile markup
// that must never run (public page, preview link, editor); a video that loads only on a click;
// screenshots to /tmp/shots/desk-*.png and axe-core on the desk and the form.
// Run by scripts/test after target/debug/sen is built.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AXE_SOURCE, freePort, launchChromium, SEN, signIn as signInAt, waitFor } from './support.mjs';

const SHOTS = '/tmp/shots';
const WIDTHS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const ADMIN_PASSWORD = 'Ban-bien-tap-Ha-Lam-2026';
const AUTHOR_PASSWORD = 'Cong-tac-vien-viet-bai-2026';
const EDITOR_PASSWORD = 'Bien-tap-vien-hai-lop-2026';
const PASSWORDS = { admin: ADMIN_PASSWORD, ctv: AUTHOR_PASSWORD, bientap: EDITOR_PASSWORD };
const STALE = 'Bài viết vừa được người khác lưu trong lúc bạn soạn.'; // err_stale, its first sentence

let server, browser, base, dataDir, category;
// What earlier tests made, for the screenshots and axe.
const made = {};



function addUser(username, role, name, password, extra = []) {
  const add = spawnSync(SEN, ['user', 'add', '--data', dataDir, '--username', username, '--role', role,
    '--name', name, '--password-stdin', ...extra], { input: `${password}\n` });
  assert.equal(add.status, 0, String(add.stderr));
}

async function signIn(page, username, password) {
  await signInAt(page, base, username, password);
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sen-desk-'));
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(SEN, ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    env: { ...process.env, SEN_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let printed = '';
  server.stdout.on('data', chunk => { printed += chunk; });
  await waitFor(`${base}/healthz`);
  const firstPassword = printed.match(/password: (\S+)/)?.[1];
  assert.ok(firstPassword, `the first start prints the admin's password:\n${printed}`);
  // The sample portal's "Tin hoạt động": the editor works in it.
  const { items } = await (await fetch(`${base}/api/v1/categories`)).json();
  category = items.find(c => c.slug === 'tin-hoat-dong');
  assert.ok(category, 'the sample portal has the category "Tin hoạt động"');
  addUser('ctv', 'author', 'Trần Cộng Tác', AUTHOR_PASSWORD);
  addUser('bientap', 'editor', 'Lê Biên Tập', EDITOR_PASSWORD, ['--category', String(category.id)]);
  browser = await launchChromium();
  // The administrator's one-time password is changed at the first sign-in.
  const context = await browser.newContext({ locale: 'vi-VN' });
  const page = await context.newPage();
  await signIn(page, 'admin', firstPassword);
  assert.equal(new URL(page.url()).pathname, '/admin/password');
  await page.getByLabel('Mật khẩu hiện tại').fill(firstPassword);
  await page.getByLabel('Mật khẩu mới', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('Nhập lại mật khẩu mới').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Lưu mật khẩu mới' }).click();
  await page.getByText('Đã lưu mật khẩu mới.').waitFor();
  await context.close();
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

// A signed-in staff member's tab; `errors` gathers script errors.
async function staff(username, { width = 'desktop', ...options } = {}) {
  const context = await browser.newContext({ locale: 'vi-VN', ...WIDTHS[width], ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await signIn(page, username, PASSWORDS[username]);
  assert.equal(new URL(page.url()).pathname, '/admin', `${username} is signed in`);
  return { context, page, errors };
}

// A reader's tab, nothing fetched outside the portal: video players get an empty page.
async function reader(width = 'desktop') {
  const context = await browser.newContext({ locale: 'vi-VN', ...WIDTHS[width] });
  const outside = [];
  await context.route(url => !url.href.startsWith(base), route => {
    outside.push(route.request().url());
    if (/youtube-nocookie\.com|player\.vimeo\.com/.test(route.request().url())) {
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>player</title>' });
    }
    return route.abort();
  });
  return { context, page: await context.newPage(), outside };
}

// Opens an article's form (or the new one) with the editor ready.
async function openForm(page, id) {
  await page.goto(`${base}/admin/articles/${id ?? 'new'}`);
  await page.locator('.editor[data-ready]').waitFor();
}

// Presses a submit button of the page and waits for the page the server answers with.
async function press(page, name) {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return response;
}

// The article id of a form page's address.
const idOf = page => Number(new URL(page.url()).pathname.match(/\/admin\/articles\/(\d+)/)?.[1]);

// The article's body as the server stored it (the textarea before any script touched it).
async function storedBody(page, id) {
  const html = await (await page.request.get(`${base}/admin/articles/${id}`)).text();
  return page.evaluate(h => new DOMParser().parseFromString(h, 'text/html').getElementById('body').value, html);
}

// Telex: each word composed letter by letter through the input method, then committed.
async function compose(page, words) {
  const cdp = await page.context().newCDPSession(page);
  for (const [i, steps] of words.entries()) {
    if (i) await cdp.send('Input.insertText', { text: ' ' });
    for (const text of steps) {
      await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    }
    await cdp.send('Input.insertText', { text: steps[steps.length - 1] });
  }
  await cdp.detach();
}
const HOI_NGHI = [['H', 'Ho', 'Hô', 'Hôi', 'Hội'], ['n', 'ng', 'ngh', 'nghi', 'nghị'],
  ['t', 'to', 'tô', 'tôn', 'tông', 'tổng'], ['k', 'ke', 'kê', 'kêt', 'kết'], ['n', 'na', 'năm']];

test('an author writes, the editor returns it with a comment, then publishes it; readers see it', async () => {
  const title = 'Liên hiệp Hội tổng kết công tác năm 2026';
  const author = await staff('ctv');
  const a = author.page;
  await openForm(a);
  await a.getByLabel('Tiêu đề', { exact: true }).fill(title);
  await a.getByLabel('Chuyên mục').selectOption(String(category.id));
  await a.locator('.editor__content').click();
  await compose(a, HOI_NGHI);
  await a.keyboard.insertText(' diễn ra sáng nay.');
  const typed = '<p>Hội nghị tổng kết năm diễn ra sáng nay.</p>';
  assert.equal(await a.locator('#body').inputValue(), typed, 'the composed words land exactly');
  await press(a, 'Gửi duyệt');
  assert.match(a.url(), /\/admin\/articles\/\d+\?done=article_submitted$/);
  const id = idOf(a);
  made.article = id;
  await a.getByText('Đã gửi duyệt.').waitFor();
  assert.equal(await a.locator('.page-head .tag').textContent(), 'Chờ duyệt');

  // The editor returns it: first without a comment.
  const editor = await staff('bientap');
  const e = editor.page;
  await openForm(e, id);
  const refused = await press(e, 'Trả lại');
  assert.equal(refused.status(), 422);
  assert.match(await e.locator('#note-error').textContent(), /Nhập ý kiến biên tập để trả lại bài/);
  assert.equal(await e.getByRole('alert').getByRole('link', { name: 'Nhập ý kiến biên tập để trả lại bài' }).count(), 1);
  const note = 'Bổ sung số đại biểu dự hội nghị.';
  await e.getByLabel('Ý kiến biên tập', { exact: true }).fill(note);
  await press(e, 'Trả lại');
  assert.match(e.url(), /done=article_returned$/);
  await e.getByText('Đã trả lại bài cho người viết.').waitFor();

  // The author sees the comment, edits and resubmits.
  await openForm(a, id);
  assert.equal(await a.locator('.page-head .tag').textContent(), 'Bị trả lại');
  const callout = a.getByRole('note').filter({ hasText: 'Ý kiến biên tập khi trả lại bài' });
  assert.equal((await callout.locator('p').textContent()).trim(), note);
  await a.locator('.editor__content').click();
  await a.keyboard.press('Control+End');
  await a.keyboard.insertText(' Có 120 đại biểu dự.');
  await press(a, 'Gửi duyệt');
  assert.match(a.url(), /done=article_submitted$/);

  // The editor approves; the public address answers at once.
  await openForm(e, id);
  await press(e, 'Duyệt và xuất bản');
  assert.match(e.url(), /done=article_published$/);
  assert.equal(await e.locator('.page-head .tag').textContent(), 'Đã xuất bản');
  const url = await e.getByRole('link', { name: 'Xem trên cổng' }).getAttribute('href');
  assert.match(url, new RegExp(`^/tin/[a-z0-9-]+-${id}\\.html$`));
  const r = await reader();
  const response = await r.page.goto(base + url);
  assert.equal(response.status(), 200);
  assert.equal(await r.page.locator('h1').textContent(), title);
  assert.equal((await r.page.locator('.prose').innerHTML()).trim(),
    '<p>Hội nghị tổng kết năm diễn ra sáng nay. Có 120 đại biểu dự.</p>');

  // The desk's badge and the audit log.
  await e.goto(`${base}/admin/articles`);
  const line = e.getByRole('row').filter({ has: e.getByRole('link', { name: title }) });
  assert.equal(await line.locator('.tag').textContent(), 'Đã xuất bản');
  const admin = await staff('admin');
  await admin.page.goto(`${base}/admin/audit`);
  for (const what of ['gửi duyệt bài', 'trả lại bài', 'xuất bản bài']) {
    assert.ok(await admin.page.getByRole('cell', { name: what, exact: true }).count() >= 1, `the audit log has "${what}"`);
  }
  for (const s of [author, editor]) assert.deepEqual(s.errors, []);
  await Promise.all([author, editor, admin, r].map(s => s.context.close()));
});

// What Word 2016 puts on the clipboard as text/html, cut short.
const WORD_CLIPBOARD = `<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=ProgId content=Word.Document>
<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->
<style><!-- p.MsoNormal {mso-style-unhide:no; margin-bottom:8.0pt; font-family:"Calibri",sans-serif;}
@list l0:level1 {mso-level-number-format:bullet; mso-level-text:\\F0B7;} --></style></head>
<body lang=VI style='tab-interval:36.0pt'>
<!--StartFragment-->
<h2><span lang=VI style='font-family:"Times New Roman",serif;mso-bidi-font-family:Arial'>Báo cáo tổng kết<o:p></o:p></span></h2>
<p class=MsoNormal><span lang=VI style='font-family:"Arial",sans-serif'>Năm qua đã <b style='mso-bidi-font-weight:normal'>hoàn thành</b>
các <i style='mso-bidi-font-style:normal'>nhiệm vụ trọng tâm</i>, xem <a href="https://lienhiephoi.example.vn/bao-cao">báo cáo</a>.<o:p></o:p></span></p>
<h3><span lang=VI style='mso-fareast-font-family:"Times New Roman"'>Kết quả chính<o:p></o:p></span></h3>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span
lang=VI style='font-family:Symbol;mso-fareast-font-family:Symbol'><span style='mso-list:Ignore'>·<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><!--[endif]--><span lang=VI>Tổ chức 12 hội thảo<o:p></o:p></span></p>
<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span
lang=VI style='font-family:Symbol;mso-fareast-font-family:Symbol'><span style='mso-list:Ignore'>·<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><!--[endif]--><span lang=VI>Kết nạp 2 hội thành viên<o:p></o:p></span></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;mso-yfti-tbllook:1184'>
 <tr style='mso-yfti-irow:0'><td width=301 valign=top style='width:225.4pt;border:solid windowtext 1.0pt'>
  <p class=MsoNormal style='margin-bottom:0cm'><b><span lang=VI>Chỉ tiêu<o:p></o:p></span></b></p></td>
  <td width=301 valign=top style='width:225.4pt'><p class=MsoNormal><b><span lang=VI>Kết quả<o:p></o:p></span></b></p></td></tr>
 <tr style='mso-yfti-irow:1;mso-yfti-lastrow:yes'><td width=301 valign=top style='width:225.4pt'>
  <p class=MsoNormal><span lang=VI>Hội thảo<o:p></o:p></span></p></td>
  <td width=301 valign=top style='width:225.4pt'><p class=MsoNormal><span lang=VI>12<o:p></o:p></span></p></td></tr>
</table>
<!--EndFragment-->
</body></html>`;

test('a Word paste is saved with its structure and nothing of Word', async () => {
  const { context, page, errors } = await staff('ctv');
  await openForm(page);
  await page.getByLabel('Tiêu đề', { exact: true }).fill('Báo cáo dán từ Word');
  await page.getByLabel('Chuyên mục').selectOption(String(category.id));
  await page.locator('.editor__content').click();
  await page.evaluate(html => {
    const data = new DataTransfer();
    data.setData('text/html', html);
    data.setData('text/plain', 'Báo cáo tổng kết');
    document.querySelector('.editor__content').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, WORD_CLIPBOARD);
  await press(page, 'Lưu');
  assert.match(page.url(), /done=article_saved$/);
  const body = await storedBody(page, idOf(page));
  for (const kept of ['<h2>Báo cáo tổng kết</h2>', '<h3>Kết quả chính</h3>', '<strong>hoàn thành</strong>',
    '<em>nhiệm vụ trọng tâm</em>', '<a href="https://lienhiephoi.example.vn/bao-cao"',
    '<ul><li><p>Tổ chức 12 hội thảo</p></li><li><p>Kết nạp 2 hội thành viên</p></li></ul>', '<table>',
    '<strong>Chỉ tiêu</strong>', '<td><p>12</p></td>']) {
    assert.ok(body.includes(kept), `the stored body keeps ${kept}:\n${body}`);
  }
  assert.doesNotMatch(body, /mso-|class=|style=|<o:p|font-family|lang=|<!--|·/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('two tabs on one article: the second save is refused, nothing typed is lost', async () => {
  const { context, page, errors } = await staff('ctv');
  await openForm(page);
  await page.getByLabel('Tiêu đề', { exact: true }).fill('Thông báo lịch họp tháng');
  await page.getByLabel('Chuyên mục').selectOption(String(category.id));
  await page.locator('.editor__content').click();
  await page.keyboard.insertText('Lịch họp ban chấp hành.');
  await press(page, 'Lưu');
  const id = idOf(page);
  const tabA = page;
  const tabB = await context.newPage();
  tabB.on('pageerror', e => errors.push(e.message));
  await openForm(tabA, id);
  await openForm(tabB, id);
  // Both typed before either saves (quicker than the 3 s autosave).
  await tabA.getByLabel('Tiêu đề', { exact: true }).fill('Thông báo lịch họp tháng Mười hai');
  await tabB.getByLabel('Tiêu đề', { exact: true }).fill('Thông báo lịch họp quý IV');
  await tabB.locator('.editor__content').click();
  await tabB.keyboard.press('Control+End');
  await tabB.keyboard.insertText(' Câu của tab B.');
  await press(tabA, 'Lưu');
  assert.match(tabA.url(), /done=article_saved$/);
  const refused = await press(tabB, 'Lưu');
  assert.equal(refused.status(), 422);
  const version = tabB.locator('#version');
  assert.match(await version.textContent(), new RegExp(STALE));
  assert.equal(await version.getByRole('link', { name: 'Lịch sử phiên bản' }).getAttribute('href'),
    `/admin/articles/${id}/revisions`);
  assert.equal(await tabB.getByLabel('Tiêu đề', { exact: true }).inputValue(), 'Thông báo lịch họp quý IV');
  assert.equal(await tabB.locator('#body').inputValue(), '<p>Lịch họp ban chấp hành. Câu của tab B.</p>');

  // Autosave from the refused form meets the same newer version: the alert, autosave stopped.
  await tabB.locator('.editor__content').click();
  await tabB.keyboard.press('Control+End');
  await tabB.keyboard.insertText(' Thêm.');
  const alert = tabB.locator('[data-save-alert]');
  await alert.waitFor({ state: 'visible', timeout: 8000 });
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.match(await alert.textContent(), new RegExp(STALE));
  assert.equal(await alert.getByRole('link', { name: 'So sánh hai phiên bản' }).getAttribute('href'),
    `/admin/articles/${id}/revisions`);
  assert.equal(await tabB.locator('[data-save-state]').textContent(), 'Chưa lưu');
  assert.equal(await tabB.locator('#body').inputValue(), '<p>Lịch họp ban chấp hành. Câu của tab B. Thêm.</p>');
  // Tab A's save is what is stored.
  const stored = await (await tabA.request.get(`${base}/admin/articles/${id}`)).text();
  assert.match(stored, /value="Thông báo lịch họp tháng Mười hai"/);
  assert.deepEqual(errors, []);
  // The link of both messages opens.
  assert.equal((await tabA.request.get(`${base}/admin/articles/${id}/revisions`)).status(), 200, 'the compare link opens');
  await context.close();
});

test('revisions: two compared word by word, the older restored as the newest', async () => {
  const { context, page, errors } = await staff('ctv');
  await openForm(page);
  await page.getByLabel('Tiêu đề', { exact: true }).fill('Hội thảo khoa học lần thứ nhất');
  await page.getByLabel('Chuyên mục').selectOption(String(category.id));
  await page.locator('.editor__content').click();
  await page.keyboard.insertText('Hội thảo bàn về chuyển đổi số.');
  await press(page, 'Lưu');
  const id = idOf(page);
  made.revisions = id;
  await openForm(page, id);
  await page.getByLabel('Tiêu đề', { exact: true }).fill('Hội thảo khoa học lần thứ hai');
  await press(page, 'Lưu');

  const list = await page.goto(`${base}/admin/articles/${id}/revisions`);
  assert.equal(list.status(), 200, 'the revisions page renders for one who may edit the article');
  const rows = page.locator('tbody tr');
  assert.ok(await rows.count() >= 2);
  await press(page, 'So sánh');
  assert.equal(new URL(page.url()).pathname, `/admin/articles/${id}/compare`);
  assert.equal(await page.locator('.diff del.diff-del').allTextContents().then(t => t.join('|').trim()), 'nhất');
  assert.equal(await page.locator('.diff ins.diff-ins').allTextContents().then(t => t.join('|').trim()), 'hai');

  await page.goto(`${base}/admin/articles/${id}/revisions`);
  const older = rows.filter({ hasText: 'tạo bài' });
  await Promise.all([page.waitForNavigation(), older.getByRole('button', { name: 'Khôi phục bản này' }).click()]);
  await page.getByText('Đã khôi phục phiên bản; đây là phiên bản mới nhất.').waitFor();
  assert.equal((await rows.first().locator('td').nth(4).textContent()).trim(), 'khôi phục');
  await openForm(page, id);
  assert.equal(await page.getByLabel('Tiêu đề', { exact: true }).inputValue(), 'Hội thảo khoa học lần thứ nhất');
  assert.deepEqual(errors, []);
  await context.close();
});

test('hostile markup runs nowhere: public page, preview link, the editor', async () => {
  const hostile = '<p>Bài thử.</p><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    + '<p><a href="javascript:window.__pwned=3">x</a></p><svg onload="window.__pwned=4"></svg>'
    + '<iframe src="javascript:window.__pwned=5"></iframe><details open ontoggle="window.__pwned=6"><summary>s</summary>d</details>';
  // Without scripts the form is plain: the body is the textarea, sent as typed.
  const plain = await staff('bientap', { javaScriptEnabled: false });
  await plain.page.goto(`${base}/admin/articles/new`);
  await plain.page.getByLabel('Tiêu đề', { exact: true }).fill('Bài thử mã độc');
  await plain.page.getByLabel('Chuyên mục').selectOption(String(category.id));
  await plain.page.locator('#body').fill(hostile);
  await press(plain.page, 'Xuất bản');
  assert.match(plain.page.url(), /done=article_published$/);
  const id = idOf(plain.page);
  const url = await plain.page.getByRole('link', { name: 'Xem trên cổng' }).getAttribute('href');
  await plain.context.close();

  const dialogs = [];
  const watch = page => page.on('dialog', d => { dialogs.push(`${page.url()}: ${d.message()}`); d.dismiss(); });
  const unharmed = async (page, where) => {
    await page.waitForTimeout(300); // an onerror or ontoggle fires in a task after the load
    assert.equal(await page.evaluate(() => window.__pwned), undefined, where);
    // The sanitiser leaves <a>x</a> without its href; clicked all the same.
    const link = page.locator('a').filter({ hasText: /^x$/ });
    if (await link.count()) {
      await link.click();
      await page.waitForTimeout(100);
      assert.equal(await page.evaluate(() => window.__pwned), undefined, `${where}, the link clicked`);
    }
  };
  const r = await reader();
  watch(r.page);
  assert.equal((await r.page.goto(base + url)).status(), 200);
  await unharmed(r.page, 'the public page');
  assert.doesNotMatch(await r.page.locator('.prose').innerHTML(), /<script|onerror|onload|ontoggle|javascript:|<iframe|<svg/i);

  const { context, page, errors } = await staff('bientap');
  watch(page);
  await page.goto(`${base}/admin/articles/${id}`);
  await press(page, 'Tạo liên kết xem trước');
  const preview = await page.getByRole('status').getByRole('link').getAttribute('href');
  assert.match(preview, /^\/xem-truoc\/[\w.-]+$/);
  const anonymous = await r.context.newPage();
  watch(anonymous);
  assert.equal((await anonymous.goto(base + preview)).status(), 200);
  await unharmed(anonymous, 'the preview link');
  await page.goto(`${base}/admin/articles/${id}/preview`);
  await unharmed(page, 'the admin preview');
  await openForm(page, id);
  await unharmed(page, 'the editor');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await Promise.all([context.close(), r.context.close()]);
});

test('a video on the public page loads nothing from YouTube until "Phát video" is pressed', async () => {
  const { context, page, errors } = await staff('bientap');
  await openForm(page);
  await page.getByLabel('Tiêu đề', { exact: true }).fill('Phim tư liệu về Liên hiệp Hội');
  await page.locator('.editor__content').click();
  await page.keyboard.insertText('Mời bạn đọc xem phim.');
  await page.keyboard.press('Enter');
  await page.getByRole('toolbar').getByRole('button', { name: 'Video', exact: true }).click();
  await page.getByLabel('Địa chỉ video YouTube hoặc Vimeo').fill('https://www.youtube.com/watch?v=dQw4w9WgXcQ');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  assert.match(await page.locator('#body').inputValue(),
    /<figure class="embed embed--youtube"><a href="https:\/\/www\.youtube\.com\/watch\?v=dQw4w9WgXcQ"/);
  await press(page, 'Xuất bản');
  assert.match(page.url(), /done=article_published$/);
  const url = await page.getByRole('link', { name: 'Xem trên cổng' }).getAttribute('href');
  made.video = url;
  assert.deepEqual(errors, []);
  await context.close();

  const r = await reader();
  const scriptErrors = [];
  r.page.on('pageerror', e => scriptErrors.push(e.message));
  await r.page.goto(base + url);
  const play = r.page.getByRole('button', { name: /^Phát video/ });
  await play.waitFor();
  assert.ok(await play.isVisible());
  const words = await play.textContent();
  await r.page.waitForLoadState('networkidle');
  assert.deepEqual(r.outside, [], 'nothing is fetched from outside the portal before the click');
  await play.click();
  const frame = r.page.locator('.prose iframe');
  await frame.waitFor({ state: 'attached' });
  assert.match(await frame.getAttribute('src'), /^https:\/\/www\.youtube-nocookie\.com\/embed\/dQw4w9WgXcQ\?/);
  await r.page.waitForLoadState('networkidle');
  assert.ok(r.outside.every(u => u.startsWith('https://www.youtube-nocookie.com/embed/')), r.outside.join('\n'));
  assert.deepEqual(scriptErrors, []);
  assert.doesNotMatch(words, /\{provider\}/, `every {provider} of the button's note is filled in: ${words}`);
  await r.context.close();
});

test('screenshots of the desk, the form, a comparison and the video article', async () => {
  for (const width of Object.keys(WIDTHS)) {
    const { context, page } = await staff('admin', { width });
    await page.goto(`${base}/admin/articles`);
    await page.screenshot({ path: `${SHOTS}/desk-list-${width}.png`, fullPage: true });
    await openForm(page, made.article ?? 'new');
    await page.screenshot({ path: `${SHOTS}/desk-form-${width}.png`, fullPage: true });
    if (made.revisions) {
      await page.goto(`${base}/admin/articles/${made.revisions}/compare`);
      await page.screenshot({ path: `${SHOTS}/desk-compare-${width}.png`, fullPage: true });
    }
    await context.close();
    if (made.video) {
      const r = await reader(width);
      await r.page.goto(base + made.video);
      await r.page.getByRole('button', { name: /^Phát video/ }).waitFor();
      await r.page.screenshot({ path: `${SHOTS}/desk-video-${width}.png`, fullPage: true });
      await r.context.close();
    }
  }
});

test('the desk and the article form: no axe violation, nothing against the CSP, no overflow', async () => {
  const problems = [];
  for (const width of Object.keys(WIDTHS)) {
    const { context, page } = await staff('admin', { width });
    page.on('pageerror', e => problems.push(`${width}: script error: ${e.message}`));
    page.on('console', m => {
      if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) problems.push(`${width}: CSP: ${m.text()}`);
    });
    const paths = ['/admin/articles', '/admin/articles/new'];
    if (made.article) paths.push(`/admin/articles/${made.article}`);
    for (const path of paths) {
      const response = await page.goto(base + path);
      assert.equal(response.status(), 200, path);
      if (path !== '/admin/articles') await page.locator('.editor[data-ready]').waitFor();
      await page.evaluate(AXE_SOURCE);
      const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of violations) {
        problems.push(`${width} ${path}: axe ${v.id}: ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
      }
      // A phone's layout viewport grows to fit what is too wide: clientWidth stays the screen's.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 1) problems.push(`${width} ${path}: wider than the screen by ${overflow}px`);
    }
    await context.close();
  }
  if (problems.length) assert.fail(problems.join('\n'));
});
