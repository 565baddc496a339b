// The toolbar above the editor and its small forms (link, image, video); the library button opens
// the media library's dialog (picker.js). Buttons keep the editor's selection (mousedown does not
// take the focus), show their state with aria-pressed, and the arrow keys move between them (one
// tab stop for the whole toolbar).
import { NodeSelection } from '@tiptap/pm/state';
import { el } from './dom.js';
import { icon } from './icons.js';
import { t } from './messages.js';
import { isSafeSrc, normalizeHref, parseVideo, PROVIDER_NAMES, videoUrl } from './urls.js';

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

function keys(spec) {
  if (!spec) return '';
  return spec
    .split('-')
    .map(k => ({ Mod: IS_MAC ? '⌘' : 'Ctrl', Alt: IS_MAC ? '⌥' : 'Alt', Shift: IS_MAC ? '⇧' : 'Shift' })[k] || k.toUpperCase())
    .join(IS_MAC ? '' : '+');
}

function selectedNode(editor, name) {
  const { selection } = editor.state;
  return selection instanceof NodeSelection && selection.node.type.name === name ? selection.node : null;
}

export function buildToolbar(editor, { idPrefix, editorId, openLibrary }) {
  const buttons = [];
  let openName = null;

  function button(spec) {
    const label = t(spec.label);
    const shortcut = keys(spec.keys);
    const b = el('button', {
      type: 'button',
      className: `editor-toolbar__button${spec.text ? ' editor-toolbar__button--text' : ''}`,
      // A visible "H2" is part of the name, so speech input can say it.
      'aria-label': spec.text && /\w/.test(spec.text) ? `${label}, ${spec.text}` : label,
      title: shortcut ? `${label} (${shortcut})` : label,
      tabindex: '-1',
      'data-command': spec.name,
      'aria-pressed': spec.active ? 'false' : null,
      'aria-expanded': spec.panel ? 'false' : null,
      'aria-haspopup': spec.dialog ? 'dialog' : null,
      'aria-controls': spec.panel ? `${idPrefix}-panel` : null,
    });
    b.append(spec.text ? el('span', { 'aria-hidden': 'true', text: spec.text }) : icon(spec.icon));
    b.addEventListener('mousedown', event => event.preventDefault());
    b.addEventListener('click', () => {
      if (b.getAttribute('aria-disabled') === 'true') return;
      if (spec.panel) {
        if (openName === spec.panel) closePanel(true);
        else openPanel(spec.panel);
      } else if (spec.dialog) {
        spec.dialog();
      } else {
        closePanel(false);
        spec.run(editor.chain().focus()).run();
      }
    });
    buttons.push({ spec, b });
    return b;
  }

  const group = (children, props = {}) => el('div', { className: 'editor-toolbar__group', ...props }, children);
  const chainCan = fn => () => fn(editor.can().chain().focus()).run();

  const heading = level => ({
    name: `heading${level}`,
    text: `H${level}`,
    label: `editor_heading_${level}`,
    keys: `Mod-Alt-${level}`,
    run: c => c.toggleHeading({ level }),
    active: () => editor.isActive('heading', { level }),
  });

  const tableSpecs = [
    { name: 'addRow', icon: 'addRow', label: 'editor_table_add_row', run: c => c.addRowAfter(), can: chainCan(c => c.addRowAfter()) },
    { name: 'removeRow', icon: 'removeRow', label: 'editor_table_remove_row', run: c => c.deleteRow(), can: chainCan(c => c.deleteRow()) },
    { name: 'addColumn', icon: 'addColumn', label: 'editor_table_add_column', run: c => c.addColumnAfter(), can: chainCan(c => c.addColumnAfter()) },
    { name: 'removeColumn', icon: 'removeColumn', label: 'editor_table_remove_column', run: c => c.deleteColumn(), can: chainCan(c => c.deleteColumn()) },
    { name: 'deleteTable', icon: 'deleteTable', label: 'editor_table_delete', run: c => c.deleteTable(), can: chainCan(c => c.deleteTable()) },
  ];
  const tableGroup = group(tableSpecs.map(button), {
    role: 'group',
    'aria-label': t('editor_table_tools'),
    className: 'editor-toolbar__group editor-toolbar__group--table',
    hidden: true,
  });

  const toolbar = el('div', {
    className: 'editor-toolbar',
    role: 'toolbar',
    'aria-label': t('editor_toolbar'),
    'aria-controls': editorId,
  }, [
    group([
      button({
        name: 'paragraph', text: '¶', label: 'editor_paragraph', keys: 'Mod-Alt-0',
        run: c => c.setParagraph(),
        active: () => editor.isActive('paragraph') && !editor.isActive('heading'),
      }),
      button(heading(2)),
      button(heading(3)),
      button(heading(4)),
    ]),
    group([
      button({ name: 'bold', icon: 'bold', label: 'editor_bold', keys: 'Mod-B', run: c => c.toggleBold(), active: () => editor.isActive('bold'), can: chainCan(c => c.toggleBold()) }),
      button({ name: 'italic', icon: 'italic', label: 'editor_italic', keys: 'Mod-I', run: c => c.toggleItalic(), active: () => editor.isActive('italic'), can: chainCan(c => c.toggleItalic()) }),
      button({ name: 'underline', icon: 'underline', label: 'editor_underline', keys: 'Mod-U', run: c => c.toggleUnderline(), active: () => editor.isActive('underline'), can: chainCan(c => c.toggleUnderline()) }),
      button({ name: 'link', icon: 'link', label: 'editor_link', keys: 'Mod-K', panel: 'link' }),
    ]),
    group([
      button({ name: 'bulletList', icon: 'bulletList', label: 'editor_bullet_list', keys: 'Mod-Shift-8', run: c => c.toggleBulletList(), active: () => editor.isActive('bulletList'), can: chainCan(c => c.toggleBulletList()) }),
      button({ name: 'orderedList', icon: 'orderedList', label: 'editor_ordered_list', keys: 'Mod-Shift-7', run: c => c.toggleOrderedList(), active: () => editor.isActive('orderedList'), can: chainCan(c => c.toggleOrderedList()) }),
      button({ name: 'blockquote', icon: 'blockquote', label: 'editor_blockquote', keys: 'Mod-Shift-B', run: c => c.toggleBlockquote(), active: () => editor.isActive('blockquote'), can: chainCan(c => c.toggleBlockquote()) }),
    ]),
    group([
      button({ name: 'library', icon: 'library', label: 'editor_library', keys: 'Mod-Alt-M', dialog: openLibrary }),
      button({ name: 'image', icon: 'image', label: 'editor_image', panel: 'image' }),
      button({ name: 'video', icon: 'video', label: 'editor_video', panel: 'video' }),
      button({ name: 'table', icon: 'table', label: 'editor_table', run: c => c.insertTable({ rows: 3, cols: 3, withHeaderRow: true }), can: chainCan(c => c.insertTable({ rows: 3, cols: 3, withHeaderRow: true })) }),
      button({ name: 'horizontalRule', icon: 'horizontalRule', label: 'editor_horizontal_rule', run: c => c.setHorizontalRule(), can: chainCan(c => c.setHorizontalRule()) }),
    ]),
    tableGroup,
    group([
      button({ name: 'undo', icon: 'undo', label: 'editor_undo', keys: 'Mod-Z', run: c => c.undo(), can: () => editor.can().undo() }),
      button({ name: 'redo', icon: 'redo', label: 'editor_redo', keys: 'Mod-Shift-Z', run: c => c.redo(), can: () => editor.can().redo() }),
    ], { className: 'editor-toolbar__group editor-toolbar__group--history' }),
  ]);

  // Roving focus: exactly one button is in the tab order; arrows, Home and End move it.
  const reachable = () => buttons.map(x => x.b).filter(b => !b.closest('[hidden]'));
  function makeTabbable(target) {
    for (const { b } of buttons) b.tabIndex = b === target ? 0 : -1;
  }
  toolbar.addEventListener('focusin', event => {
    const target = event.target.closest('button');
    if (target) makeTabbable(target);
  });
  toolbar.addEventListener('keydown', event => {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const list = reachable();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowRight: list[(i + 1) % list.length], ArrowDown: list[(i + 1) % list.length], ArrowLeft: list[(i - 1 + list.length) % list.length], ArrowUp: list[(i - 1 + list.length) % list.length], Home: list[0], End: list[list.length - 1] }[event.key];
    if (!next) return;
    event.preventDefault();
    makeTabbable(next);
    next.focus();
  });

  // The forms: one panel under the toolbar, showing the link, image or video form.
  const panel = el('div', { className: 'editor-panel', id: `${idPrefix}-panel`, role: 'group', 'aria-labelledby': `${idPrefix}-panel-title`, hidden: true });
  const panelTitle = el('p', { className: 'editor-panel__title', id: `${idPrefix}-panel-title` });
  const panelBody = el('div', { className: 'editor-panel__fields' });
  const panelError = el('p', { className: 'editor-panel__error', id: `${idPrefix}-panel-error`, role: 'alert' });
  const panelActions = el('div', { className: 'editor-panel__actions' });
  panel.append(panelTitle, panelBody, panelError, panelActions);
  let applyCurrent = null;

  function field(name, labelKey, hintKey, value, props = {}) {
    const id = `${idPrefix}-${name}`;
    const input = el('input', {
      className: 'input editor-panel__input',
      id,
      type: 'text',
      autocomplete: 'off',
      'aria-describedby': [hintKey ? `${id}-hint` : '', `${idPrefix}-panel-error`].filter(Boolean).join(' '),
      ...props,
    });
    input.value = value || '';
    const wrap = el('div', { className: 'field editor-panel__field' }, [
      el('label', { className: 'field__label', for: id, text: t(labelKey) }),
      hintKey ? el('p', { className: 'field__hint', id: `${id}-hint`, text: t(hintKey) }) : '',
    ]);
    wrap.append(input);
    panelBody.append(wrap);
    return input;
  }

  function action(labelKey, kind, onClick) {
    const b = el('button', { type: 'button', className: `button button--small button--${kind}`, text: t(labelKey) });
    b.addEventListener('click', onClick);
    panelActions.append(b);
    return b;
  }

  function fail(input, key) {
    panelError.textContent = t(key);
    for (const i of panelBody.querySelectorAll('input')) i.removeAttribute('aria-invalid');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return false;
  }

  const forms = {
    link() {
      const current = editor.getAttributes('link').href || '';
      panelTitle.textContent = t('editor_link');
      const url = field('link-url', 'editor_link_url', 'editor_link_hint', current, { inputmode: 'url', spellcheck: 'false' });
      action('editor_apply', 'primary', () => applyCurrent());
      if (current) {
        action('editor_link_remove', 'warning', () => {
          closePanel(false);
          editor.chain().focus().extendMarkRange('link').unsetLink().run();
        });
      }
      applyCurrent = () => {
        const href = normalizeHref(url.value);
        if (!href) return fail(url, 'editor_link_invalid');
        const chain = editor.chain().focus();
        if (editor.state.selection.empty && !editor.isActive('link')) {
          const text = href.replace(/^(mailto|tel):/i, '');
          chain.insertContent({ type: 'text', text, marks: [{ type: 'link', attrs: { href } }] });
        } else {
          chain.extendMarkRange('link').setLink({ href });
        }
        closePanel(false);
        return chain.run();
      };
    },
    image() {
      const node = selectedNode(editor, 'figureImage');
      const attrs = node ? node.attrs : {};
      panelTitle.textContent = t('editor_image');
      const src = field('image-src', 'editor_image_url', 'editor_image_url_hint', attrs.src, { inputmode: 'url', spellcheck: 'false' });
      const alt = field('image-alt', 'editor_image_alt', 'editor_image_alt_hint', attrs.alt, { required: true, 'aria-required': 'true' });
      const caption = field('image-caption', 'editor_image_caption', null, attrs.caption);
      action('editor_apply', 'primary', () => applyCurrent());
      if (node) {
        action('editor_image_remove', 'warning', () => {
          closePanel(false);
          editor.chain().focus().deleteSelection().run();
        });
      }
      applyCurrent = () => {
        const value = { src: src.value.trim(), alt: alt.value.replace(/\s+/g, ' ').trim(), caption: caption.value.replace(/\s+/g, ' ').trim() };
        if (!isSafeSrc(value.src)) return fail(src, 'editor_image_url_invalid');
        if (!value.alt) return fail(alt, 'editor_image_alt_required');
        closePanel(false);
        const chain = editor.chain().focus();
        return (node ? chain.updateAttributes('figureImage', value) : chain.setFigureImage(value)).run();
      };
    },
    video() {
      const node = selectedNode(editor, 'videoEmbed');
      panelTitle.textContent = t('editor_video');
      const current = node ? videoUrl(node.attrs.provider, node.attrs.videoId) : '';
      const url = field('video-url', 'editor_video_url', 'editor_video_hint', current, { inputmode: 'url', spellcheck: 'false' });
      action('editor_apply', 'primary', () => applyCurrent());
      if (node) {
        action('editor_video_remove', 'warning', () => {
          closePanel(false);
          editor.chain().focus().deleteSelection().run();
        });
      }
      applyCurrent = () => {
        const video = parseVideo(url.value);
        if (!video) return fail(url, 'editor_video_invalid');
        const value = { provider: video.provider, videoId: video.id };
        closePanel(false);
        const chain = editor.chain().focus();
        return (node ? chain.updateAttributes('videoEmbed', value) : chain.setVideoEmbed(value)).run();
      };
    },
  };

  function openPanel(name) {
    panelBody.replaceChildren();
    panelActions.replaceChildren();
    panelError.textContent = '';
    forms[name]();
    action('editor_cancel', 'secondary', () => closePanel(true));
    openName = name;
    panel.hidden = false;
    panel.dataset.form = name;
    for (const { spec, b } of buttons) if (spec.panel) b.setAttribute('aria-expanded', String(spec.panel === name));
    const first = panelBody.querySelector('input');
    if (first) {
      first.focus();
      first.select();
    }
  }

  function closePanel(focusEditor) {
    if (!openName) return;
    openName = null;
    applyCurrent = null;
    panel.hidden = true;
    panelBody.replaceChildren();
    panelActions.replaceChildren();
    panelError.textContent = '';
    for (const { spec, b } of buttons) if (spec.panel) b.setAttribute('aria-expanded', 'false');
    if (focusEditor) editor.commands.focus();
  }

  panel.addEventListener('keydown', event => {
    // An input method (Vietnamese Telex, VNI) uses Enter and Escape while composing.
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      closePanel(true);
    } else if (event.key === 'Enter' && event.target.tagName === 'INPUT') {
      // Enter applies the small form and never submits the article form around it.
      event.preventDefault();
      if (applyCurrent) applyCurrent();
    }
  });

  function refresh() {
    for (const { spec, b } of buttons) {
      if (spec.active) b.setAttribute('aria-pressed', String(Boolean(spec.active())));
      if (spec.name === 'link') b.classList.toggle('is-active', editor.isActive('link'));
      if (spec.name === 'image') b.classList.toggle('is-active', Boolean(selectedNode(editor, 'figureImage')));
      if (spec.name === 'video') b.classList.toggle('is-active', Boolean(selectedNode(editor, 'videoEmbed')));
      if (spec.can) b.setAttribute('aria-disabled', String(!spec.can()));
    }
    tableGroup.hidden = !editor.isActive('table');
    if (!reachable().some(b => b.tabIndex === 0)) makeTabbable(reachable()[0]);
  }
  makeTabbable(buttons[0].b);

  return { toolbar, panel, refresh, openPanel, closePanel, isOpen: () => openName !== null };
}
