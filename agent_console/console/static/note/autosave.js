/*
 * Autosave and the draft: the changed groups are saved after a pause, on Ctrl+S, every few seconds
 * while unsaved, and once more when the page goes.
 */
import { setText } from "/static/kit/dom.js";
import { clock, parseTime } from "/static/kit/time.js";
import { showErrors } from "./errors.js";
import { renderDerived, renderGroup } from "./form.js";
import { api, noteUrl } from "./http.js";
import { GROUPS, isReadOnly, normalGroup, stable, state, wire } from "./model.js";
import { csrfToken, el, fill, section, t } from "./page.js";
import { persist, storageGet, storageSet, STORE_PREFIX } from "./storage.js";
import { finishSubmitted } from "./submit.js";

export const DEBOUNCE_MS = 800; // after a change to a text field
export const URGENT_MS = 50; // after a risk answer: escalation must not wait
export const SAVE_EVERY_MS = 5000; // while there are unsaved changes, try at least this often
export const MAX_QUICK_CONFLICTS = 3; // 409s answered at once; then wait for the 5 s tick
export const STALE_MARGIN_MS = 5000; // a stored copy counts as older only by more than this

export function sendable() {
  return Array.from(state.dirty.keys()).filter((group) => !state.blocked.has(group));
}

export function scheduleSave(delay) {
  if (state.saveTimer !== null) {
    window.clearTimeout(state.saveTimer);
  }
  state.saveTimer = window.setTimeout(() => {
    state.saveTimer = null;
    saveNow();
  }, delay);
}

/** Take a NOTE from the server; groups with unsaved changes keep what the counselor typed. */
export function adopt(incoming) {
  if (!incoming || typeof incoming !== "object") {
    return;
  }
  state.note = incoming;
  GROUPS.forEach((group) => {
    if (state.dirty.has(group)) {
      return;
    }
    const server = normalGroup(group, incoming[group]);
    if (stable(wire(group, state.model[group])) !== stable(wire(group, server))) {
      state.model[group] = server;
      if (state.optionsBuilt) {
        renderGroup(group);
      }
    }
  });
  if (state.optionsBuilt) {
    renderDerived();
  }
}

export function saveNow() {
  if (state.saving) {
    return state.saving;
  }
  if (state.callId === null || !state.note || isReadOnly()) {
    return Promise.resolve();
  }
  const groups = sendable();
  if (groups.length === 0) {
    renderStatus();
    return Promise.resolve();
  }
  const id = state.callId;
  const mine = state.generation;
  const sent = {};
  const fields = {};
  groups.forEach((group) => {
    sent[group] = state.dirty.get(group);
    fields[group] = wire(group, state.model[group]);
  });
  state.lastAttemptAt = Date.now();
  state.saving = (async () => {
    renderStatus();
    const response = await api("PUT", noteUrl(id), { version: state.note.version, fields });
    if (mine !== state.generation) {
      return;
    }
    let again = false;
    if (response.ok && response.data) {
      groups.forEach((group) => {
        if (state.dirty.get(group) === sent[group]) {
          state.dirty.delete(group);
        }
      });
      state.saveFailed = false;
      state.quickConflicts = 0;
      state.savedAt = Date.now();
      adopt(response.data);
      persist();
      again = sendable().length > 0;
    } else if (response.status === 409 && response.data && response.data.note) {
      // Someone else saved first: take theirs, keep ours on top, save again.
      adopt(response.data.note);
      persist();
      state.quickConflicts += 1;
      again = state.quickConflicts <= MAX_QUICK_CONFLICTS;
      state.saveFailed = !again;
    } else if (response.status === 422 && response.data) {
      const fieldErrors = response.data.errors || {};
      const refused = new Set(Object.keys(fieldErrors).map((path) => path.split(".")[0]));
      groups.forEach((group) => {
        if (refused.has(group)) {
          state.blocked.add(group);
        }
      });
      if (refused.size === 0) {
        groups.forEach((group) => state.blocked.add(group));
      }
      showErrors(fieldErrors, response.data.detail, false);
      state.saveFailed = false;
      again = sendable().length > 0; // the rest can still be saved
    } else {
      state.saveFailed = true;
    }
    if (isReadOnly()) {
      finishSubmitted(false);
    }
    if (again) {
      scheduleSave(0);
    }
  })()
    .catch(() => {
      state.saveFailed = true;
    })
    .finally(() => {
      if (mine === state.generation) {
        state.saving = null;
        renderStatus();
        if (sendable().length > 0 && state.saveTimer === null && !state.saveFailed) {
          scheduleSave(DEBOUNCE_MS);
        }
      }
    });
  return state.saving;
}

