/*
 * sessionStorage: unsaved changes (so a reload never loses what was typed) and which notes are
 * open.
 */
import { clone, state, wire } from "./model.js";

export const STORE_PREFIX = "hotline.note.";
export const PENDING_KEY = "hotline.notes.pending";

export function storageGet(key) {
  try {
    const raw = window.sessionStorage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch (_error) {
    return null;
  }
}

export function storageSet(key, value) {
  try {
    if (value === null) {
      window.sessionStorage.removeItem(key);
    } else {
      window.sessionStorage.setItem(key, JSON.stringify(value));
    }
  } catch (_error) {
    // Storage full or disabled: the server copy and the open page still hold the note.
  }
}

export function pendingList() {
  const list = storageGet(PENDING_KEY);
  return Array.isArray(list) ? list.filter((id) => typeof id === "number") : [];
}

export function addPending(id) {
  const list = pendingList().filter((other) => other !== id);
  list.push(id);
  storageSet(PENDING_KEY, list.slice(-20));
}

export function removePending(id) {
  storageSet(
    PENDING_KEY,
    pendingList().filter((other) => other !== id),
  );
}

export function persist() {
  if (state.callId === null) {
    return;
  }
  const key = STORE_PREFIX + state.callId;
  if (state.dirty.size === 0) {
    storageSet(key, null);
    return;
  }
  const fields = {};
  state.dirty.forEach((_count, group) => {
    fields[group] = group === "follow_up" ? wire(group, state.model[group]) : clone(state.model[group]);
  });
  storageSet(key, {
    call_id: state.callId,
    base_version: state.note ? state.note.version : null,
    changed_at: state.changedAt || Date.now(),
    fields,
  });
}
