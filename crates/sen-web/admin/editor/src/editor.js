// The article editor of the admin area: Tiptap (ProseMirror) over the form's body textarea.
// Without this script the textarea edits raw HTML; with it the textarea is hidden, kept equal to
// the editor's HTML on every change, and the form autosaves. See README.md.
import { Editor, Extension } from '@tiptap/core';
import { TextSelection } from '@tiptap/pm/state';
import { StarterKit } from '@tiptap/starter-kit';
import { startAutosave } from './autosave.js';
import { loadMessages, t } from './messages.js';
import {
  FigureImage,
  MediaPlayer,
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
import { createPicker } from './picker.js';
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
    MediaPlayer,
  ];
}

// Words are whitespace-separated tokens; about 200 a minute, at least one minute.
function wordCount(text) {
  const words = text.split(/\s+/).filter(Boolean).length;
  return { words, minutes: Math.max(1, Math.round(words / 200)) };
}

// The files of a drop, or the images of a paste that brings nothing else: a paste from Word or
// Excel carries a picture of its text too, which must not replace the text.
function droppedFiles(data) {
  return data && data.files ? Array.from(data.files) : [];
}
function pastedImages(data) {
  if (!data || !data.files || !data.files.length) return [];
  if (data.getData('text/html') || data.getData('text/plain')) return [];
  return Array.from(data.files).filter(file => file.type.startsWith('image/'));
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
  let picker = null;
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

  const Shortcuts = Extension.create({
    name: 'senShortcuts',
    addKeyboardShortcuts() {
      return {
        'Mod-k': () => {
          toolbar.openPanel('link');
          return true;
        },
        'Mod-Alt-m': () => {
          openLibrary();
          return true;
        },
      };
    },
  });
  const openLibrary = () => {
    toolbar.closePanel(false);
    picker.open();
  };

  const editor = new Editor({
    element: surface,
    extensions: [...extensions(), Shortcuts],
    content: textarea.value,
    injectCSS: false,
    editorProps: {
      attributes,
      transformPastedHTML: cleanPastedHtml,
      // Files go to the media library first, then in (an image with its description); the
      // browser would otherwise open a dropped PDF in place of the article.
      handlePaste(view, event) {
        const files = pastedImages(event.clipboardData);
        if (!files.length) return false;
        event.preventDefault();
        picker.uploadInto(files);
        return true;
      },
      handleDrop(view, event, slice, moved) {
        const files = moved ? [] : droppedFiles(event.dataTransfer);
        if (!files.length) return false;
        event.preventDefault();
        const at = view.posAtCoords({ left: event.clientX, top: event.clientY });
        if (at) view.dispatch(view.state.tr.setSelection(TextSelection.near(view.state.doc.resolve(at.pos))));
        picker.uploadInto(files);
        return true;
      },
      // The node's own position (nodePos), not the click's: a click on the lower half of a figure
      // is at its end, where the next node starts.
      handleDoubleClickOn(view, pos, node, nodePos) {
        const panel = { figureImage: 'image', videoEmbed: 'video' }[node.type.name];
        if (!panel) return false;
        editor.commands.setNodeSelection(nodePos);
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

  picker = createPicker(editor, { form, idPrefix: id });
  toolbar = buildToolbar(editor, { idPrefix: id, editorId: id, openLibrary });
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
