/* Which note is on screen: opening, loading, closing, and the console's snapshots. */
import { $, setText, show } from "/static/kit/dom.js";
import { renderStatus, restoreUnsaved, saveNow, scheduleSave, sendable } from "./autosave.js";
import { clearAllErrors } from "./errors.js";
import { renderAll } from "./form.js";
import { loadHistory } from "./history.js";
import { api, noteUrl } from "./http.js";
import { emptyFields, GROUPS, isReadOnly, normalGroup, state } from "./model.js";
import { buildOptions, loadOptions } from "./options.js";
import { el, section, t } from "./page.js";
import { addPending, pendingList, removePending, storageGet, STORE_PREFIX } from "./storage.js";
import { finishSubmitted } from "./submit.js";
import { renderUnfinished } from "./unfinished.js";
import { chosenConversation } from "../selection.js";

let lastSnapshot = null;

export const LOAD_RETRY_MS = 5000;

export function renderMode() {
  const visible = state.callId !== null && !state.dismissed.has(state.callId);
  show(section, visible);
  const ready = state.note !== null && state.optionsBuilt;
  const readOnly = ready && isReadOnly();
  show(el.form, ready && !readOnly);
  show(el.readonly, readOnly);
  section.dataset.mode = !ready ? "loading" : readOnly ? "readonly" : "edit";
  show(el.close, readOnly && state.callId !== state.liveCallId);
  renderUnfinished();
  // The emergency guidance stays on screen after submission.
  if (readOnly && el.guidance.parentNode !== el.readonlyGuidanceSlot) {
    el.readonlyGuidanceSlot.append(el.guidance);
  } else if (!readOnly && el.guidance.parentNode !== el.guidanceHome) {
    el.guidanceHome.insertBefore(el.guidance, el.guidanceNext);
  }
}

export function resetFor(id) {
  state.generation += 1;
  state.callId = id;
  state.note = null;
  state.model = emptyFields();
  state.dirty = new Map();
  state.blocked = new Set();
  state.saving = null;
  state.saveFailed = false;
  state.savedAt = null;
  state.quickConflicts = 0;
  state.submitting = false;
  state.historyFor = null;
  state.lastAttemptAt = 0;
  if (state.saveTimer !== null) {
    window.clearTimeout(state.saveTimer);
    state.saveTimer = null;
  }
  if (state.loadTimer !== null) {
    window.clearTimeout(state.loadTimer);
    state.loadTimer = null;
  }
  clearAllErrors();
  el.historyList.replaceChildren();
  show(el.history, false);
  el.referrals.replaceChildren();
  setText(el.addendumStatus, "");
  el.submit.setAttribute("aria-disabled", "false");
}

export function open(id) {
  if (state.callId === id) {
    return;
  }
  if (state.callId !== null && sendable().length > 0 && state.note && !isReadOnly()) {
    saveNow(); // the old note's unsaved changes are in sessionStorage too
  }
  resetFor(id);
  section.dataset.callId = String(id);
  const draft = storageGet(`${STORE_PREFIX}addendum.${id}`);
  el.addendumText.value = typeof draft === "string" ? draft : "";
  renderMode();
  renderStatus();
  load(id, state.generation);
}

/** Put the note away (submitted, or not ours); quietly leaves focus where it is. */
export function close(quietly) {
  const id = state.callId;
  const hadFocus = section.contains(document.activeElement);
  state.dismissed.add(id);
  removePending(id);
  resetFor(null);
  renderMode();
  const next = pendingList().reverse().find((other) => !state.dismissed.has(other));
  if (next !== undefined) {
    open(next);
  }
  const heading = state.liveCallId !== null ? $("call-title") : $("presence-title");
  if (heading && (!quietly || hadFocus)) {
    heading.focus();
  }
}

export const byCall = (id) => state.liveCallId !== null && id === state.liveCallId;

export const talking = (id) =>
  byCall(id) && (state.liveCallState === "connecting" || state.liveCallState === "connected");

export async function load(id, mine) {
  setText(el.message, "");
  show(el.message, false);
  const [haveOptions, response] = await Promise.all([loadOptions(), api("GET", noteUrl(id))]);
  if (mine !== state.generation) {
    return;
  }
  if (!haveOptions || !response.ok || !response.data) {
    if ((response.status === 403 || response.status === 404) && !byCall(id)) {
      close(true); // not this counselor's note (any more)
      return;
    }
    setText(el.message, t("note_load_failed"));
    show(el.message, true);
    state.loadTimer = window.setTimeout(() => {
      state.loadTimer = null;
      if (mine === state.generation) {
        load(id, mine);
      }
    }, LOAD_RETRY_MS);
    return;
  }
  buildOptions();
  const incoming = response.data;
  state.note = incoming;
  GROUPS.forEach((group) => {
    state.model[group] = normalGroup(group, incoming[group]);
  });
  if (isReadOnly()) {
    finishSubmitted(false);
      if (!byCall(id)) {
      close(true); // submitted earlier and no longer on a call: nothing to do here
      return;
    }
    if (talking(id)) {
      loadHistory(id);
    }
    return;
  }
  restoreUnsaved(id);
  renderAll();
  renderMode();
  renderStatus();
  if (talking(id)) {
    loadHistory(id);
  }
  if (sendable().length > 0) {
    scheduleSave(0);
  }
}

export function onSnapshot(snap) {
  lastSnapshot = snap;
  // A voice call's note first; else the text conversation on screen is "the call" (not one
  // a crisis worker joined: its note is the counselor's).
  const chosen = chosenConversation(snap);
  const text = chosen && chosen.role !== "responder" ? chosen : null;
  const call = snap && typeof snap === "object" ? snap.call || text : null;
  state.unfinished = snap && Array.isArray(snap.unfinished_notes) ? snap.unfinished_notes : [];
  if (call && typeof call.call_id === "number") {
    // A new call brings its note on screen; after that the counselor may open another one.
    const fresh = call.call_id !== state.liveCallId || state.callId === null;
    state.liveCallId = call.call_id;
    state.liveCallState = typeof call.state === "string" ? call.state : "";
    if (fresh) {
      state.dismissed.delete(call.call_id);
      addPending(call.call_id);
      open(call.call_id);
    }
    const talkingNow = call.state === "connecting" || call.state === "connected";
    if (talkingNow && state.options && state.callId === call.call_id) {
      loadHistory(call.call_id);
    }
  } else {
    state.liveCallId = null;
    state.liveCallState = "";
    if (state.callId === null) {
      const next = pendingList().reverse().find((other) => !state.dismissed.has(other));
      if (next !== undefined) {
        open(next);
      }
    }
  }
  renderMode();
}

/** The section's event handlers (index.js calls this once). */
export function wireOpen() {
  document.addEventListener("hotline:snapshot", (event) => onSnapshot(event.detail));
  // Another conversation chosen: its note comes on screen as a new call's would.
  document.addEventListener("hotline:conversation", () => {
    if (lastSnapshot !== null) {
      onSnapshot(lastSnapshot);
    }
  });

  el.close.addEventListener("click", () => close(false));
}
