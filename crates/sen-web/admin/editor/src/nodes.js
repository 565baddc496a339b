// The document's nodes and marks, configured so that editor.getHTML() writes exactly what the
// server's sanitiser keeps: no style, no class (but the embed classes on <figure>), no data-*, no
// target, rel="noopener noreferrer" on every link, h2-h4 only, <audio>/<video> only from /media/.
import { Node } from '@tiptap/core';
import { NodeSelection, TextSelection } from '@tiptap/pm/state';
import { insertPoint } from '@tiptap/pm/transform';
import { Heading } from '@tiptap/extension-heading';
import { Link } from '@tiptap/extension-link';
import { OrderedList } from '@tiptap/extension-list';
import { Table, TableCell, TableHeader, TableRow } from '@tiptap/extension-table';
import { t } from './messages.js';
import { BODY_SIZES, isMediaSrc, isSafeHref, isSafeSrc, mediaFileName, mediaSrcset, parseVideo, PROVIDER_NAMES, videoUrl } from './urls.js';
import { el } from './dom.js';
import { icon } from './icons.js';

const REL = 'noopener noreferrer';

// h1 reads as h2 and h5/h6 as h4, so pasted and old content keeps its headings.
export const SenHeading = Heading.extend({
  parseHTML() {
    return [1, 2, 3, 4, 5, 6].map(n => ({ tag: `h${n}`, attrs: { level: Math.min(4, Math.max(2, n)) } }));
  },
}).configure({ levels: [2, 3, 4] });

// <a href="…" rel="noopener noreferrer">, href first as the sanitiser writes it.
export const SenLink = Link.extend({
  inclusive: false,
  addAttributes() {
    return {
      href: {
        default: null,
        parseHTML: element => element.getAttribute('href'),
        renderHTML: () => ({}),
      },
    };
  },
  renderHTML({ mark }) {
    const href = mark.attrs.href;
    return ['a', isSafeHref(href) ? { href, rel: REL } : { rel: REL }, 0];
  },
  addCommands() {
    return {
      ...this.parent?.(),
      // A paragraph of its own holding one link (a document of the media library), the cursor
      // after it.
      insertLinkParagraph: ({ href, text }) => props => {
        if (!isSafeHref(href) || !text) return false;
        const link = { type: 'text', text, marks: [{ type: this.name, attrs: { href } }] };
        return insertBlock({ type: 'paragraph', content: [link] })(props);
      },
    };
  },
}).configure({
  openOnClick: false,
  enableClickSelection: false,
  autolink: true,
  linkOnPaste: true,
  defaultProtocol: 'https',
  protocols: [],
  HTMLAttributes: { rel: REL, target: null, class: null },
  isAllowedUri: url => isSafeHref(url),
  shouldAutoLink: url => isSafeHref(url),
});

// <ol> with start only when it is not 1; no type (the sanitiser drops it).
export const SenOrderedList = OrderedList.extend({
  addAttributes() {
    return {
      start: {
        default: 1,
        parseHTML: element => {
          const start = parseInt(element.getAttribute('start') || '1', 10);
          return Number.isFinite(start) && start > 0 ? start : 1;
        },
        renderHTML: attributes => (attributes.start !== 1 ? { start: attributes.start } : {}),
      },
    };
  },
  renderHTML({ HTMLAttributes }) {
    return ['ol', HTMLAttributes, 0];
  },
});

// Tables: <table><tbody><tr><th scope="col">… no colgroup, no widths, no style.
export const SenTable = Table.extend({
  renderHTML() {
    return ['table', ['tbody', 0]];
  },
}).configure({ resizable: false, allowTableNodeSelection: false });

export const SenTableRow = TableRow.extend({
  renderHTML() {
    return ['tr', 0];
  },
});

function span(name) {
  return {
    default: 1,
    parseHTML: element => {
      const n = parseInt(element.getAttribute(name) || '1', 10);
      return Number.isFinite(n) && n > 0 ? n : 1;
    },
    renderHTML: attributes => (attributes[name] > 1 ? { [name]: attributes[name] } : {}),
  };
}

