// The editor's words. The page gives them as JSON in #editor-messages (from the admin catalogue,
// messages.vi.toml / messages.en.toml); a key it lacks falls back to the English text here, which a
// test keeps equal to messages.en.toml.
export const FALLBACK = {
  editor_toolbar: 'Formatting',
  editor_paragraph: 'Paragraph',
  editor_heading_2: 'Heading 2',
  editor_heading_3: 'Heading 3',
  editor_heading_4: 'Heading 4',
  editor_bold: 'Bold',
  editor_italic: 'Italic',
  editor_underline: 'Underline',
  editor_bullet_list: 'Bulleted list',
  editor_ordered_list: 'Numbered list',
  editor_blockquote: 'Quote',
  editor_link: 'Link',
  editor_image: 'Image',
  editor_video: 'Video',
  editor_table: 'Insert table',
  editor_table_tools: 'Table',
  editor_table_add_row: 'Add row',
  editor_table_remove_row: 'Remove row',
  editor_table_add_column: 'Add column',
  editor_table_remove_column: 'Remove column',
  editor_table_delete: 'Delete table',
  editor_horizontal_rule: 'Horizontal line',
  editor_undo: 'Undo',
  editor_redo: 'Redo',
  editor_apply: 'Apply',
  editor_cancel: 'Cancel',
  editor_link_url: 'Link address',
  editor_link_hint: 'For example https://example.vn/page, /about, mailto:office@example.vn or tel:0239 3856214.',
  editor_link_invalid: 'This address cannot be used. Use https://…, http://…, mailto:, tel: or a path starting with /.',
  editor_link_remove: 'Remove link',
  editor_image_url: 'Image address',
  editor_image_url_hint: 'https://… or a path on this site, for example /media/photo.jpg.',
  editor_image_url_invalid: 'An image address starts with https://, http:// or /.',
  editor_image_alt: 'Image description (alt text)',
  editor_image_alt_hint: 'What the image shows, for readers who cannot see it.',
  editor_image_alt_required: 'Describe the image.',
  editor_image_caption: 'Caption (optional)',
  editor_image_remove: 'Remove image',
  editor_video_url: 'YouTube or Vimeo address',
  editor_video_hint: 'For example https://www.youtube.com/watch?v=… or https://vimeo.com/…',
  editor_video_invalid: 'Only YouTube and Vimeo videos can be embedded. Paste the address of the video.',
  editor_video_label: '{provider} video',
  editor_video_remove: 'Remove video',
  editor_library: 'Library',
  editor_library_title: 'Media library',
  editor_library_details_title: 'Insert an image from the library',
  editor_library_close: 'Close',
  editor_library_search: 'Search files',
  editor_library_search_button: 'Search',
  editor_library_kind: 'Kind of file',
  editor_library_kind_all: 'All',
  editor_library_kind_image: 'Images',
  editor_library_kind_document: 'Documents',
  editor_library_kind_audio: 'Audio',
  editor_library_kind_video: 'Video',
  editor_library_class_image: 'Image',
  editor_library_class_document: 'Document',
  editor_library_class_audio: 'Audio',
  editor_library_class_video: 'Video',
  editor_library_drop: 'Drop files here to upload them, or',
  editor_library_pick: 'Choose files',
  editor_library_upload_hint: 'Images: JPEG, PNG, WebP, GIF; documents: PDF, DOCX, XLSX, PPTX; audio: MP3; video: MP4, WebM.',
  editor_library_uploads: 'Uploads',
  editor_library_waiting: 'Waiting…',
  editor_library_uploading: 'Uploading…',
  editor_library_uploaded: 'Uploaded, and chosen in the list.',
  editor_library_upload_failed: 'This file could not be uploaded. Try again.',
  editor_library_upload_too_large: 'The file is too large to upload.',
  editor_library_dismiss: 'Remove from the list',
  editor_library_files: 'Files in the library',
  editor_library_loading: 'Loading the files…',
  editor_library_load_failed: 'The files could not be loaded.',
  editor_library_retry: 'Try again',
  editor_library_count: '{total} files',
  editor_library_count_one: '{total} file',
  editor_library_empty: 'The library has no files yet. Upload some.',
  editor_library_no_match: 'No file matches.',
  editor_library_paging: 'Pages',
  editor_library_previous: 'Previous',
  editor_library_next: 'Next',
  editor_library_page: 'Page {page} of {pages}',
  editor_library_pages: '{pages} pages',
  editor_library_pages_one: '{pages} page',
  editor_library_choose: 'Choose',
  editor_library_back: 'Back',
  editor_library_alt: 'Image description (alt)',
  editor_library_caption: 'Caption',
  editor_library_caption_hint: 'Optional; shown under the image.',
  editor_library_insert_image: 'Insert image',
  editor_save_saving: 'Saving…',
  editor_save_saved: 'Saved at {time}',
  editor_save_unsaved: 'Not saved',
  editor_save_invalid: 'Not saved: {message}',
  editor_save_retry: 'Not saved. Trying again in a few seconds.',
  editor_save_needs_title: 'Enter a title to start saving the draft automatically.',
  editor_conflict_default: 'Someone else saved this article in the meantime.',
  editor_conflict_stopped: 'Automatic saving has stopped; your text is still in the editor.',
  editor_conflict_compare: 'Compare the two versions',
  editor_word_count: '{words} words · about {minutes} min read',
};

let table = {};

export function loadMessages(doc) {
  const source = doc.getElementById('editor-messages');
  table = {};
  if (source) {
    try {
      const parsed = JSON.parse(source.textContent);
      if (parsed && typeof parsed === 'object') table = parsed;
    } catch {
      // A broken catalogue leaves the English fallback.
    }
  }
}

// The text for key, with {name} placeholders filled from vars.
export function t(key, vars) {
  const text = typeof table[key] === 'string' ? table[key] : FALLBACK[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}
