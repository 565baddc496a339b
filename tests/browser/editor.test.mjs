// The admin's article editor (crates/sen-web/admin/static/editor.js, built by scripts/build-editor)
// in headless Chromium, without a server: editor-harness.html is the article form as the server
// renders it, loaded over file://, and the autosave URLs are answered here with page.route.
// Typing, Vietnamese through an input method, every toolbar construct (their HTML is the fixture
// crates/sen-core/tests/fixtures/editor_constructs.html, which the server's sanitiser must keep as
// it is), a Word paste, the link form refusing javascript:, autosave, a conflict, Ctrl+S, the first
// save of a new article and the word count.
// UPDATE_FIXTURE=1 node --test editor.test.mjs writes the fixture anew.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { waitUntil } from './support.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const HARNESS = pathToFileURL(resolve(import.meta.dirname, 'editor-harness.html')).href;
const FIXTURE = resolve(ROOT, 'crates/sen-core/tests/fixtures/editor_constructs.html');
const EDITOR_DIR = resolve(ROOT, 'crates/sen-web/admin/editor');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SITE = 'http://sen.test';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
});

// The flat `key = "text"` files of the editor's words.
function readToml(name) {
  const entries = {};
  for (const line of readFileSync(resolve(EDITOR_DIR, name), 'utf8').split('\n')) {
    const m = line.match(/^(\w+) = ("(?:[^"\\]|\\.)*")$/);
    if (m) entries[m[1]] = JSON.parse(m[2]);
    else assert.ok(line === '' || line.startsWith('#'), `${name}: unexpected line ${line}`);
  }
  return entries;
}

// A page with the harness loaded. `answer(request, body)` gives each autosave request's reply;
// `setup` runs in the page before the editor starts (to make the form a new article).
async function open({ answer, setup, viewport } = {}) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1200, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => {
    // The browser's own line for a 4xx/5xx answer is no script error.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  const requests = [];
  await page.clock.install();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    window.__replaced = [];
    const replace = history.replaceState.bind(history);
    history.replaceState = (state, title, url) => {
      window.__replaced.push(String(url));
      try { replace(state, title, url); } catch { /* another origin than file:// */ }
    };
  });
  // Before the editor starts (its listener comes later), and without eval (the CSP forbids it).
  if (setup) await page.addInitScript(`document.addEventListener('DOMContentLoaded', ${setup})`);
  await page.route(`${SITE}/**`, async route => {
    const request = route.request();
    const entry = { url: request.url(), headers: request.headers(), body: new URLSearchParams(request.postData() ?? '') };
    requests.push(entry);
    const reply = answer ? await answer(entry, requests.length) : { status: 200, json: { version: 4, saved_at: '14:05' } };
    // A save sent as the page closes may find it gone.
    await route.fulfill({ status: reply.status, contentType: 'application/json', body: JSON.stringify(reply.json) })
      .catch(() => {});
  });
  await page.goto(HARNESS);
  await page.locator('.editor[data-ready]').waitFor();
  const content = page.locator('.editor__content');
  return {
    page, context, requests, errors, content,
    html: () => page.evaluate(() => document.getElementById('body').editor.getHTML()),
    textarea: () => page.evaluate(() => document.getElementById('body').value),
    state: () => page.locator('[data-save-state]').textContent(),
    button: name => page.locator('[role="toolbar"]').getByRole('button', { name, exact: true }),
    async clear() {
      await content.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.press('Delete');
    },
    async close() {
      const csp = await page.evaluate(() => window.__csp);
      assert.deepEqual(csp, [], 'nothing is blocked by the admin\'s Content-Security-Policy');
      assert.deepEqual(errors, [], 'no script errors');
      await context.close();
    },
  };
}