const cellAttributes = () => ({
  colspan: span('colspan'),
  rowspan: span('rowspan'),
  // Kept for prosemirror-tables' commands; never written.
  colwidth: { default: null, parseHTML: () => null, renderHTML: () => ({}) },
});

export const SenTableCell = TableCell.extend({
  addAttributes: cellAttributes,
  renderHTML({ HTMLAttributes }) {
    return ['td', HTMLAttributes, 0];
  },
});

export const SenTableHeader = TableHeader.extend({
  addAttributes() {
    return {
      ...cellAttributes(),
      scope: {
        default: 'col',
        parseHTML: element => (element.getAttribute('scope') === 'row' ? 'row' : 'col'),
        renderHTML: attributes => ({ scope: attributes.scope === 'row' ? 'row' : 'col' }),
      },
    };
  },
  renderHTML({ HTMLAttributes }) {
    return ['th', HTMLAttributes, 0];
  },
});

// Inserts a block (an image, a player, a paragraph) at the cursor and puts the cursor in the text
// after it, adding an empty paragraph when nothing follows, so that typing on never replaces it (as
// the horizontal rule). The block goes after a selected node, in place of an empty paragraph, before
// or after the paragraph whose start or end the cursor is at, or between the two halves of the
// paragraph split at the cursor.
function insertBlock(content) {
  return ({ tr, dispatch }) => {
    const node = tr.doc.type.schema.nodeFromJSON(content);
    if (!dispatch) return true;
    if (!tr.selection.empty && !(tr.selection instanceof NodeSelection)) tr.deleteSelection();
    const { selection } = tr;
    let from;
    let to;
    if (selection instanceof NodeSelection && selection.node.isBlock) {
      from = to = selection.to;
    } else {
      const { $from } = selection;
      const block = $from.parent;
      if (!block.isTextblock) {
        from = to = $from.pos;
      } else {
        const $block = tr.doc.resolve($from.before());
        const index = $block.index();
        if (!block.content.size && $block.parent.canReplaceWith(index, index + 1, node.type)) {
          from = $from.before();
          to = $from.after();
        } else if ($from.parentOffset === 0) {
          from = to = $from.before();
        } else if ($from.parentOffset === block.content.size) {
          from = to = $from.after();
        } else {
          tr.split($from.pos);
          from = to = $from.pos + 1;
        }
      }
    }
    if (from === to) {
      // Not every place takes a block (before the first paragraph of a list item): nearby then.
      const point = insertPoint(tr.doc, from, node.type);
      if (point === null || point === undefined) return false;
      from = to = point;
    }
    tr.replaceWith(from, to, node);
    const $after = tr.doc.resolve(from + node.nodeSize);
    if ($after.nodeAfter && $after.nodeAfter.isTextblock) {
      tr.setSelection(TextSelection.create(tr.doc, $after.pos + 1));
    } else if ($after.nodeAfter) {
      tr.setSelection(NodeSelection.create(tr.doc, $after.pos));
    } else {
      const end = $after.end();
      tr.insert(end, tr.doc.type.schema.nodes.paragraph.create());
      tr.setSelection(TextSelection.create(tr.doc, end + 1));
    }
    tr.scrollIntoView();
    return true;
  };
}

export function insertBlockAtom(name, attrs) {
  return insertBlock({ type: name, attrs });
}

function imageAttrs(figure, img) {
  const src = img.getAttribute('src');
  if (!isSafeSrc(src)) return false;
  const caption = figure ? figure.querySelector('figcaption') : null;
  return {
    src,
    alt: img.getAttribute('alt') || '',
    caption: caption ? caption.textContent.replace(/\s+/g, ' ').trim() : '',
  };
}

