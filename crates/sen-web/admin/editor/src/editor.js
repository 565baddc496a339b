// The article editor of the admin area: Tiptap (ProseMirror) over the form's body textarea.
// Without this script the textarea edits raw HTML; with it the textarea is hidden, kept equal to
// the editor's HTML on every change, and the form autosaves. See README.md.
import { Editor, Extension } from '@tiptap/core';
import { StarterKit } from '@tiptap/starter-kit';
import { startAutosave } from './autosave.js';
import { loadMessages, t } from './messages.js';
import {
  FigureImage,
  SenHeading,
  SenLink,
  SenOrderedList,
  SenTable,
  SenTableCell,
  SenTableHeader,
  SenTableRow,
  VideoEmbed,
} from './nodes.js';
import { cleanPastedHtml } from './paste.js';
import { buildToolbar } from './toolbar.js';

let instances = 0;

function extensions() {
  return [
    StarterKit.configure({
      code: false,
      codeBlock: false,
      strike: false,
      heading: false,
      link: false,
      orderedList: false,
    }),
    SenHeading,
    SenLink,
    SenOrderedList,
    SenTable,
    SenTableRow,
    SenTableHeader,
    SenTableCell,
    FigureImage,
    VideoEmbed,
  ];
}

// Words are whitespace-separated tokens; about 200 a minute, at least one minute.
function wordCount(text) {
  const words = text.split(/\s+/).filter(Boolean).length;
  return { words, minutes: Math.max(1, Math.round(words / 200)) };
}

function mount(textarea) {
  const form = textarea.form;
  const id = `editor-${++instances}`;
  const label = textarea.id ? document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`) : null;
  if (label && !label.id) label.id = `${id}-label`;

  const root = document.createElement('div');
  root.className = 'editor';
  const bar = document.createElement('div');
  bar.className = 'editor__bar';
  const surface = document.createElement('div');
  surface.className = 'editor__surface';
  root.append(bar, surface);

  const counter = form ? form.querySelector('[data-word-count]') : null;
  let autosave = null;
  let toolbar = null;
  const sync = () => {
    textarea.value = editor.isEmpty ? '' : editor.getHTML();
  };
  const count = () => {
    if (!counter) return;
    const { words, minutes } = wordCount(editor.getText({ blockSeparator: ' ' }));
    const lang = document.documentElement.lang || 'vi';
    counter.textContent = t('editor_word_count', {
      words: new Intl.NumberFormat(lang).format(words),
      minutes: new Intl.NumberFormat(lang).format(minutes),
    });
  };

  const attributes = {
    id,
    class: 'editor__content',
    role: 'textbox',
    'aria-multiline': 'true',
    spellcheck: 'true',
  };
  if (label) attributes['aria-labelledby'] = label.id;
  if (textarea.getAttribute('aria-describedby')) attributes['aria-describedby'] = textarea.getAttribute('aria-describedby');
  if (textarea.lang) attributes.lang = textarea.lang;

  const LinkShortcut = Extension.create({
    name: 'senLinkShortcut',
    addKeyboardShortcuts() {
      return {
        'Mod-k': () => {
          toolbar.openPanel('link');
          return true;
        },
      };
    },
  });

  const editor = new Editor({
    element: surface,
    extensions: [...extensions(), LinkShortcut],
    content: textarea.value,
    injectCSS: false,
    editorProps: {
      attributes,
      transformPastedHTML: cleanPastedHtml,
      handleDoubleClickOn(view, pos, node) {
        const panel = { figureImage: 'image', videoEmbed: 'video' }[node.type.name];
        if (!panel) return false;
        editor.commands.setNodeSelection(pos);
        toolbar.openPanel(panel);
        return true;
      },
    },
    onUpdate() {
      sync();
      count();
      if (autosave) autosave.markDirty();
    },
    onTransaction() {
      if (toolbar) toolbar.refresh();
    },
    onFocus() {
      if (toolbar && toolbar.isOpen()) toolbar.closePanel(false);
    },
  });

  toolbar = buildToolbar(editor, { idPrefix: id, editorId: id });
  bar.append(toolbar.toolbar, toolbar.panel);
  textarea.after(root);
  textarea.hidden = true;
  textarea.style.display = 'none'; // admin.css gives .textarea display: block
  root.dataset.ready = '';
  if (label) {
    label.addEventListener('click', event => {
      event.preventDefault();
      editor.commands.focus();
    });
  }
  sync();
  count();
  toolbar.refresh();
  if (form) autosave = startAutosave({ form, sync });
  return editor;
}

function start() {
  loadMessages(document);
  for (const textarea of document.querySelectorAll('textarea[data-editor]')) {
    try {
      textarea.editor = mount(textarea); // the Tiptap editor, for tests and the console
    } catch (error) {
      // Without a working editor the raw HTML textarea stays usable.
      textarea.hidden = false;
      textarea.style.display = '';
      const partial = textarea.nextElementSibling;
      if (partial && partial.classList.contains('editor')) partial.remove();
      console.error('editor:', error);
    }
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
