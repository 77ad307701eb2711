/* Submitting the note, and what follows: it can no longer change. */
import { setText, show } from "/static/kit/dom.js";
import { adopt, flush, renderStatus } from "./autosave.js";
import { offerDebrief } from "./debrief.js";
import { nonCounselling } from "./calltype.js";
import { clearAllErrors, focusFirstError, showErrors } from "./errors.js";
import { renderDerived } from "./form.js";
import { api, noteUrl } from "./http.js";
import { isReadOnly, state } from "./model.js";
import { renderMode } from "./open.js";
import { el, t } from "./page.js";
import { renderReadonly } from "./readonly.js";
import { removePending, storageSet, STORE_PREFIX } from "./storage.js";

export async function submit() {
  if (state.submitting || !state.note || isReadOnly()) {
    return;
  }
  const mine = state.generation;
  // A level that differs from the suggestion needs a reason: say so before asking the server.
  const counselling = !nonCounselling(state.model.call_type);
  if (counselling && el.override.required && !String(state.model.override_reason || "").trim()) {
    showErrors({ override_reason: t("note_override_required") }, "", true);
    focusFirstError();
    return;
  }
  state.submitting = true;
  el.submit.setAttribute("aria-disabled", "true");
  renderStatus();
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const saved = await flush();
      if (mine !== state.generation) {
        return;
      }
      if (!saved || state.blocked.size > 0) {
        if (state.blocked.size > 0) {
          showErrors(state.errors, "", true);
          focusFirstError();
        } else {
          showFormMessage(t("note_submit_failed"));
        }
        return;
      }
      const response = await api("POST", `${noteUrl(state.callId)}/submit`, { version: state.note.version });
      if (mine !== state.generation) {
        return;
      }
      if (response.ok && response.data) {
        adopt(response.data);
        finishSubmitted(true);
        offerDebrief(state.callId);
        return;
      }
      if (response.status === 409 && response.data && response.data.note) {
        adopt(response.data.note);
        if (isReadOnly()) {
          finishSubmitted(true);
          return;
        }
        continue; // save what we have on top of theirs, then submit again
      }
      if (response.status === 422 && response.data) {
        showErrors(response.data.errors || {}, response.data.detail, true);
        focusFirstError();
        return;
      }
      showFormMessage(t("note_submit_failed"));
      return;
    }
    showFormMessage(t("note_submit_failed"));
  } finally {
    if (mine === state.generation) {
      state.submitting = false;
      el.submit.setAttribute("aria-disabled", "false");
      renderStatus();
    }
  }
}

export function showFormMessage(text) {
  el.otherErrors.replaceChildren();
  setText(el.formErrorText, text);
  show(el.formError, true);
}

/** The note is submitted: it can no longer change, so show it as text with its addenda. */
export function finishSubmitted(byUser) {
  state.dirty = new Map();
  state.blocked = new Set();
  if (state.saveTimer !== null) {
    window.clearTimeout(state.saveTimer);
    state.saveTimer = null;
  }
  storageSet(STORE_PREFIX + state.callId, null);
  removePending(state.callId);
  clearAllErrors();
  renderReadonly();
  renderDerived();
  renderMode();
  renderStatus();
  if (byUser) {
    el.readonlyTitle.focus({ preventScroll: true });
    el.readonlyTitle.scrollIntoView({ block: "start", behavior: "auto" });
  }
}

/** The section's event handlers (index.js calls this once). */
export function wireSubmit() {
  el.submit.addEventListener("click", () => {
    if (el.submit.getAttribute("aria-disabled") !== "true") {
      submit();
    }
  });
}