// Sets or removes an attribute, touching nothing that is already right (a new src or srcset
// starts a new download).
function setAttr(node, name, value) {
  if (value === null || value === undefined) node.removeAttribute(name);
  else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// An image with its description and an optional caption:
// <figure><img src="…" alt="…"><figcaption>…</figcaption></figure>
// In the editor the same figure, but an image of the library has the srcset and sizes of the
// public pages (its resized copies), so that a large photo is not downloaded whole; they are in
// the editor's DOM only, never in getHTML(): the server adds them when it saves.
export const FigureImage = Node.create({
  name: 'figureImage',
  group: 'block',
  atom: true,
  draggable: true,
  selectable: true,

  addAttributes() {
    return {
      src: { default: null, rendered: false },
      alt: { default: '', rendered: false },
      caption: { default: '', rendered: false },
    };
  },

  parseHTML() {
    return [
      {
        tag: 'figure',
        getAttrs: figure => {
          if (figure.classList.contains('embed')) return false;
          const img = figure.querySelector('img');
          return img ? imageAttrs(figure, img) : false;
        },
      },
      { tag: 'img[src]', getAttrs: img => imageAttrs(null, img) },
    ];
  },

  renderHTML({ node }) {
    const img = ['img', { src: node.attrs.src, alt: node.attrs.alt }];
    return node.attrs.caption ? ['figure', img, ['figcaption', node.attrs.caption]] : ['figure', img];
  },

  addNodeView() {
    return ({ node: initial }) => {
      const img = document.createElement('img');
      const caption = document.createElement('figcaption');
      const dom = document.createElement('figure');
      dom.contentEditable = 'false';
      dom.append(img);
      const draw = node => {
        const { src, alt } = node.attrs;
        const srcset = mediaSrcset(src);
        // srcset and sizes before src, so the browser chooses among the copies from the start.
        setAttr(img, 'sizes', srcset ? BODY_SIZES : null);
        setAttr(img, 'srcset', srcset);
        setAttr(img, 'src', src);
        setAttr(img, 'alt', alt);
        caption.textContent = node.attrs.caption;
        if (node.attrs.caption) dom.append(caption);
        else caption.remove();
      };
      draw(initial);
      return {
        dom,
        update(node) {
          if (node.type.name !== 'figureImage') return false;
          draw(node);
          return true;
        },
      };
    };
  },

  addCommands() {
    return {
      setFigureImage: attrs => insertBlockAtom(this.name, attrs),
    };
  },
});

function embedAttrs(figure) {
  const link = figure.querySelector('a[href]');
  const video = link ? parseVideo(link.getAttribute('href')) : null;
  return video ? { provider: video.provider, videoId: video.id } : false;
}

// A YouTube or Vimeo video, written as a link the public theme turns into a player:
// <figure class="embed embed--youtube"><a href="…" rel="noopener noreferrer">…</a></figure>
// In the editor it is a box with the provider's name and a play sign; no iframe.
export const VideoEmbed = Node.create({
  name: 'videoEmbed',
  group: 'block',
  atom: true,
  draggable: true,
  selectable: true,

  addAttributes() {
    return {
      provider: { default: 'youtube', rendered: false },
      videoId: { default: null, rendered: false },
    };
  },

  parseHTML() {
    return [
      { tag: 'figure.embed', priority: 60, getAttrs: embedAttrs },
      {
        tag: 'iframe[src]',
        getAttrs: frame => {
          const video = parseVideo(frame.getAttribute('src'));
          return video ? { provider: video.provider, videoId: video.id } : false;
        },
      },
    ];
  },

  renderHTML({ node }) {
    const { provider, videoId } = node.attrs;
    const url = videoUrl(provider, videoId);
    return ['figure', { class: `embed embed--${provider}` }, ['a', { href: url, rel: REL }, url]];
  },

  addNodeView() {
    return ({ node: initial }) => {
      const dom = document.createElement('div');
      dom.className = 'editor-embed';
      dom.contentEditable = 'false';
      const play = icon('play');
      play.classList.add('editor-embed__play');
      const name = document.createElement('span');
      name.className = 'editor-embed__name';
      const address = document.createElement('span');
      address.className = 'editor-embed__url';
      dom.append(play, name, address);
      const draw = node => {
        const provider = node.attrs.provider;
        dom.dataset.provider = provider;
        name.textContent = t('editor_video_label', { provider: PROVIDER_NAMES[provider] || provider });
        address.textContent = videoUrl(provider, node.attrs.videoId);
      };
      draw(initial);
      return {
        dom,
        update(node) {
          if (node.type.name !== 'videoEmbed') return false;
          draw(node);
          return true;
        },
      };
    };
  },

  addCommands() {
    return {
      setVideoEmbed: attrs => insertBlockAtom(this.name, attrs),
    };
  },
});

const PLAYER_KINDS = ['audio', 'video'];
const PLAYER_LABELS = { audio: 'editor_library_class_audio', video: 'editor_library_class_video' };

function playerAttrs(figure) {
  const media = figure.querySelector(':scope > audio[src], :scope > video[src]');
  if (!media) return false;
  const src = media.getAttribute('src');
  if (!isMediaSrc(src)) return false;
  const caption = figure.querySelector(':scope > figcaption');
  return {
    kind: media.localName,
    src,
    caption: caption ? caption.textContent.replace(/\s+/g, ' ').trim() : '',
  };
}

// An audio or video file of the media library, played by the browser's own player:
// <figure class="player"><audio src="/media/…" controls="" preload="metadata"></audio>
// <figcaption>…</figcaption></figure> (or <video …>). The server's sanitiser keeps such a player
// only with a src under /media/, so nothing else is one. In the editor it is a box with the
// file's name and a real player to listen with.
export const MediaPlayer = Node.create({
  name: 'mediaPlayer',
  group: 'block',
  atom: true,
  draggable: true,
  selectable: true,

  addAttributes() {
    return {
      kind: { default: 'audio', rendered: false },
      src: { default: null, rendered: false },
      caption: { default: '', rendered: false },
    };
  },

  parseHTML() {
    // Before the image figure, which takes any <figure> with an <img>.
    return [{ tag: 'figure.player', priority: 60, getAttrs: playerAttrs }];
  },

  renderHTML({ node }) {
    const { kind, src, caption } = node.attrs;
    const media = [kind === 'video' ? 'video' : 'audio', { src, controls: '', preload: 'metadata' }];
    return caption ? ['figure', { class: 'player' }, media, ['figcaption', caption]] : ['figure', { class: 'player' }, media];
  },

  addNodeView() {
    return ({ node: initial }) => {
      const kindIcon = el('span', { className: 'editor-player__icon' });
      const kindLabel = el('span', { className: 'editor-player__kind' });
      const name = el('span', { className: 'editor-player__name' });
      const caption = el('p', { className: 'editor-player__caption' });
      const dom = el('div', { className: 'editor-player' }, [
        el('div', { className: 'editor-player__head' }, [kindIcon, kindLabel, name]),
      ]);
      let media = null;
      const draw = node => {
        const { kind, src } = node.attrs;
        if (!media || media.localName !== kind) {
          const next = el(kind, { controls: true, preload: 'metadata', className: 'editor-player__media' });
          if (media) media.replaceWith(next);
          else dom.append(next, caption);
          media = next;
          kindIcon.replaceChildren(icon(kind));
        }
        if (media.getAttribute('src') !== src) media.setAttribute('src', src);
        dom.dataset.kind = kind;
        kindLabel.textContent = t(PLAYER_LABELS[kind]);
        name.textContent = mediaFileName(src);
        caption.textContent = node.attrs.caption;
        caption.hidden = !node.attrs.caption;
      };
      draw(initial);
      return {
        dom,
        update(node) {
          if (node.type.name !== 'mediaPlayer') return false;
          draw(node);
          return true;
        },
        // The player's own controls take their clicks and keys; the rest of the box selects
        // and drags the node.
        stopEvent(event) {
          return Boolean(media && media.contains(event.target)) && !/^(drag|drop)/.test(event.type);
        },
        ignoreMutation: () => true,
        destroy() {
          if (media) media.pause();
        },
      };
    };
  },

  addCommands() {
    return {
      setMediaPlayer: attrs => props => {
        if (!PLAYER_KINDS.includes(attrs.kind) || !isMediaSrc(attrs.src)) return false;
        const value = { kind: attrs.kind, src: attrs.src, caption: String(attrs.caption || '').replace(/\s+/g, ' ').trim() };
        return insertBlockAtom(this.name, value)(props);
      },
    };
  },
});
