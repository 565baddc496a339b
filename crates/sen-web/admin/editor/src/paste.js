// Clean-up of pasted HTML (Word, LibreOffice, Google Docs, web pages) before ProseMirror parses it:
// Word's list paragraphs become real lists, bold/italic/underline written as styles become
// <strong>/<em>/<u>, and every style, class, lang, id and mso- attribute, comment, <style>, <meta>,
// <xml>, <link> and Office tag goes. Headings, lists, marks, links and tables survive.

// Attributes that may stay, by element; everything else is dropped.
const KEEP = {
  A: ['href'],
  IMG: ['src', 'alt'],
  TD: ['colspan', 'rowspan'],
  TH: ['colspan', 'rowspan', 'scope'],
  OL: ['start'],
  IFRAME: ['src'],
};
const DROP = new Set(['STYLE', 'META', 'LINK', 'XML', 'SCRIPT', 'TITLE', 'HEAD', 'NOSCRIPT', 'TEMPLATE', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'CANVAS']);
const INLINE = new Set(['SPAN', 'FONT', 'B', 'STRONG', 'I', 'EM', 'U', 'A', 'SUP', 'SUB', 'S', 'SMALL', 'BIG', 'MARK', 'INS', 'DEL', 'LABEL', 'CITE', 'Q', 'ABBR']);
const UNWRAP = new Set(['SPAN', 'FONT', 'SMALL', 'BIG', 'MARK', 'INS', 'LABEL', 'ABBR', 'CITE', 'CENTER', 'SECTION', 'ARTICLE', 'HEADER', 'FOOTER', 'MAIN', 'ASIDE', 'NAV']);
const MARKER_START = 'sen-list-marker';

// Word writes the list bullet or number between these conditional comments, in either spelling.
const MARKER_BLOCK =
  /<!(?:--)?\[if !supportLists\](?:--)?>([\s\S]*?)<!(?:--)?\[endif\](?:--)?>/gi;
