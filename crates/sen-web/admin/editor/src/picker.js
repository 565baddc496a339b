// The media library in the editor ("Thư viện"): a modal <dialog> that lists the library's files
// (search, kind filter, pages), uploads new ones (each with its own progress bar, and the server's
// reason when it refuses one), and inserts the chosen file at the cursor: an image as a figure once
// its description (alt) is given, a document as a link in a paragraph of its own, audio or video as
// a player. The dialog keeps the focus while open and closes on Escape; the editor gets it back.
// An image the library had no description for keeps the one given here, saved back to the library.
import { el } from './dom.js';
import { icon } from './icons.js';
import { describeFile, listFiles, mediaEndpoints, uploadFile } from './media.js';
import { t } from './messages.js';
import { isMediaSrc } from './urls.js';

const FILTERS = [
  ['', 'editor_library_kind_all'],
  ['image', 'editor_library_kind_image'],
  ['document', 'editor_library_kind_document'],
  ['audio', 'editor_library_kind_audio'],
  ['video', 'editor_library_kind_video'],
];
const CLASS_LABELS = {
  image: 'editor_library_class_image',
  document: 'editor_library_class_document',
  audio: 'editor_library_class_audio',
  video: 'editor_library_class_video',
};
// What the server accepts (sen-media's kinds); it decides, this only narrows the file chooser.
const ACCEPT = '.jpg,.jpeg,.png,.webp,.gif,.pdf,.docx,.xlsx,.pptx,.mp3,.mp4,.webm';
const SEARCH_DELAY = 350;
const PARALLEL_UPLOADS = 2;

const squash = value => value.replace(/\s+/g, ' ').trim();

function extensionOf(file) {
  const m = file.name.match(/\.([a-z0-9]{1,5})$/i) || file.url.match(/\.([a-z0-9]{1,5})$/i);
  return m ? m[1].toUpperCase() : '';
}

function describe(file) {
  const parts = [t(CLASS_LABELS[file.class]), file.sizeLabel];
  if (file.width && file.height) parts.push(`${file.width}×${file.height}`);
  if (file.pages) parts.push(t(file.pages === 1 ? 'editor_library_pages_one' : 'editor_library_pages', { pages: file.pages }));
  return parts.filter(Boolean).join(' · ');
}

const hasFiles = event => Boolean(event.dataTransfer) && Array.from(event.dataTransfer.types || []).includes('Files');

