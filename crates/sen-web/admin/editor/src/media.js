// The media library's addresses, as the media picker uses them: the listing
// (GET /admin/media/picker?q=…&class=…&page=N, JSON), the upload (POST /admin/media?_csrf=…,
// multipart, one file object or {"error": {"message"}} in JSON) and a file's description
// (POST /admin/media/KEY, a form of _csrf, alt, caption; 303 when saved). The article form may
// name others in data-media-picker-url, data-media-upload-url and data-media-describe-url (the
// test harness, loaded over file://).
import { isSafeSrc } from './urls.js';

export const CLASSES = ['image', 'document', 'audio', 'video'];

export function mediaEndpoints(form) {
  const data = form ? form.dataset : {};
  return {
    picker: data.mediaPickerUrl || '/admin/media/picker',
    upload: data.mediaUploadUrl || '/admin/media',
    describe: data.mediaDescribeUrl || '/admin/media/',
    csrf: () => (form && form.elements._csrf ? form.elements._csrf.value : ''),
  };
}

function withQuery(base, params) {
  const url = new URL(base, document.baseURI);
  for (const [name, value] of Object.entries(params)) {
    if (value !== '' && value !== null && value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.href;
}

const text = value => (typeof value === 'string' ? value : '');
const count = value => (Number.isInteger(value) && value > 0 ? value : null);

// A file object of the server, checked: what the picker shows and inserts, or null.
export function normalizeFile(raw) {
  if (!raw || typeof raw !== 'object' || !isSafeSrc(raw.url)) return null;
  return {
    key: text(raw.key) || raw.url,
    url: raw.url,
    thumb: isSafeSrc(raw.thumb) ? raw.thumb : null,
    name: text(raw.name) || raw.url.split('/').pop(),
    type: text(raw.type),
    class: CLASSES.includes(raw.class) ? raw.class : 'document',
    sizeLabel: text(raw.size_label),
    width: count(raw.width),
    height: count(raw.height),
    pages: count(raw.pages),
    alt: text(raw.alt),
    caption: text(raw.caption),
    date: text(raw.date),
  };
}

// One page of the library: { files, page, pages, total }. Throws when it cannot be had.
export async function listFiles(base, { q, kind, page }, signal) {
  const response = await fetch(withQuery(base, { q: q.trim(), class: kind, page }), {
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    signal,
  });
  if (!response.ok) throw new Error(`the library answered ${response.status}`);
  const data = await response.json();
  if (!data || !Array.isArray(data.files)) throw new Error('the library answered no list');
  const files = data.files.map(normalizeFile).filter(Boolean);
  const pages = count(data.pages) || 1;
  return {
    files,
    page: Math.min(count(data.page) || 1, pages),
    pages,
    total: Number.isInteger(data.total) && data.total >= 0 ? data.total : files.length,
  };
}

// Sends one file with XMLHttpRequest, whose upload progress fetch() cannot report.
// onProgress(fraction) follows the upload; the promise gives { file } or { status, message },
// message being the server's sentence when it gave one. abort() stops it.
export function uploadFile(base, csrf, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise(resolve => {
    xhr.open('POST', withQuery(base, { _csrf: csrf }));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', event => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // A proxy's HTML page (413 from nginx): the status tells.
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        const stored = normalizeFile(data);
        resolve(stored ? { file: stored } : { status: xhr.status, message: '' });
        return;
      }
      const error = data && typeof data.error === 'object' ? data.error : null;
      resolve({ status: xhr.status, message: error ? text(error.message) : '' });
    });
    xhr.addEventListener('error', () => resolve({ status: 0, message: '' }));
    xhr.addEventListener('abort', () => resolve({ status: 0, message: '', aborted: true }));
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

// Saves a file's alt and caption in the library (the server replaces both). Resolves when saved
// (303, seen as an opaque redirect); throws otherwise (422, 403, no network).
export async function describeFile(base, csrf, key, { alt, caption }) {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const response = await fetch(new URL(prefix + encodeURIComponent(key), document.baseURI).href, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf, alt, caption }),
    credentials: 'same-origin',
    redirect: 'manual',
  });
  if (response.type === 'opaqueredirect' || response.ok) return;
  throw new Error(`the library answered ${response.status}`);
}
