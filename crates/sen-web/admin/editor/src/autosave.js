// Autosave of the article form: after ~3 s without changes (and at least every 10 s while typing),
// when the tab is hidden or the page left, and on Ctrl+S / Cmd+S. One request at a time; a save
// asked for meanwhile waits for it. A conflict (409) stops autosaving and keeps the text.
import { t } from './messages.js';

const KEEPALIVE_LIMIT = 60000; // browsers refuse keepalive bodies over 64 KiB

export function startAutosave({ form, sync, idleMs = 3000, maxMs = 10000 }) {
  const stateEl = form.querySelector('[data-save-state]');
  const alertEl = form.querySelector('[data-save-alert]');
  if (alertEl) alertEl.setAttribute('role', 'alert');

  let dirty = false;
  let inFlight = false;
  let queued = null; // { keepalive } of a save asked for during a request
  let stopped = false; // after a conflict, or once the form is submitted
  let submitting = false;
  let pendingSubmit = null; // the submit that waits for a request in flight
  let idleTimer = null;
  let maxTimer = null;
  let failures = 0;

  const setState = text => {
    if (stateEl) stateEl.textContent = text;
  };
  const isNew = () => !form.dataset.autosaveUrl;
  const hasTitle = () => !form.elements.title || form.elements.title.value.trim() !== '';

  function clearTimers() {
    clearTimeout(idleTimer);
    clearTimeout(maxTimer);
    idleTimer = maxTimer = null;
  }

  function schedule(delay = idleMs) {
    if (stopped) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => save(), delay);
    if (!maxTimer) maxTimer = setTimeout(() => save(), Math.max(maxMs, delay));
  }

  function markDirty() {
    dirty = true;
    if (stopped) return;
    if (isNew() && !hasTitle()) {
      clearTimers();
      setState(t('editor_save_needs_title'));
      return;
    }
    schedule();
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  function showConflict(data) {
    stopped = true;
    dirty = true;
    clearTimers();
    setState(t('editor_save_unsaved'));
    if (!alertEl) return;
    const message = document.createElement('p');
    message.textContent = (data && typeof data.message === 'string' && data.message) || t('editor_conflict_default');
    const stoppedNote = document.createElement('p');
    stoppedNote.textContent = t('editor_conflict_stopped');
    const parts = [message, stoppedNote];
    const compare = data && data.compare_url;
    if (typeof compare === 'string' && /^\/(?![/\\])/.test(compare)) {
      const link = document.createElement('a');
      link.href = compare;
      link.textContent = t('editor_conflict_compare');
      const p = document.createElement('p');
      p.append(link);
      parts.push(p);
    }
    alertEl.replaceChildren(...parts);
    alertEl.hidden = false;
  }

  function saved(data, wasNew) {
    failures = 0;
    if (form.elements.version && data.version !== undefined) form.elements.version.value = String(data.version);
    if (wasNew) {
      if (typeof data.autosave_url === 'string') form.dataset.autosaveUrl = data.autosave_url;
      if (typeof data.edit_url === 'string') {
        // Not form.action: the submit buttons named "action" shadow that property.
        form.setAttribute('action', data.edit_url);
        try {
          history.replaceState(null, '', data.edit_url);
        } catch {
          // A page not served from the same origin (a test on file://) keeps its address.
        }
      }
    }
    const time = typeof data.saved_at === 'string' ? data.saved_at : new Date().toTimeString().slice(0, 5);
    setState(t('editor_save_saved', { time }));
  }

  async function save({ keepalive = false, force = false } = {}) {
    if (stopped || submitting) return;
    if (!dirty && !force) return;
    if (isNew() && !hasTitle()) {
      clearTimers();
      setState(t('editor_save_needs_title'));
      return;
    }
    if (inFlight) {
      queued = { keepalive: keepalive || Boolean(queued && queued.keepalive) };
      return;
    }
    clearTimers();
    sync();
    const wasNew = isNew();
    const url = form.dataset.autosaveUrl || form.dataset.createUrl;
    const body = new URLSearchParams(new FormData(form));
    const csrf = form.elements._csrf ? form.elements._csrf.value : '';
    dirty = false;
    inFlight = true;
    setState(t('editor_save_saving'));
    let retry = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
        credentials: 'same-origin',
        keepalive: keepalive && body.toString().length < KEEPALIVE_LIMIT,
      });
      const data = await readJson(response);
      if (response.ok && data && data.version !== undefined) {
        saved(data, wasNew);
      } else if (response.status === 409) {
        showConflict(data);
      } else if (response.status === 422) {
        dirty = true;
        const message = data && typeof data.message === 'string' ? data.message : '';
        setState(message ? t('editor_save_invalid', { message }) : t('editor_save_unsaved'));
      } else {
        dirty = true;
        retry = true;
      }
    } catch {
      dirty = true;
      retry = true;
    }
    inFlight = false;
    if (retry) {
      failures += 1;
      setState(t('editor_save_retry'));
    }
    if (pendingSubmit) {
      const submitter = pendingSubmit;
      pendingSubmit = null;
      form.requestSubmit(submitter === true ? undefined : submitter);
      return;
    }
    if (stopped) return;
    if (queued) {
      const next = queued;
      queued = null;
      save({ keepalive: next.keepalive, force: true });
    } else if (retry) {
      schedule(Math.min(idleMs * 2 ** (failures - 1), 30000));
    } else if (dirty && !idleTimer) {
      schedule();
    }
  }

  // Any named field of the form (title, summary, category…) and the editor (through onChange).
  const onField = event => {
    if (event.target && event.target.name && event.target.form === form) markDirty();
  };
  form.addEventListener('input', onField);
  form.addEventListener('change', onField);

  form.addEventListener('submit', event => {
    sync();
    if (inFlight) {
      // Send the form once the autosave has answered, with the version it returned.
      event.preventDefault();
      pendingSubmit = event.submitter || true;
      return;
    }
    submitting = true;
    dirty = false;
    clearTimers();
  });

  document.addEventListener('keydown', event => {
    if (event.isComposing || event.keyCode === 229) return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 's') {
      event.preventDefault();
      save({ force: true });
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save({ keepalive: true });
  });
  window.addEventListener('pagehide', () => save({ keepalive: true }));
  window.addEventListener('beforeunload', event => {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  return { markDirty, save, isDirty: () => dirty };
}
