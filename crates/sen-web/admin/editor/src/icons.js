// Line icons of the toolbar, drawn on a 24 × 24 grid with the text colour.
const PATHS = {
  bold: 'M7 5h6a3.5 3.5 0 0 1 0 7H7zM7 12h7a3.5 3.5 0 0 1 0 7H7z',
  italic: 'M10 5h8M6 19h8M15 5 9 19',
  underline: 'M7 4v7a5 5 0 0 0 10 0V4M5 20h14',
  bulletList: 'M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01',
  orderedList: 'M10 6h10M10 12h10M10 18h10M4 4.5h1.5V9M4 9h3M7 19H4l3-3.2c.6-.7.2-1.8-.8-1.8-.6 0-1.1.3-1.2.8',
  blockquote: 'M5 7h5v5H5zM10 12c0 3-2 5-5 5M14 7h5v5h-5zM19 12c0 3-2 5-5 5',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 2-2 5 5M15.5 9.5h.01',
  video: 'M3 6h13v12H3zM16 10l5-3v10l-5-3',
  table: 'M4 5h16v14H4zM4 10h16M4 14.5h16M9.5 5v14M14.5 5v14',
  addRow: 'M4 4h16v9H4zM4 8.5h16M12 15.5v5M9.5 18h5',
  removeRow: 'M4 4h16v9H4zM4 8.5h16M9.5 18h5',
  addColumn: 'M4 4h9v16H4zM8.5 4v16M18 9.5v5M15.5 12h5',
  removeColumn: 'M4 4h9v16H4zM8.5 4v16M15.5 12h5',
  deleteTable: 'M5 7h14M10 7V5h4v2M7 7l1 13h8l1-13M10.5 11v5M13.5 11v5',
  horizontalRule: 'M4 12h16M8 7h8M8 17h8',
  undo: 'M9 14 4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3',
  redo: 'M15 14l5-5-5-5M20 9H9a5 5 0 0 0 0 10h3',
  play: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM10 8.5v7l6-3.5z',
  library: 'M8 3h13v13M3 8h13v13H3zM3 18l4-4 3 3 2-2 4 4M11.5 12h.01',
  document: 'M6 3h8l5 5v13H6zM14 3v5h5M9 13h7M9 17h7',
  audio: 'M9 18V5l11-2v13M9 18a3 3 0 1 1-6 0 3 3 0 0 1 6 0zM20 16a3 3 0 1 1-6 0 3 3 0 0 1 6 0z',
  upload: 'M12 15V4M7 9l5-5 5 5M4 15v5h16v-5',
  close: 'M6 6l12 12M18 6 6 18',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  search: 'M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM20 20l-4.8-4.8',
  previous: 'M15 18l-6-6 6-6',
  next: 'M9 18l6-6-6-6',
};

const SVG = 'http://www.w3.org/2000/svg';

export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'editor-icon');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', PATHS[name]);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}
