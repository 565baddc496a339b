// The document's nodes and marks, configured so that editor.getHTML() writes exactly what the
// server's sanitiser keeps: no style, no class (but the embed classes on <figure>), no data-*, no
// target, rel="noopener noreferrer" on every link, h2-h4 only.
import { Node } from '@tiptap/core';
import { NodeSelection, TextSelection } from '@tiptap/pm/state';
import { Heading } from '@tiptap/extension-heading';
import { Link } from '@tiptap/extension-link';
import { OrderedList } from '@tiptap/extension-list';
import { Table, TableCell, TableHeader, TableRow } from '@tiptap/extension-table';
import { t } from './messages.js';
import { isSafeHref, isSafeSrc, parseVideo, PROVIDER_NAMES, videoUrl } from './urls.js';
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

// Inserts a block atom (image, video) and puts the cursor in the text after it, adding an empty
// paragraph at the end of the document, so that typing on never replaces it (as the horizontal rule).
function insertBlockAtom(name, attrs) {
  return ({ chain, state }) => {
    const content = { type: name, attrs };
    const current = chain();
    if (state.selection instanceof NodeSelection) current.insertContentAt(state.selection.$to.pos, content);
    else current.insertContent(content);
    return current
      .command(({ tr, dispatch }) => {
        if (!dispatch) return true;
        const { $to } = tr.selection;
        if ($to.nodeAfter && $to.nodeAfter.isTextblock) {
          tr.setSelection(TextSelection.create(tr.doc, $to.pos + 1));
        } else if ($to.nodeAfter) {
          tr.setSelection(NodeSelection.create(tr.doc, $to.pos));
        } else {
          const end = $to.end();
          tr.insert(end, tr.doc.type.schema.nodes.paragraph.create());
          tr.setSelection(TextSelection.create(tr.doc, end + 1));
        }
        tr.scrollIntoView();
        return true;
      })
      .run();
  };
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

// An image with its description and an optional caption:
// <figure><img src="…" alt="…"><figcaption>…</figcaption></figure>
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