test('the words: vi and en name the same keys, en is the fallback in code, the harness gives vi', async () => {
  const vi = readToml('messages.vi.toml');
  const en = readToml('messages.en.toml');
  assert.deepEqual(Object.keys(vi), Object.keys(en));
  assert.ok(Object.keys(vi).every(k => k.startsWith('editor_')));
  const { FALLBACK } = await import(pathToFileURL(resolve(EDITOR_DIR, 'src/messages.js')).href);
  assert.deepEqual(FALLBACK, en);
  const harness = readFileSync(resolve(import.meta.dirname, 'editor-harness.html'), 'utf8');
  const json = harness.match(/<script type="application\/json" id="editor-messages">(.*?)<\/script>/s)[1];
  assert.deepEqual(JSON.parse(json), vi);
  // Every key the sources name exists.
  const sources = readdirSync(resolve(EDITOR_DIR, 'src')).filter(f => f.endsWith('.js') && f !== 'messages.js')
    .map(f => readFileSync(resolve(EDITOR_DIR, 'src', f), 'utf8')).join('\n');
  const used = [...sources.matchAll(/'(editor_[a-z][a-z0-9_]*)'/g)].map(m => m[1]);
  used.push('editor_heading_2', 'editor_heading_3', 'editor_heading_4'); // `editor_heading_${level}`
  for (const key of used) assert.ok(key in en, `${key} is in messages.en.toml`);
  for (const key of Object.keys(en)) assert.ok(used.includes(key), `${key} is used`);
});