const STYLE_SHEET = /<style[\s>][\s\S]*?<\/style\s*>/gi;
const START_TAG = /<[a-zA-Z][^\s/>]*(?:\s(?:[^>"']|"[^"]*"|'[^']*')*)?\/?>/g;
// Styles are read from data-sen-style: a style attribute or <style> element parsed on a page whose
// CSP forbids inline styles is reported as a violation, even in a DOMParser document.
const STYLE = 'data-sen-style';
const STYLE_ATTRIBUTE = /\sstyle\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi;

export function cleanPastedHtml(html) {
  // ProseMirror's own clipboard (copy and paste inside the editor) keeps its structure, which
  // data-pm-slice describes; only styles go.
  if (/data-pm-slice=/.test(html)) {
    return html.replace(STYLE_SHEET, '').replace(START_TAG, tag => tag.replace(STYLE_ATTRIBUTE, ''));
  }
  const marked = html
    .replace(STYLE_SHEET, '')
    .replace(START_TAG, tag => tag.replace(/(\s)style(\s*=)/gi, `$1${STYLE}$2`))
    .replace(MARKER_BLOCK, `<span class="${MARKER_START}">$1</span>`);
  const doc = new DOMParser().parseFromString(marked, 'text/html');
  const body = doc.body;
  dropNoise(body);
  convertWordLists(body);
  fixNestedLists(body);
  convertStyledText(body);
  renameWordParagraphs(body);
  stripAttributes(body);
  unwrapWrappers(body);
  dropEmptyParagraphs(body);
  return body.innerHTML;
}

function elements(root) {
  return Array.from(root.querySelectorAll('*'));
}

function unwrap(el) {
  el.replaceWith(...Array.from(el.childNodes));
}

// Comments (conditional ones too), <style>/<meta>/<xml>/<link>, Office's <o:p> and <v:…>.
function dropNoise(root) {
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_COMMENT);
  const comments = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  comments.forEach(c => c.remove());
  for (const el of elements(root)) {
    if (!el.isConnected) continue;
    const name = el.tagName.toUpperCase();
    if (DROP.has(name) || name === 'O:P' || name.startsWith('V:') || name.startsWith('W:DATA')) el.remove();
    else if (name.includes(':')) unwrap(el); // smart tags such as <st1:place> hold text
  }
  // A marker Word wrote without the conditional comments: <span style="mso-list:Ignore">1.</span>.
  for (const el of root.querySelectorAll(`[${STYLE}*="mso-list" i]`)) {
    if (/mso-list\s*:\s*ignore/i.test(el.getAttribute(STYLE) || '') && !el.closest(`.${MARKER_START}`)) {
      el.classList.add(MARKER_START);
    }
  }
}

function listInfo(p) {
  if (p.tagName !== 'P') return null;
  const style = p.getAttribute(STYLE) || '';
  const m = style.match(/mso-list\s*:\s*(l\d+)\s+level(\d+)/i);
  if (m) return { list: m[1], level: Number(m[2]) };
  if (/^MsoListParagraph/i.test(p.getAttribute('class') || '')) return { list: 'l?', level: 1 };
  return null;
}

function takeMarker(p) {
  let text = '';
  for (const marker of p.querySelectorAll(`.${MARKER_START}`)) {
    if (marker.parentElement && marker.parentElement.closest(`.${MARKER_START}`)) continue;
    text += marker.textContent;
    marker.remove();
  }
  return text.replace(/[\s\u00a0]+/g, '');
}

// "1." "12)" "a." "iv." are numbers; "·" "o" "§" "-" "•" are bullets.
function isOrderedMarker(marker) {
  return /^\(?([0-9]+|[a-z]|[ivxlcdm]+)[.)]$/i.test(marker) || /^[0-9]+$/.test(marker);
}

// Word pastes list items as paragraphs that carry their level in a style; build <ul>/<ol>.
function convertWordLists(root) {
  const containers = new Set();
  for (const el of root.querySelectorAll('p')) {
    if (listInfo(el)) containers.add(el.parentNode);
  }
  for (const container of containers) {
    let stack = [];
    let lastList = null;
    for (const node of Array.from(container.childNodes)) {
      if (node.nodeType === Node.TEXT_NODE && !node.textContent.trim()) continue;
      const info = node.nodeType === Node.ELEMENT_NODE ? listInfo(node) : null;
      if (!info) {
        stack = [];
        lastList = null;
        continue;
      }
      if (lastList !== null && info.list !== lastList && info.level === 1) stack = [];
      lastList = info.list;
      const marker = takeMarker(node);
      const ordered = isOrderedMarker(marker);
      const tag = ordered ? 'OL' : 'UL';
      while (stack.length && stack[stack.length - 1].level > info.level) stack.pop();
      let top = stack[stack.length - 1];
      if (top && top.level === info.level && top.list.tagName !== tag) {
        stack.pop();
        top = stack[stack.length - 1];
        const sibling = container.ownerDocument.createElement(tag);
        if (top) top.list.lastElementChild.append(sibling);
        else node.before(sibling);
        stack.push({ level: info.level, list: sibling });
      } else if (!top || top.level < info.level) {
        const list = container.ownerDocument.createElement(tag);
        if (top && top.list.lastElementChild) top.list.lastElementChild.append(list);
        else node.before(list);
        stack.push({ level: info.level, list });
      }
      const li = container.ownerDocument.createElement('li');
      li.append(...Array.from(node.childNodes));
      stack[stack.length - 1].list.append(li);
      node.remove();
    }
  }
  // A numbered heading keeps its number as text.
  for (const marker of root.querySelectorAll(`.${MARKER_START}`)) {
    if (!marker.isConnected || (marker.parentElement && marker.parentElement.closest(`.${MARKER_START}`))) continue;
    const text = marker.textContent.replace(/[\s\u00a0]+/g, '');
    marker.replaceWith(text ? `${text} ` : '');
  }
}

// Google Docs nests a list directly in a list (<ul><li>…</li><ul>…</ul></ul>): move it into the item before.
function fixNestedLists(root) {
  for (const list of Array.from(root.querySelectorAll('ul > ul, ul > ol, ol > ul, ol > ol'))) {
    const item = list.previousElementSibling;
    if (item && item.tagName === 'LI') item.append(list);
    else {
      const li = root.ownerDocument.createElement('li');
      list.replaceWith(li);
      li.append(list);
    }
  }
}

function styleOf(el) {
  const style = el.getAttribute(STYLE);
  if (!style) return null;
  const read = name => {
    const m = style.match(new RegExp(`(?:^|;)\\s*${name}\\s*:\\s*([^;]+)`, 'i'));
    return m ? m[1].trim().toLowerCase() : '';
  };
  return {
    weight: read('font-weight'),
    fontStyle: read('font-style'),
    decoration: `${read('text-decoration')} ${read('text-decoration-line')}`,
  };
}

function isBoldWeight(weight) {
  return weight === 'bold' || weight === 'bolder' || (/^\d+$/.test(weight) && Number(weight) >= 600);
}

function isNormalWeight(weight) {
  return weight === 'normal' || weight === 'lighter' || (/^\d+$/.test(weight) && Number(weight) < 600);
}

function wrapChildren(el, tag) {
  const wrapper = el.ownerDocument.createElement(tag);
  wrapper.append(...Array.from(el.childNodes));
  el.append(wrapper);
}

// Bold, italic and underline written as styles (Google Docs, LibreOffice, web pages) become elements;
// Google Docs' <b style="font-weight:normal" id="docs-internal-guid-…"> wrapper goes.
function convertStyledText(root) {
  for (const el of elements(root)) {
    const name = el.tagName;
    const style = styleOf(el);
    if ((name === 'B' || name === 'STRONG') && (/^docs-internal-guid/.test(el.id) || (style && isNormalWeight(style.weight)))) {
      unwrap(el);
      continue;
    }
    if ((name === 'I' || name === 'EM') && style && style.fontStyle === 'normal') {
      unwrap(el);
      continue;
    }
    if (!style || !INLINE.has(name)) continue;
    if (/underline/.test(style.decoration) && name !== 'U') wrapChildren(el, 'u');
    if ((style.fontStyle === 'italic' || style.fontStyle === 'oblique') && name !== 'I' && name !== 'EM') wrapChildren(el, 'em');
    if (isBoldWeight(style.weight) && name !== 'B' && name !== 'STRONG') wrapChildren(el, 'strong');
  }
}

// Word's title styles read as headings.
function renameWordParagraphs(root) {
  for (const p of root.querySelectorAll('p[class]')) {
    const cls = p.getAttribute('class');
    const tag = /^MsoTitle/i.test(cls) ? 'h2' : /^MsoSubtitle/i.test(cls) ? 'h3' : null;
    if (!tag) continue;
    const heading = root.ownerDocument.createElement(tag);
    heading.append(...Array.from(p.childNodes));
    p.replaceWith(heading);
  }
}

function stripAttributes(root) {
  for (const el of elements(root)) {
    const keep = KEEP[el.tagName] || [];
    for (const attr of Array.from(el.attributes)) {
      if (!keep.includes(attr.name.toLowerCase())) el.removeAttribute(attr.name);
    }
  }
}

function unwrapWrappers(root) {
  for (const el of elements(root)) {
    if (UNWRAP.has(el.tagName) || (el.tagName === 'A' && !el.hasAttribute('href'))) unwrap(el);
  }
}

// Word's spacer paragraphs (<p>&nbsp;</p>) go.
function dropEmptyParagraphs(root) {
  for (const p of root.querySelectorAll('p')) {
    if (!p.textContent.replace(/[\s\u00a0]+/g, '') && !p.querySelector('img, br, iframe')) p.remove();
  }
}