export function createPicker(editor, { form, idPrefix }) {
  const endpoints = mediaEndpoints(form);
  const id = `${idPrefix}-library`;
  const number = n => new Intl.NumberFormat(document.documentElement.lang || 'vi').format(n);
  const state = { q: '', kind: '', page: 1, pages: 1, total: 0, files: [], selected: null, request: null, detail: null };
  const stored = []; // the files uploaded since the dialog was made, in order
  // Descriptions saved (or being saved) back to the library, by key: a listing that answers
  // before the save lands still offers them.
  const savedDescriptions = new Map();
  let searchTimer = null;

  // Head: the title and the close button.
  const title = el('h2', { className: 'editor-library__title', id: `${id}-title` });
  const closeButton = el('button', { type: 'button', className: 'editor-library__close', 'aria-label': t('editor_library_close'), title: t('editor_library_close') }, [icon('close')]);

  // Browse: search and kind filter.
  const search = el('input', {
    className: 'input editor-library__search-input', id: `${id}-q`, type: 'search', autocomplete: 'off',
    spellcheck: 'false', enterkeyhint: 'search', maxlength: '200',
  });
  const searchForm = el('form', { className: 'editor-library__search', role: 'search' }, [
    el('label', { className: 'field__label', for: search.id, text: t('editor_library_search') }),
    el('div', { className: 'editor-library__search-row' }, [
      search,
      el('button', { type: 'submit', className: 'button button--secondary editor-library__search-button' }, [icon('search'), el('span', { text: t('editor_library_search_button') })]),
    ]),
  ]);
  const pills = el('div', { className: 'editor-library__pills' });
  for (const [value, key] of FILTERS) {
    const input = el('input', { type: 'radio', name: `${id}-kind`, value, className: 'editor-library__pill-input' });
    input.checked = value === '';
    pills.append(el('label', { className: 'editor-library__pill' }, [input, el('span', { text: t(key) })]));
  }
  const kinds = el('fieldset', { className: 'editor-library__kinds' }, [
    el('legend', { className: 'field__label', text: t('editor_library_kind') }),
    pills,
  ]);

  // Browse: the upload area and the uploads.
  const fileInput = el('input', { type: 'file', multiple: true, accept: ACCEPT, hidden: true, 'aria-label': t('editor_library_pick') });
  const pickButton = el('button', { type: 'button', className: 'button button--secondary button--small editor-library__pick' }, [icon('upload'), el('span', { text: t('editor_library_pick') })]);
  const dropZone = el('div', { className: 'editor-library__drop' }, [
    el('p', { className: 'editor-library__drop-text' }, [el('span', { text: t('editor_library_drop') }), pickButton]),
    el('p', { className: 'editor-library__drop-hint', text: t('editor_library_upload_hint') }),
    fileInput,
  ]);
  const uploadList = el('ul', { className: 'editor-library__uploads', 'aria-label': t('editor_library_uploads'), 'aria-live': 'polite', hidden: true });

  // Browse: the files.
  const status = el('p', { className: 'editor-library__status', id: `${id}-status`, role: 'status' });
  const retry = el('button', { type: 'button', className: 'button button--secondary button--small', text: t('editor_library_retry'), hidden: true });
  const grid = el('div', { className: 'editor-library__grid', role: 'radiogroup', 'aria-label': t('editor_library_files') });
  const scroller = el('div', { className: 'editor-library__scroll' }, [
    dropZone, uploadList,
    el('div', { className: 'editor-library__status-row' }, [status, retry]),
    grid,
  ]);

  // Browse: pages and the actions.
  const previous = el('button', { type: 'button', className: 'button button--secondary button--small' }, [icon('previous'), el('span', { text: t('editor_library_previous') })]);
  const next = el('button', { type: 'button', className: 'button button--secondary button--small' }, [el('span', { text: t('editor_library_next') }), icon('next')]);
  const pageLabel = el('span', { className: 'editor-library__page' });
  const pager = el('div', { className: 'editor-library__pager', role: 'group', 'aria-label': t('editor_library_paging') }, [previous, pageLabel, next]);
  const cancel = el('button', { type: 'button', className: 'button button--secondary', text: t('editor_cancel') });
  const chooseButton = el('button', { type: 'button', className: 'button button--primary', text: t('editor_library_choose'), disabled: true });
  const browse = el('div', { className: 'editor-library__step editor-library__step--browse' }, [
    el('div', { className: 'editor-library__filters' }, [searchForm, kinds]),
    scroller,
    el('div', { className: 'editor-library__foot' }, [pager, el('div', { className: 'editor-library__actions' }, [cancel, chooseButton])]),
  ]);

  // Details of an image before it goes in: its description (required) and caption.
  const preview = el('img', { className: 'editor-library__preview-img', alt: '' });
  const detailName = el('p', { className: 'editor-library__detail-name' });
  const detailMeta = el('p', { className: 'editor-library__detail-meta' });
  const alt = el('input', {
    className: 'input', id: `${id}-alt`, type: 'text', autocomplete: 'off', maxlength: '500', required: true,
    'aria-required': 'true', 'aria-describedby': `${id}-alt-hint`,
  });
  const altError = el('p', { className: 'field__error', id: `${id}-alt-error`, hidden: true });
  const altField = el('div', { className: 'field' }, [
    el('label', { className: 'field__label', for: alt.id, text: t('editor_library_alt') }),
    el('p', { className: 'field__hint', id: `${id}-alt-hint`, text: t('editor_image_alt_hint') }),
    altError,
    alt,
  ]);
  const caption = el('input', { className: 'input', id: `${id}-caption`, type: 'text', autocomplete: 'off', maxlength: '500', 'aria-describedby': `${id}-caption-hint` });
  const captionField = el('div', { className: 'field' }, [
    el('label', { className: 'field__label', for: caption.id, text: t('editor_library_caption') }),
    el('p', { className: 'field__hint', id: `${id}-caption-hint`, text: t('editor_library_caption_hint') }),
    caption,
  ]);
  const back = el('button', { type: 'button', className: 'button button--secondary' }, [icon('previous'), el('span', { text: t('editor_library_back') })]);
  const details = el('form', { className: 'editor-library__step editor-library__step--details', novalidate: true, hidden: true }, [
    el('div', { className: 'editor-library__scroll editor-library__detail' }, [
      el('div', { className: 'editor-library__preview' }, [preview]),
      el('div', { className: 'editor-library__detail-fields' }, [detailName, detailMeta, altField, captionField]),
    ]),
    el('div', { className: 'editor-library__foot' }, [
      back,
      el('div', { className: 'editor-library__actions' }, [
        el('button', { type: 'submit', className: 'button button--primary', text: t('editor_library_insert_image') }),
      ]),
    ]),
  ]);

  const dialog = el('dialog', { className: 'editor-library', id, 'aria-labelledby': title.id }, [
    el('div', { className: 'editor-library__head' }, [title, closeButton]),
    browse,
    details,
  ]);

  // Listing.
  function setStatus(text, failed = false) {
    status.textContent = text;
    status.classList.toggle('editor-library__status--error', failed);
    retry.hidden = !failed;
  }

  function item(file, index) {
    const nameId = `${id}-file-${index}`;
    const input = el('input', {
      type: 'radio', name: `${id}-file`, value: file.key, className: 'editor-library__item-input',
      'aria-labelledby': nameId, 'aria-describedby': `${nameId}-meta`,
    });
    input.checked = file.key === state.selected;
    const thumb = file.thumb
      ? [el('img', { src: file.thumb, alt: '', loading: 'lazy', decoding: 'async' })]
      : [icon(file.class === 'image' ? 'image' : file.class), el('span', { className: 'editor-library__ext', text: extensionOf(file) })];
    return el('label', { className: 'editor-library__item', 'data-class': file.class, title: file.name }, [
      input,
      el('span', { className: 'editor-library__thumb' }, thumb),
      el('span', { className: 'editor-library__check', 'aria-hidden': 'true' }, [icon('check')]),
      el('span', { className: 'editor-library__name', id: nameId, text: file.name }),
      el('span', { className: 'editor-library__meta', id: `${nameId}-meta`, text: describe(file) }),
    ]);
  }

  function render() {
    const focused = grid.contains(document.activeElement) ? document.activeElement.value : null;
    grid.replaceChildren(...state.files.map(item));
    if (focused !== null) {
      const again = Array.from(grid.querySelectorAll('input')).find(i => i.value === focused);
      if (again) again.focus();
    }
    if (state.total > 0) setStatus(t(state.total === 1 ? 'editor_library_count_one' : 'editor_library_count', { total: number(state.total) }));
    else setStatus(t(state.q.trim() || state.kind ? 'editor_library_no_match' : 'editor_library_empty'));
    pager.hidden = state.pages <= 1;
    pageLabel.textContent = t('editor_library_page', { page: number(state.page), pages: number(state.pages) });
    previous.disabled = state.page <= 1;
    next.disabled = state.page >= state.pages;
    // Paging to the last page leaves the focus on a button that can no longer be used.
    if (document.activeElement === next && next.disabled) previous.focus();
    if (document.activeElement === previous && previous.disabled) next.focus();
    chooseButton.disabled = !selectedFile();
  }

  async function load() {
    clearTimeout(searchTimer);
    if (state.request) state.request.abort();
    const request = new AbortController();
    state.request = request;
    grid.setAttribute('aria-busy', 'true');
    setStatus(t('editor_library_loading'));
    const storedBefore = stored.length;
    try {
      const result = await listFiles(endpoints.picker, state, request.signal);
      if (state.request !== request) return;
      // An upload that ended while the list was on its way is not in it: it stays on top.
      const late = stored.slice(storedBefore).reverse().filter(f => !result.files.some(r => r.key === f.key));
      result.files = [...late, ...result.files].map(withDescription);
      result.total += late.length;
      Object.assign(state, result);
      if (!selectedFile()) state.selected = null;
      render();
      scroller.scrollTop = 0;
    } catch (error) {
      if (state.request !== request) return;
      state.files = [];
      render();
      setStatus(t('editor_library_load_failed'), true);
    } finally {
      if (state.request === request) {
        state.request = null;
        grid.removeAttribute('aria-busy');
      }
    }
  }

  const selectedFile = () => state.files.find(f => f.key === state.selected) || null;

  function reload() {
    state.page = 1;
    load();
  }

  searchForm.addEventListener('submit', event => {
    event.preventDefault();
    state.q = search.value;
    reload();
  });
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (search.value === state.q) return;
      state.q = search.value;
      reload();
    }, SEARCH_DELAY);
  });
  pills.addEventListener('change', event => {
    state.kind = event.target.value;
    reload();
  });
  previous.addEventListener('click', () => {
    if (state.page <= 1) return;
    state.page -= 1;
    load();
  });
  next.addEventListener('click', () => {
    if (state.page >= state.pages) return;
    state.page += 1;
    load();
  });
  retry.addEventListener('click', () => load());

  grid.addEventListener('change', event => {
    state.selected = event.target.value;
    chooseButton.disabled = !selectedFile();
  });
  grid.addEventListener('dblclick', event => {
    const label = event.target.closest('.editor-library__item');
    if (!label) return;
    state.selected = label.querySelector('input').value;
    choose();
  });
  grid.addEventListener('keydown', event => {
    if (event.key !== 'Enter' || event.isComposing) return;
    event.preventDefault();
    if (event.target.value) state.selected = event.target.value;
    choose();
  });

  // Uploads: each file has its row, with its progress bar and then its outcome.
  const queue = [];
  let running = 0;
  let uploadCount = 0;

  function enqueue(file, { insertAfter = false } = {}) {
    const nameId = `${id}-upload-${++uploadCount}`;
    const progress = el('progress', { className: 'editor-library__progress', max: '100', value: '0', 'aria-labelledby': nameId });
    const percent = el('span', { className: 'editor-library__percent', 'aria-hidden': 'true', text: '' });
    const note = el('p', { className: 'editor-library__upload-note', text: t('editor_library_waiting') });
    const dismiss = el('button', { type: 'button', className: 'editor-library__dismiss', 'aria-label': t('editor_library_dismiss'), title: t('editor_library_dismiss'), hidden: true }, [icon('close')]);
    const row = el('li', { className: 'editor-library__upload', 'data-state': 'waiting' }, [
      el('span', { className: 'editor-library__upload-name', id: nameId, text: file.name }),
      percent,
      dismiss,
      progress,
      note,
    ]);
    dismiss.addEventListener('click', () => {
      const focusNext = row.contains(document.activeElement);
      row.remove();
      uploadList.hidden = !uploadList.children.length;
      if (focusNext) pickButton.focus();
    });
    uploadList.append(row);
    uploadList.hidden = false;
    queue.push({ file, row, progress, percent, note, dismiss, insertAfter });
    pump();
  }

  function pump() {
    while (running < PARALLEL_UPLOADS && queue.length) send(queue.shift());
  }

  async function send(job) {
    running += 1;
    const { row, progress, percent, note } = job;
    row.dataset.state = 'uploading';
    note.textContent = t('editor_library_uploading');
    percent.textContent = '0%';
    const { done } = uploadFile(endpoints.upload, endpoints.csrf(), job.file, fraction => {
      const value = Math.round(fraction * 100);
      progress.value = value;
      percent.textContent = `${value}%`;
    });
    const outcome = await done;
    running -= 1;
    job.dismiss.hidden = false;
    if (outcome.file) {
      progress.value = 100;
      percent.textContent = '100%';
      row.dataset.state = 'done';
      note.textContent = t('editor_library_uploaded');
      added(outcome.file, job.insertAfter);
    } else {
      row.dataset.state = 'failed';
      percent.textContent = '';
      progress.hidden = true;
      let message = outcome.message;
      if (!message) message = t(outcome.status === 413 ? 'editor_library_upload_too_large' : 'editor_library_upload_failed');
      note.textContent = message;
    }
    pump();
  }

  // A stored upload comes first in the grid, selected. A file dropped alone into the text goes in
  // at once (an image once described), if the dialog is still open on the list.
  function added(file, insertAfter) {
    withDescription(file);
    stored.push(file);
    const known = state.files.some(f => f.key === file.key);
    state.files = [file, ...state.files.filter(f => f.key !== file.key)];
    if (!known) state.total += 1;
    state.selected = file.key;
    render();
    if (insertAfter && dialog.open && details.hidden) choose();
  }

  function uploadAll(files, options) {
    for (const file of files) enqueue(file, options);
  }

  pickButton.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    uploadAll(Array.from(fileInput.files));
    fileInput.value = '';
  });
  dialog.addEventListener('dragover', event => {
    if (!hasFiles(event)) return;
    event.preventDefault(); // files dropped off the zone must not open in the tab
    event.dataTransfer.dropEffect = browse.hidden ? 'none' : 'copy';
    dropZone.classList.toggle('is-over', !browse.hidden);
  });
  dialog.addEventListener('dragleave', event => {
    if (!event.relatedTarget || !dialog.contains(event.relatedTarget)) dropZone.classList.remove('is-over');
  });
  dialog.addEventListener('drop', event => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropZone.classList.remove('is-over');
    if (!browse.hidden) uploadAll(Array.from(event.dataTransfer.files));
  });

  // Steps.
  function showStep(name) {
    browse.hidden = name !== 'browse';
    details.hidden = name !== 'details';
    title.textContent = t(name === 'details' ? 'editor_library_details_title' : 'editor_library_title');
  }

  function showDetails(file) {
    state.detail = file;
    preview.src = file.url;
    detailName.textContent = file.name;
    detailMeta.textContent = describe(file);
    alt.value = file.alt;
    caption.value = file.caption;
    setAltError(false);
    showStep('details');
    alt.focus();
  }

  function setAltError(failed) {
    altError.hidden = !failed;
    altError.textContent = failed ? t('editor_image_alt_required') : '';
    altField.classList.toggle('field--error', failed);
    if (failed) {
      alt.setAttribute('aria-invalid', 'true');
      alt.setAttribute('aria-describedby', `${id}-alt-hint ${altError.id}`);
    } else {
      alt.removeAttribute('aria-invalid');
      alt.setAttribute('aria-describedby', `${id}-alt-hint`);
    }
  }

  function choose() {
    const file = selectedFile();
    if (!file) return;
    if (file.class === 'image') showDetails(file);
    else insert(file);
  }

  function insert(file, described = {}) {
    close();
    const chain = editor.chain().focus();
    if (file.class === 'image') chain.setFigureImage({ src: file.url, alt: described.alt, caption: described.caption });
    else if ((file.class === 'audio' || file.class === 'video') && isMediaSrc(file.url)) {
      chain.setMediaPlayer({ kind: file.class, src: file.url, caption: file.caption });
    } else chain.insertLinkParagraph({ href: file.url, text: file.name });
    return chain.run();
  }

  // A description saved this session, on a file the library still lists without one.
  function withDescription(file) {
    const saved = savedDescriptions.get(file.key);
    if (saved && !squash(file.alt)) Object.assign(file, saved);
    return file;
  }

  // The library had no alt for this image: the one given goes back to it, with the caption when
  // the library had none (the server replaces both, so its own caption is sent otherwise). Best
  // effort: nothing waits for it, a failure only warns. Never when the library had an alt.
  function saveDescription(file, given) {
    if (squash(file.alt) || !given.alt || !file.key || file.key === file.url) return;
    const saved = { alt: given.alt, caption: squash(file.caption) ? file.caption : given.caption };
    const before = { alt: file.alt, caption: file.caption };
    savedDescriptions.set(file.key, saved);
    Object.assign(file, saved);
    describeFile(endpoints.describe, endpoints.csrf(), file.key, saved).catch(error => {
      console.warn('sen editor: the image description was not saved to the library', error);
      if (savedDescriptions.get(file.key) === saved) savedDescriptions.delete(file.key);
      // Offered again next time, and sent again then.
      for (const f of new Set([file, ...state.files, ...stored])) {
        if (f.key === file.key && f.alt === saved.alt && f.caption === saved.caption) Object.assign(f, before);
      }
    });
  }

  details.addEventListener('submit', event => {
    event.preventDefault();
    const value = squash(alt.value);
    if (!value) {
      setAltError(true);
      alt.focus();
      return;
    }
    const file = state.detail;
    const given = { alt: value, caption: squash(caption.value) };
    insert(file, given);
    saveDescription(file, given);
  });
  alt.addEventListener('input', () => {
    if (squash(alt.value) && alt.getAttribute('aria-invalid')) setAltError(false);
  });
  back.addEventListener('click', () => {
    showStep('browse');
    const current = Array.from(grid.querySelectorAll('input')).find(i => i.value === state.selected);
    (current || search).focus();
  });

  chooseButton.addEventListener('click', choose);
  cancel.addEventListener('click', () => close());
  closeButton.addEventListener('click', () => close());
  dialog.addEventListener('keydown', event => {
    // An input method (Vietnamese Telex, VNI) uses Escape while composing.
    if (event.key !== 'Escape' || event.isComposing || event.keyCode === 229) return;
    // Escape closes at once, even from a search field that would first clear itself.
    event.preventDefault();
    close();
  });
  dialog.addEventListener('close', () => {
    clearTimeout(searchTimer);
    if (state.request) state.request.abort();
    state.request = null;
    state.detail = null;
    grid.removeAttribute('aria-busy');
    // Finished uploads go; those still running stay for the next opening.
    for (const row of Array.from(uploadList.children)) if (row.dataset.state === 'done' || row.dataset.state === 'failed') row.remove();
    uploadList.hidden = !uploadList.children.length;
    showStep('browse');
    editor.commands.focus();
  });

  function open() {
    if (dialog.open) return;
    if (!dialog.isConnected) document.body.append(dialog);
    showStep('browse');
    dialog.showModal();
    // On a phone the keyboard would cover the files; the dialog's first control takes the focus.
    if (!window.matchMedia('(pointer: coarse)').matches) search.focus();
    load();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  // Files dropped or pasted into the text: uploaded here; one alone then goes in where it was
  // dropped, several wait in the list to be chosen.
  function uploadInto(files) {
    open();
    uploadAll(files, { insertAfter: files.length === 1 });
  }

  return { open, close, uploadInto };
}