test('the textarea becomes an accessible editor, kept in sync, and typing lands', async () => {
  const ed = await open();
  const { page, content } = ed;
  assert.equal(await page.locator('#body').isHidden(), true);
  assert.equal(await content.getAttribute('role'), 'textbox');
  assert.equal(await content.getAttribute('aria-multiline'), 'true');
  assert.equal(await content.getAttribute('aria-labelledby'), 'body-label');
  const toolbar = page.getByRole('toolbar', { name: 'Định dạng nội dung' });
  assert.equal(await toolbar.count(), 1);
  assert.equal(await ed.button('Đậm').getAttribute('title'), 'Đậm (Ctrl+B)');
  assert.equal(await ed.html(), '<p>Sáng nay, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh tổ chức hội nghị.</p>');

  await content.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' Đông đủ đại biểu.');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+b');
  await page.keyboard.type('Mạnh');
  const expected = '<p>Sáng nay, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh tổ chức hội nghị. Đông đủ đại biểu.</p>'
    + '<p><strong>Mạnh</strong></p>';
  assert.equal(await ed.html(), expected);
  assert.equal(await ed.textarea(), expected, 'the textarea holds what the form sends');
  assert.equal(await ed.button('Đậm').getAttribute('aria-pressed'), 'true');

  // One tab stop: the arrows move along the toolbar.
  await ed.button('Đoạn văn').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Tiêu đề cấp 2, H2');
  assert.equal(await toolbar.locator('button[tabindex="0"]').count(), 1);
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Làm lại');

  // axe-core finds nothing, with the link form open too.
  await content.click();
  await page.keyboard.press('Control+k');
  await page.getByLabel('Địa chỉ liên kết').waitFor();
  await page.evaluate(AXE_SOURCE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], preload: false }));
  assert.deepEqual(violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`), []);
  await ed.close();
});

test('Vietnamese typed through an input method lands exactly', async () => {
  const ed = await open();
  const { page } = ed;
  await ed.clear();
  const cdp = await page.context().newCDPSession(page);
  // Telex: the word is composed letter by letter, then committed.
  const compose = async steps => {
    for (const text of steps) {
      await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    }
    await cdp.send('Input.insertText', { text: steps[steps.length - 1] });
  };
  await compose(['V', 'Vi', 'Vie', 'Viê', 'Viêt', 'Việt']);
  await cdp.send('Input.insertText', { text: ' ' });
  await compose(['N', 'Na', 'Nam']);
  await page.keyboard.press('Enter');
  await compose(['L', 'Li', 'Lie', 'Liê', 'Liên']);
  await cdp.send('Input.insertText', { text: ' ' });
  await compose(['h', 'hi', 'hie', 'hiê', 'hiêp', 'hiệp']);
  await cdp.send('Input.insertText', { text: ' ' });
  await compose(['c', 'ca', 'các']);
  await cdp.send('Input.insertText', { text: ' ' });
  await compose(['H', 'Ho', 'Hô', 'Hôi', 'Hội']);
  const html = await ed.html();
  assert.equal(html, '<p>Việt Nam</p><p>Liên hiệp các Hội</p>');
  assert.equal(html, html.normalize('NFC'));
  assert.equal(await ed.textarea(), html);
  await ed.close();
});

test('every toolbar construct gives the HTML of the fixture, which the sanitiser keeps', async () => {
  const ed = await open();
  const { page, content } = ed;
  const type = text => page.keyboard.insertText(text); // one event per string: quicker than typing it
  const press = key => page.keyboard.press(key);
  const click = async name => ed.button(name).click();
  // Ctrl+End moves the browser's caret; ProseMirror reads it on selectionchange, a task later.
  const toEnd = async () => {
    await press('Control+End');
    await waitUntil(() => page.evaluate(() => {
      const { state } = document.getElementById('body').editor;
      return state.selection.empty && state.selection.to === state.doc.content.size - 1;
    }), 'the cursor at the end');
  };
  const tableTools = page.getByRole('group', { name: 'Bảng' });
  const backInEditor = () => waitUntil(() => page.evaluate(() => document.activeElement?.classList.contains('editor__content')), 'the editor\'s focus');
  await ed.clear();

  await click('Tiêu đề cấp 2, H2');
  await type('Tiêu đề cấp hai');
  await press('Enter');
  await type('Mở đầu có ');
  await click('Đậm'); await type('chữ đậm'); await click('Đậm');
  await type(', ');
  await click('Nghiêng'); await type('chữ nghiêng'); await click('Nghiêng');
  await type(', ');
  await click('Gạch chân'); await type('gạch chân'); await click('Gạch chân');
  await type(' và ');
  await type('liên kết');
  for (let i = 0; i < 'liên kết'.length; i++) await press('Shift+ArrowLeft');
  await waitUntil(() => page.evaluate(() => {
    const { state } = document.getElementById('body').editor;
    return state.doc.textBetween(state.selection.from, state.selection.to) === 'liên kết';
  }), 'the selected words');
  await click('Liên kết');
  await page.getByLabel('Địa chỉ liên kết').fill('https://lienhiephoi.example.vn/gioi-thieu?muc=1&trang=2');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  await backInEditor();
  await press('End');
  await type('.');
  await press('Shift+Enter');
  await type('Dòng thứ hai.');
  await press('Enter');
  await click('Tiêu đề cấp 3, H3'); await type('Tiêu đề cấp ba'); await press('Enter');
  await click('Tiêu đề cấp 4, H4'); await type('Tiêu đề cấp bốn'); await press('Enter');
  await click('Danh sách dấu đầu dòng');
  await type('Mục một'); await press('Enter'); await type('Mục hai'); await press('Enter'); await press('Enter');
  await click('Danh sách đánh số');
  await type('Bước một'); await press('Enter'); await type('Bước hai'); await press('Enter'); await press('Enter');
  await click('Trích dẫn');
  await type('Khoa học phục vụ cộng đồng.'); await press('Enter'); await press('Enter');
  await type('Bảng số liệu:');
  await press('Enter');

  await click('Chèn bảng');
  await tableTools.waitFor({ state: 'visible' }); // the table tools show inside a table
  for (const [i, cell] of ['Đơn vị', 'Số hội viên', 'Ghi chú', 'Hội Y học', '1.250', 'Tăng', 'Hội Luật gia', '830', ''].entries()) {
    if (i) await press('Tab');
    await type(cell);
  }
  const cells = () => content.locator('table').first().locator('th, td').count();
  await click('Thêm cột'); // after the cursor's column; Tab reaches it
  assert.equal(await cells(), 12);
  await press('Tab');
  await type('Mới');
  await click('Xóa cột');
  await click('Thêm hàng'); // after the cursor's row
  assert.equal(await cells(), 12);
  await press('Tab');
  await type('Hàng thêm');
  await click('Xóa hàng');
  assert.equal(await cells(), 9);
  await toEnd();
  await tableTools.waitFor({ state: 'hidden' });
  // A second table, deleted again.
  await click('Chèn bảng');
  await click('Xóa bảng');
  await toEnd();

  await click('Ảnh');
  await page.getByLabel('Địa chỉ ảnh').fill('/media/2026/hoi-nghi.jpg');
  await page.getByLabel('Mô tả ảnh (văn bản thay thế)').fill('Đại biểu dự hội nghị tổng kết');
  await page.getByLabel('Chú thích (không bắt buộc)').fill('Toàn cảnh hội nghị. Ảnh: Ban Tuyên giáo');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  await backInEditor();
  await toEnd();
  await click('Ảnh');
  await page.getByLabel('Địa chỉ ảnh').fill('https://cdn.example.vn/anh/toa-nha.png');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Hãy nhập mô tả ảnh.' }).count(), 1, 'the alt text is required');
  await page.getByLabel('Mô tả ảnh (văn bản thay thế)').fill('Trụ sở Liên hiệp các Hội');
  await page.getByLabel('Mô tả ảnh (văn bản thay thế)').press('Enter');
  await backInEditor();
  await toEnd();

  await click('Video');
  await page.getByLabel('Địa chỉ video YouTube hoặc Vimeo').fill('https://example.com/phim.mp4');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Chỉ nhúng được video YouTube hoặc Vimeo' }).count(), 1);
  await page.getByLabel('Địa chỉ video YouTube hoặc Vimeo').fill('https://youtu.be/dQw4w9WgXcQ?t=42');
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  await backInEditor();
  await toEnd();
  assert.equal(await content.locator('iframe').count(), 0, 'a video shows as a box, never an iframe');
  assert.match(await content.locator('.editor-embed').first().textContent(), /Video YouTube/);
  await click('Video');
  await page.getByLabel('Địa chỉ video YouTube hoặc Vimeo').fill('https://player.vimeo.com/video/76979871');
  await page.getByLabel('Địa chỉ video YouTube hoặc Vimeo').press('Enter');
  await backInEditor();
  await toEnd();

  await click('Đường kẻ ngang');
  await type('Hết.');
  await page.waitForTimeout(600); // a new undo step
  await type(' Thừa');
  await click('Hoàn tác');
  assert.ok((await ed.html()).endsWith('<p>Hết.</p>'));
  await click('Làm lại');
  assert.ok((await ed.html()).endsWith('<p>Hết. Thừa</p>'));
  await click('Hoàn tác');

  const html = await ed.html();
  assert.equal(await ed.textarea(), html);
  if (process.env.UPDATE_FIXTURE === '1') writeFileSync(FIXTURE, html);
  assert.equal(html, readFileSync(FIXTURE, 'utf8'), 'the editor writes the fixture (UPDATE_FIXTURE=1 to renew it)');
  // The fixture holds what the sanitiser allows and nothing else.
  assert.doesNotMatch(html, /style=|data-|target=|<iframe|<colgroup|<code|<h1|<h5/);
  for (const cls of html.match(/class="[^"]*"/g)) assert.match(cls, /^class="embed embed--(youtube|vimeo)"$/);

  // And it loads back into the editor unchanged.
  await page.evaluate(h => document.getElementById('body').editor.commands.setContent(h), html);
  assert.equal(await ed.html(), html);
  await ed.close();
});

// A Word 2016 clipboard (its text/html form), as Word puts it there: Office namespaces, a style
// sheet and XML in conditional comments, mso- styles, <o:p>, list paragraphs with their markers.
const WORD_CLIPBOARD = `<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns="http://www.w3.org/TR/REC-html40">

<head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<meta name=Originator content="Microsoft Word 15">
<link rel=File-List
href="file:///C:/Users/VANPHO~1/AppData/Local/Temp/msohtmlclip1/01/clip_filelist.xml">
<!--[if gte mso 9]><xml>
 <o:OfficeDocumentSettings>
  <o:AllowPNG/>
 </o:OfficeDocumentSettings>
</xml><![endif]-->
<!--[if gte mso 9]><xml>
 <w:WordDocument>
  <w:View>Normal</w:View>
  <w:Zoom>0</w:Zoom>
  <w:TrackMoves/>
  <w:LidThemeOther>VI</w:LidThemeOther>
 </w:WordDocument>
</xml><![endif]-->
<style>
<!--
 /* Font Definitions */
 @font-face
	{font-family:"Cambria Math";
	panose-1:2 4 5 3 5 4 6 3 2 4;
	mso-font-charset:0;}
 /* Style Definitions */
 p.MsoNormal, li.MsoNormal, div.MsoNormal
	{mso-style-unhide:no;
	mso-style-qformat:yes;
	margin-top:0cm;
	margin-bottom:8.0pt;
	font-size:11.0pt;
	font-family:"Calibri",sans-serif;}
p.MsoListParagraphCxSpFirst
	{mso-style-priority:34;
	margin-left:36.0pt;}
 /* List Definitions */
 @list l0
	{mso-list-id:1044134938;
	mso-list-type:hybrid;}
@list l0:level1
	{mso-level-number-format:bullet;
	mso-level-text:\\F0B7;}
-->
</style>
<!--[if gte mso 10]>
<style>
 /* Style Definitions */
 table.MsoNormalTable
	{mso-style-name:"Table Normal";
	mso-tstyle-rowband-size:0;}
</style>
<![endif]-->
</head>

<body lang=VI style='tab-interval:36.0pt;word-wrap:break-word'>
<!--StartFragment-->

<h2><a name="_Toc190001"></a><span lang=VI style='mso-bidi-font-family:Arial'>Kết quả hoạt động năm 2025<o:p></o:p></span></h2>

<p class=MsoNormal><span lang=VI>Năm qua, Liên hiệp các Hội đã <b style='mso-bidi-font-weight:normal'>hoàn thành</b> các <i style='mso-bidi-font-style:normal'>nhiệm vụ trọng tâm</i> và <span style='font-weight:bold'>vượt</span> <u>kế hoạch</u>.<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span
lang=VI style='font-family:Symbol;mso-fareast-font-family:Symbol;mso-bidi-font-family:
Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><!--[endif]--><span lang=VI>Tổ chức 12 hội thảo khoa học<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpMiddle style='margin-left:72.0pt;mso-add-space:auto;
text-indent:-18.0pt;mso-list:l0 level2 lfo1'><!--[if !supportLists]--><span
lang=VI style='font-family:"Courier New";mso-fareast-font-family:"Courier New"'><span
style='mso-list:Ignore'>o<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;
</span></span></span><!--[endif]--><span lang=VI>Trong đó 4 hội thảo quốc tế<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span
lang=VI style='font-family:Symbol;mso-fareast-font-family:Symbol;mso-bidi-font-family:
Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><!--[endif]--><span lang=VI>Kết nạp 2 hội thành viên mới<o:p></o:p></span></p>

<p class=MsoNormal><o:p>&nbsp;</o:p></p>

<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l1 level1 lfo2'><!--[if !supportLists]--><span
lang=VI style='mso-bidi-font-family:Calibri'><span style='mso-list:Ignore'>1.<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><!--[endif]--><span lang=VI>Tư vấn, phản biện 5 đề án<o:p></o:p></span></p>

<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l1 level1 lfo2'><!--[if !supportLists]--><span
lang=VI style='mso-bidi-font-family:Calibri'><span style='mso-list:Ignore'>2.<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><!--[endif]--><span lang=VI>Xét chọn giải thưởng sáng tạo<o:p></o:p></span></p>

<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0
 style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;
 mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>
 <tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'>
  <td width=301 valign=top style='width:225.4pt;border:solid windowtext 1.0pt;
  mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0cm;line-height:normal'><b><span
  lang=VI>Chỉ tiêu<o:p></o:p></span></b></p>
  </td>
  <td width=301 valign=top style='width:225.4pt;border:solid windowtext 1.0pt;
  border-left:none;padding:0cm 5.4pt 0cm 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0cm;line-height:normal'><b><span
  lang=VI>Kết quả<o:p></o:p></span></b></p>
  </td>
 </tr>
 <tr style='mso-yfti-irow:1;mso-yfti-lastrow:yes'>
  <td width=301 valign=top style='width:225.4pt;border:solid windowtext 1.0pt;
  border-top:none;padding:0cm 5.4pt 0cm 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0cm;line-height:normal'><span
  lang=VI>Hội thảo<o:p></o:p></span></p>
  </td>
  <td width=301 valign=top style='width:225.4pt;border-top:none;border-left:
  none;border-bottom:solid windowtext 1.0pt;border-right:solid windowtext 1.0pt;
  padding:0cm 5.4pt 0cm 5.4pt'>
  <p class=MsoNormal style='margin-bottom:0cm;line-height:normal'><span
  lang=VI>12<o:p></o:p></span></p>
  </td>
 </tr>
</table>

<p class=MsoNormal><span lang=VI>Xem thêm tại <a
href="https://lienhiephoi.example.vn/bao-cao">báo cáo đầy đủ</a>.<o:p></o:p></span></p>

<!--EndFragment-->
</body>

</html>`;

async function paste(page, html, text = '') {
  await page.evaluate(([h, t]) => {
    const data = new DataTransfer();
    data.setData('text/html', h);
    data.setData('text/plain', t);
    document.querySelector('.editor__content').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, [html, text]);
}

test('a Word paste keeps headings, lists, marks, links and tables, and nothing of Word', async () => {
  const ed = await open();
  await ed.clear();
  await paste(ed.page, WORD_CLIPBOARD, 'Kết quả hoạt động năm 2025');
  const html = await ed.html();
  assert.equal(html,
    '<h2>Kết quả hoạt động năm 2025</h2>'
    + '<p>Năm qua, Liên hiệp các Hội đã <strong>hoàn thành</strong> các <em>nhiệm vụ trọng tâm</em> và <strong>vượt</strong> <u>kế hoạch</u>.</p>'
    + '<ul><li><p>Tổ chức 12 hội thảo khoa học</p><ul><li><p>Trong đó 4 hội thảo quốc tế</p></li></ul></li>'
    + '<li><p>Kết nạp 2 hội thành viên mới</p></li></ul>'
    + '<ol><li><p>Tư vấn, phản biện 5 đề án</p></li><li><p>Xét chọn giải thưởng sáng tạo</p></li></ol>'
    + '<table><tbody><tr><td><p><strong>Chỉ tiêu</strong></p></td><td><p><strong>Kết quả</strong></p></td></tr>'
    + '<tr><td><p>Hội thảo</p></td><td><p>12</p></td></tr></tbody></table>'
    + '<p>Xem thêm tại <a href="https://lienhiephoi.example.vn/bao-cao" rel="noopener noreferrer">báo cáo đầy đủ</a>.</p>');
  assert.doesNotMatch(html, /mso|style=|class=|lang=|<!--|o:p|·/);

  // Google Docs: the bold wrapper goes, styled spans become marks, a list nested the Docs way.
  await ed.clear();
  await paste(ed.page, '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-5a1b2c3d-7fff-1234-abcd-0123456789ab">'
    + '<p dir="ltr" style="line-height:1.38;margin-top:0pt;margin-bottom:0pt;"><span style="font-size:11pt;font-family:Arial,sans-serif;color:#000000;font-weight:700;font-style:normal;text-decoration:none;vertical-align:baseline;white-space:pre-wrap;">Đậm</span>'
    + '<span style="font-size:11pt;font-weight:400;font-style:italic;text-decoration:none;">nghiêng</span>'
    + '<span style="font-weight:400;text-decoration:underline;-webkit-text-decoration-skip:none;">gạch</span></p>'
    + '<ul style="margin-top:0;margin-bottom:0;"><li dir="ltr" style="list-style-type:disc;" aria-level="1"><p dir="ltr" role="presentation"><span>Một</span></p></li>'
    + '<ul><li dir="ltr" aria-level="2"><p dir="ltr" role="presentation"><span>Con</span></p></li></ul></ul></b>');
  assert.equal(await ed.html(), '<p><strong>Đậm</strong><em>nghiêng</em><u>gạch</u></p>'
    + '<ul><li><p>Một</p><ul><li><p>Con</p></li></ul></li></ul><p></p>'); // a last paragraph to type in
  await ed.close();
});

test('the link form refuses javascript: and other schemes', async () => {
  const ed = await open();
  const { page } = ed;
  await ed.content.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Control+k');
  const field = page.getByLabel('Địa chỉ liên kết');
  for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', '//evil.example/x']) {
    await field.fill(bad);
    await field.press('Enter');
    assert.match(await page.getByRole('alert').filter({ hasText: 'Không dùng được địa chỉ này' }).textContent(), /Không dùng được/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
  }
  assert.doesNotMatch(await ed.html(), /<a /);
  // Pasted links with such schemes are dropped too.
  await page.keyboard.press('Escape');
  await paste(page, '<p><a href="javascript:alert(1)">bấm</a> <a href="mailto:vanphong@example.vn">thư</a></p>');
  assert.match(await ed.html(), /<p>bấm <a href="mailto:vanphong@example.vn" rel="noopener noreferrer">thư<\/a><\/p>$/);
  await ed.close();
});

const SAVED = { status: 200, json: { id: 12, version: 4, saved_at: '14:05', edit_url: '/admin/articles/12', autosave_url: '/admin/articles/12/autosave' } };

test('autosave: after 3 s idle, with the CSRF header, updating the version', async () => {
  let release;
  const held = new Promise(r => { release = r; });
  const ed = await open({ answer: async () => { await held; return SAVED; } });
  const { page } = ed;
  await ed.content.click();
  await page.keyboard.type(' Bổ sung.');
  await page.clock.fastForward(2000);
  assert.equal(ed.requests.length, 0, 'not before 3 s idle');
  await page.clock.fastForward(1200);
  await waitUntil(() => ed.requests.length === 1, 'the autosave');
  assert.equal(await ed.state(), 'Đang lưu…');
  const [r] = ed.requests;
  assert.equal(r.url, `${SITE}/admin/articles/12/autosave`);
  assert.equal(r.headers['x-csrf-token'], 'csrf-token-for-tests');
  assert.equal(r.headers.accept, 'application/json');
  assert.equal(r.body.get('_csrf'), 'csrf-token-for-tests');
  assert.equal(r.body.get('version'), '3');
  assert.equal(r.body.get('title'), 'Hội nghị tổng kết công tác năm');
  assert.match(r.body.get('body'), /Bổ sung\.<\/p>$/);
  // A change while the request is out waits for it.
  await page.keyboard.type(' Thêm');
  await page.keyboard.press('Control+s');
  await page.clock.fastForward(3200);
  assert.equal(ed.requests.length, 1, 'one request at a time');
  release();
  await waitUntil(async () => (await ed.state()) === 'Đã lưu lúc 14:05' && ed.requests.length === 2, 'the queued save');
  assert.equal(ed.requests[1].body.get('version'), '4', 'the queued save sends the new version');
  assert.match(ed.requests[1].body.get('body'), /Bổ sung\. Thêm<\/p>$/);
  assert.equal(await page.locator('input[name="version"]').inputValue(), '4');

  // Field changes count too; at most 10 s pass while typing goes on.
  await page.fill('#summary', 'Tóm tắt mới.');
  await ed.content.click();
  for (let i = 0; i < 5; i++) {
    await page.keyboard.type('x');
    await page.clock.fastForward(2500);
  }
  await waitUntil(() => ed.requests.length === 3, 'the save during steady typing');
  assert.equal(ed.requests[2].body.get('summary'), 'Tóm tắt mới.');
  await ed.close();
});

test('autosave: a conflict shows the alert with the compare link and stops autosaving', async () => {
  const ed = await open({
    answer: () => ({ status: 409, json: { error: 'conflict', message: 'Bài viết vừa được Lê Biên Tập lưu lúc 14:03.', compare_url: '/admin/articles/12/compare?mine=3' } }),
  });
  const { page } = ed;
  await ed.content.click();
  await page.keyboard.type(' Câu của tôi.');
  await page.clock.fastForward(3200);
  const alert = page.locator('[data-save-alert]');
  await alert.waitFor({ state: 'visible' });
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.match(await alert.textContent(), /Lê Biên Tập lưu lúc 14:03/);
  assert.equal(await alert.getByRole('link', { name: 'So sánh hai phiên bản' }).getAttribute('href'), '/admin/articles/12/compare?mine=3');
  assert.equal(await ed.state(), 'Chưa lưu');
  await page.keyboard.type(' Tiếp.');
  await page.clock.fastForward(12000);
  await page.keyboard.press('Control+s');
  await page.waitForTimeout(200);
  assert.equal(ed.requests.length, 1, 'no more autosaves after a conflict');
  assert.match(await ed.html(), /Câu của tôi\. Tiếp\.<\/p>$/, 'the text stays in the editor');
  await ed.close();
});

test('autosave: Ctrl+S saves at once; a 422 and a server error say not saved', async () => {
  const replies = [
    SAVED,
    { status: 422, json: { error: 'invalid', message: 'Tiêu đề quá dài.', fields: { title: 'Tiêu đề quá dài.' } } },
    { status: 503, json: {} },
    { status: 200, json: { ...SAVED.json, version: 5, saved_at: '14:07' } },
  ];
  const ed = await open({ answer: (_, n) => replies[n - 1] });
  const { page } = ed;
  await ed.content.click();
  await page.keyboard.type('!');
  await page.keyboard.press('Control+s');
  await waitUntil(async () => (await ed.state()) === 'Đã lưu lúc 14:05', 'the Ctrl+S save');
  await page.keyboard.press('Control+s');
  await waitUntil(async () => (await ed.state()) === 'Chưa lưu: Tiêu đề quá dài.', 'the 422');
  await page.keyboard.type('?');
  await page.keyboard.press('Control+s');
  await waitUntil(async () => (await ed.state()) === 'Chưa lưu. Sẽ thử lại sau ít giây.', 'the 503');
  await page.clock.fastForward(3200);
  await waitUntil(async () => (await ed.state()) === 'Đã lưu lúc 14:07', 'the retry');
  assert.equal(ed.requests.length, 4);
  assert.equal(await page.locator('input[name="version"]').inputValue(), '5');
  await ed.close();
});

test('autosave: a new article waits for its title, then takes the address the server gives', async () => {
  const ed = await open({
    setup: () => {
      const form = document.getElementById('article-form');
      delete form.dataset.autosaveUrl;
      form.setAttribute('action', 'http://sen.test/admin/articles');
      form.elements.version.value = '0';
      form.elements.title.value = '';
      document.getElementById('body').value = '';
    },
    answer: () => ({ status: 200, json: { id: 31, version: 1, saved_at: '09:12', edit_url: 'http://sen.test/admin/articles/31', autosave_url: 'http://sen.test/admin/articles/31/autosave' } }),
  });
  const { page } = ed;
  assert.equal(await ed.html(), '<p></p>');
  assert.equal(await ed.textarea(), '', 'an empty editor sends an empty body');
  await ed.content.click();
  await page.keyboard.type('Bản nháp chưa có tiêu đề.');
  await page.clock.fastForward(12000);
  assert.equal(ed.requests.length, 0, 'no autosave without a title');
  assert.equal(await ed.state(), 'Nhập tiêu đề để bản nháp được tự động lưu.');
  await page.fill('#title', 'Thông báo tuyển sinh');
  await page.clock.fastForward(3200);
  await waitUntil(async () => (await ed.state()) === 'Đã lưu lúc 09:12', 'the first save');
  assert.equal(ed.requests[0].url, `${SITE}/admin/articles/autosave`);
  const form = await page.evaluate(() => {
    const f = document.getElementById('article-form');
    return { autosave: f.dataset.autosaveUrl, action: f.getAttribute('action'), version: f.elements.version.value, replaced: window.__replaced };
  });
  assert.deepEqual(form, {
    autosave: 'http://sen.test/admin/articles/31/autosave',
    action: 'http://sen.test/admin/articles/31',
    version: '1',
    replaced: ['http://sen.test/admin/articles/31'],
  });
  await page.keyboard.type(' Sửa.');
  await page.keyboard.press('Control+s');
  await waitUntil(() => ed.requests.length === 2, 'the second save');
  assert.equal(ed.requests[1].url, `${SITE}/admin/articles/31/autosave`);
  await ed.close();
});

test('the word count and reading time follow the text', async () => {
  const ed = await open();
  const { page } = ed;
  const count = () => page.locator('[data-word-count]').textContent();
  assert.equal(await count(), '16 từ · khoảng 1 phút đọc');
  await ed.clear();
  assert.equal(await count(), '0 từ · khoảng 1 phút đọc');
  await page.keyboard.type('Một hai  ba');
  await page.keyboard.press('Enter');
  await page.keyboard.type('bốn');
  assert.equal(await count(), '4 từ · khoảng 1 phút đọc');
  const long = `<p>${Array.from({ length: 450 }, (_, i) => `từ${i}`).join(' ')}</p><ul><li><p>thêm</p></li></ul>`;
  await page.evaluate(h => document.getElementById('body').editor.commands.setContent(h, { emitUpdate: true }), long);
  assert.equal(await count(), '451 từ · khoảng 2 phút đọc');
  await ed.close();
});

test('a submit button sends the synced textarea without a leave warning', async () => {
  const ed = await open();
  const { page } = ed;
  await ed.content.click();
  await page.keyboard.type(' Gửi.');
  let dialog = null;
  page.on('dialog', d => { dialog = d.type(); d.dismiss(); });
  const posted = page.waitForRequest(r => r.url() === `${SITE}/admin/articles/12` && r.method() === 'POST');
  await page.getByRole('button', { name: 'Gửi duyệt' }).click();
  const body = new URLSearchParams((await posted).postData());
  assert.equal(body.get('action'), 'submit');
  assert.match(body.get('body'), /Gửi\.<\/p>$/);
  assert.equal(dialog, null);
  await ed.context.close();
});

test('leaving with unsaved changes asks first; with none it does not', async () => {
  const ed = await open();
  const { page } = ed;
  const dialogs = [];
  page.on('dialog', d => { dialogs.push(d.type()); d.accept(); });
  await ed.content.click();
  await page.keyboard.type(' Chưa lưu.');
  await page.close({ runBeforeUnload: true });
  await waitUntil(() => dialogs.length === 1, 'the leave warning');
  assert.deepEqual(dialogs, ['beforeunload']);
  await ed.context.close();

  const clean = await open();
  const asked = [];
  clean.page.on('dialog', d => { asked.push(d.type()); d.accept(); });
  await clean.content.click();
  const closed = new Promise(r => clean.page.on('close', r));
  await clean.page.close({ runBeforeUnload: true });
  await closed;
  assert.deepEqual(asked, []);
  await clean.context.close();
});
