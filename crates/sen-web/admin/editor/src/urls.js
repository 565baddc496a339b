// Which addresses the editor writes into links, images and video embeds: the schemes the server's
// sanitiser keeps (http, https, mailto, tel) and paths on this site ("/media/a.jpg", never "//host").

const SITE_PATH = /^\/(?![/\\])[^\s\\<>"]*$/;
const WEB = /^https?:\/\/[^\s/\\?#<>"]+[^\s\\<>"]*$/i;
const MAILTO = /^mailto:[^\s@<>"]+@[^\s@<>"]+$/i;
const TEL = /^tel:\+?[0-9]+$/i;

// A link target already in the document (pasted or loaded) that may stay.
export function isSafeHref(href) {
  if (typeof href !== 'string') return false;
  return WEB.test(href) || MAILTO.test(href) || TEL.test(href) || SITE_PATH.test(href);
}

// What a person typed into the link form, as the href to write, or null when it is refused.
export function normalizeHref(input) {
  const s = String(input ?? '').trim();
  if (!s) return null;
  if (/^tel:/i.test(s)) {
    if (!/^tel:\s*\+?[0-9][0-9\s().-]*$/i.test(s)) return null;
    return `tel:${s.slice(4).replace(/[^0-9+]/g, '')}`;
  }
  if (isSafeHref(s)) return s;
  // "example.vn/trang" and "ban@example.vn" without a scheme.
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}([/?#][^\s\\<>"]*)?$/i.test(s)) return `https://${s}`;
  if (/^[^\s@:/<>"]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/i.test(s)) return `mailto:${s}`;
  return null;
}

// An image source: http(s) or a path on this site.
export function isSafeSrc(src) {
  return typeof src === 'string' && (WEB.test(src) || SITE_PATH.test(src));
}

// A file of the media library on this site ("/media/…"): the only source the server's sanitiser
// keeps on <audio> and <video>.
export function isMediaSrc(src) {
  return isSafeSrc(src) && src.startsWith('/media/') && src.length > 7 && !/(^|\/)\.\.?(\/|$)|[?#]/.test(src.slice(7));
}

// The file name a library address ends with, without the key's hex prefix ("ab12…-hoi-nghi.mp3").
export function mediaFileName(src) {
  const last = String(src ?? '').split(/[?#]/)[0].split('/').pop() || '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // Not percent-encoded as UTF-8: shown as it is.
  }
  return name.replace(/^[0-9a-f]{16}-/, '');
}

// The resized copies of the library's images, as the server lists them on the public pages
// (crates/sen-core/src/variants.rs: WIDTHS, BODY_SIZES, srcset; keep the three alike). An image
// stored under /media/{stem}.{ext} has its variants under /media/{stem}.w{width}.jpg.
export const VARIANT_WIDTHS = [320, 640, 1024, 1600];
export const BODY_SIZES = '(max-width: 800px) 100vw, 760px';
const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif'];

// The srcset of an image at `src` when it is one of the library's (/media/… with an image
// extension, not itself a variant), else null. Exactly as variants.rs: the extension lowercased
// in ASCII only, a variant being a stem whose part after its last ".w" reads as a u32 (Rust's
// parse: an optional "+", then digits up to 4294967295).
export function mediaSrcset(src) {
  if (typeof src !== 'string' || !src.startsWith('/media/')) return null;
  const key = src.slice('/media/'.length);
  const dot = key.lastIndexOf('.');
  if (dot < 0) return null;
  const stem = key.slice(0, dot);
  const ext = key.slice(dot + 1).replace(/[A-Z]/g, c => c.toLowerCase());
  const w = stem.lastIndexOf('.w');
  const after = w < 0 ? '' : stem.slice(w + 2);
  const variant = /^\+?[0-9]+$/.test(after) && Number(after) <= 4294967295;
  if (!IMAGE_EXTENSIONS.includes(ext) || variant || /["<> ,]/.test(key)) return null;
  return VARIANT_WIDTHS.map(width => `/media/${stem}.w${width}.jpg ${width}w`).join(', ');
}

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;
const VIMEO_ID = /^[0-9]{1,12}$/;

// A YouTube or Vimeo address (any of the usual forms) as { provider, id }, or null.
export function parseVideo(input) {
  let url;
  try {
    url = new URL(String(input ?? '').trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase().replace(/^(www\.|m\.|music\.)/, '');
  const segments = url.pathname.split('/').filter(Boolean);
  if (host === 'youtube.com' || host === 'youtube-nocookie.com') {
    let id = url.searchParams.get('v');
    if (!id && ['embed', 'shorts', 'live', 'v'].includes(segments[0])) id = segments[1];
    return id && YOUTUBE_ID.test(id) ? { provider: 'youtube', id } : null;
  }
  if (host === 'youtu.be') {
    const id = segments[0];
    return id && YOUTUBE_ID.test(id) ? { provider: 'youtube', id } : null;
  }
  if (host === 'vimeo.com' || host === 'player.vimeo.com') {
    const id = host === 'player.vimeo.com' ? (segments[0] === 'video' ? segments[1] : null) : segments.find(s => VIMEO_ID.test(s));
    return id && VIMEO_ID.test(id) ? { provider: 'vimeo', id } : null;
  }
  return null;
}

// The canonical address of a video, as the page links to it.
export function videoUrl(provider, id) {
  return provider === 'vimeo' ? `https://vimeo.com/${id}` : `https://www.youtube.com/watch?v=${id}`;
}

export const PROVIDER_NAMES = { youtube: 'YouTube', vimeo: 'Vimeo' };