/** Save until nothing is left to send; false when something could not be saved. */
export async function flush() {
  const mine = state.generation;
  for (let round = 0; round < 6; round += 1) {
    if (state.saving) {
      await state.saving;
    }
    if (mine !== state.generation) {
      return false;
    }
    if (sendable().length === 0) {
      return !state.saveFailed;
    }
    if (state.saveTimer !== null) {
      window.clearTimeout(state.saveTimer);
      state.saveTimer = null;
    }
    await saveNow();
    if (state.saveFailed) {
      return false;
    }
  }
  return sendable().length === 0;
}

export function renderStatus() {
  let kind = "";
  let text = "";
  if (state.callId !== null && state.note === null) {
    kind = "loading";
    text = t("note_loading");
  } else if (isReadOnly()) {
    kind = "submitted";
    const at = parseTime(state.note.submitted_at);
    text = fill("note_submitted", { time: clock(at === null ? Date.now() : at) });
  } else if (state.submitting) {
    kind = "saving";
    text = t("note_submitting");
  } else if (state.saveFailed) {
    kind = "error";
    text = t("note_save_failed");
  } else if (state.saving || sendable().length > 0) {
    kind = "saving";
    text = t("note_saving");
  } else if (state.blocked.size > 0) {
    kind = "invalid";
    text = t("note_save_invalid");
  } else if (state.note) {
    kind = "saved";
    const updated = parseTime(state.note.updated_at);
    const at = state.savedAt !== null ? state.savedAt : updated === null ? null : updated - state.skewMs;
    text = at === null ? "" : fill("note_saved", { time: clock(at) });
  }
  el.status.dataset.state = kind;
  setText(el.status, text);
}

/** Unsaved changes from before a reload: put them back and save them, unless the server's copy is newer. */
export function restoreUnsaved(id) {
  const stored = storageGet(STORE_PREFIX + id);
  if (!stored || !stored.fields || typeof stored.fields !== "object") {
    return;
  }
  const updated = parseTime(state.note.updated_at);
  const changedOnServerClock = (Number(stored.changed_at) || 0) + state.skewMs;
  const serverMoved = typeof stored.base_version === "number" && state.note.version > stored.base_version;
  const serverNewer =
    serverMoved && updated !== null && updated > changedOnServerClock + STALE_MARGIN_MS;
  if (serverNewer) {
    storageSet(STORE_PREFIX + id, null);
    return;
  }
  state.changedAt = Number(stored.changed_at) || Date.now();
  Object.entries(stored.fields).forEach(([group, value]) => {
    if (!GROUPS.includes(group)) {
      return;
    }
    const local = normalGroup(group, value);
    if (stable(wire(group, local)) === stable(wire(group, state.model[group]))) {
      return; // the server already has it
    }
    state.model[group] = local;
    state.changeCounter += 1;
    state.dirty.set(group, state.changeCounter);
  });
  persist();
}

/** The section's event handlers (index.js calls this once). */
export function wireAutosave() {
  // Ctrl+S / Cmd+S saves now instead of opening the browser's "save page".
  section.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
      event.preventDefault();
      if (state.saveTimer !== null) {
        window.clearTimeout(state.saveTimer);
        state.saveTimer = null;
      }
      saveNow();
    }
  });

  // While anything is unsaved, try again at least every few seconds.
  window.setInterval(() => {
    if (state.callId !== null && state.note && !state.saving && sendable().length > 0 && Date.now() - state.lastAttemptAt >= SAVE_EVERY_MS) {
      saveNow();
    }
  }, 1000);

  window.addEventListener("online", () => {
    if (sendable().length > 0) {
      scheduleSave(0);
    }
  });

  // Leaving or reloading the page: one last try; sessionStorage has the rest.
  window.addEventListener("pagehide", () => {
    persist();
    const groups = sendable();
    if (state.callId === null || !state.note || isReadOnly() || state.saving || groups.length === 0) {
      return;
    }
    const fields = {};
    groups.forEach((group) => {
      fields[group] = wire(group, state.model[group]);
    });
    try {
      fetch(noteUrl(state.callId), {
        method: "PUT",
        keepalive: true,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ version: state.note.version, fields }),
      }).catch(() => {});
    } catch (_error) {
      // nothing more to do: the copy in sessionStorage is put back on the next load
    }
  });
}
