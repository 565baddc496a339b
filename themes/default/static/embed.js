// Videos in an article (YouTube, Vimeo) load only when the reader asks: until then the figure is a
// link to the video and nothing is fetched from the player's site. When this script runs, the link
// becomes a "play" button; a click puts the player's privacy-minded frame in its place. The frame
// hosts are the only ones the portal's Content-Security-Policy allows.
const label = document.currentScript?.dataset.play ?? 'Play the video';
const note = document.currentScript?.dataset.note ?? '';

/** The player's frame address for a video link, or null when it is not one we know. */
function playerUrl(href) {
  let url;
  try { url = new URL(href); } catch { return null; }
  const host = url.hostname.replace(/^www\.|^m\./, '');
  let id = null;
  if (host === 'youtube.com' || host === 'youtube-nocookie.com') {
    id = url.pathname === '/watch' ? url.searchParams.get('v') : url.pathname.match(/^\/(?:embed|shorts)\/([\w-]+)/)?.[1];
  } else if (host === 'youtu.be') {
    id = url.pathname.slice(1);
  }
  if (id && /^[\w-]{6,20}$/.test(id)) return `https://www.youtube-nocookie.com/embed/${id}?autoplay=1&rel=0`;
  if (host === 'vimeo.com' || host === 'player.vimeo.com') {
    const vid = url.pathname.match(/(\d{5,12})/)?.[1];
    if (vid) return `https://player.vimeo.com/video/${vid}?autoplay=1&dnt=1`;
  }
  return null;
}

for (const figure of document.querySelectorAll('.prose figure.embed')) {
  const link = figure.querySelector('a[href]');
  const src = link && playerUrl(link.href);
  if (!src) continue;
  const provider = figure.classList.contains('embed--vimeo') ? 'Vimeo' : 'YouTube';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'embed__play';
  button.setAttribute('aria-label', `${label} (${provider})`);
  const title = document.createElement('span');
  title.className = 'embed__label';
  title.textContent = label;
  const small = document.createElement('span');
  small.className = 'embed__note';
  small.textContent = note.replaceAll('{provider}', provider);
  button.append(title, small);
  button.addEventListener('click', () => {
    const frame = document.createElement('iframe');
    frame.src = src;
    frame.title = `${provider}: ${link.textContent}`;
    frame.allow = 'autoplay; encrypted-media; picture-in-picture; fullscreen';
    frame.allowFullscreen = true;
    frame.referrerPolicy = 'strict-origin-when-cross-origin';
    frame.className = 'embed__frame';
    button.replaceWith(frame);
    frame.focus();
  }, { once: true });
  link.hidden = true;
  figure.classList.add('embed--ready');
  figure.prepend(button);
}
