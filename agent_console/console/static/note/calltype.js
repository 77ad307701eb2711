/*
 * The call type: counselling types as radios, one-click types for calls that were not counselling.
 */
import { show } from "/static/kit/dom.js";
import { change, controls, writeControl } from "./form.js";
import { isReadOnly, state } from "./model.js";
import { el, fill } from "./page.js";
import { riskShown } from "./screener.js";
import { submit } from "./submit.js";

export function nonCounselling(code) {
  const type = ((state.options && state.options.call_types) || []).find((entry) => entry.code === code);
  return Boolean(type && !type.counselling);
}

/** The one-click types: pressed for the note's type, locked while any risk answer is shown. */
export function renderQuickTypes() {
  // A caller who gave any risk answer is a counselling call: no one-click type for them.
  const locked = riskShown();
  el.quickTypes.querySelectorAll("button").forEach((button) => {
    button.setAttribute("aria-pressed", state.model.call_type === button.value ? "true" : "false");
    button.setAttribute("aria-disabled", locked ? "true" : "false");
  });
  show(el.quickLocked, locked);
}

/** Counselling types as radios; the others as one-click buttons that submit the note. */
export function buildCallTypes(options) {
  const types = options.call_types || [];
  el.callTypes.replaceChildren(
    ...types
      .filter((type) => type.counselling)
      .map((type) => {
        const wrap = document.createElement("label");
        wrap.className = "choice choice-card";
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "note-call-type";
        input.value = type.code;
        input.dataset.path = "call_type";
        input.dataset.kind = "radio";
        input.dataset.testid = `call-type-${type.code}`;
        wrap.append(input, document.createTextNode(` ${type.label || type.code}`));
        return wrap;
      }),
  );
  el.quickTypes.replaceChildren(
    ...types
      .filter((type) => !type.counselling)
      .map((type) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-secondary btn-quick";
        button.value = type.code;
        button.dataset.testid = `quick-type-${type.code}`;
        button.setAttribute("aria-pressed", "false");
        button.textContent = type.label || type.code;
        return button;
      }),
  );
}

/** The section's event handlers (index.js calls this once). */
export function wireCalltype() {
  el.quickTypes.addEventListener("keydown", (event) => {
    if (event.repeat) {
      event.preventDefault(); // a held key never submits a note
    }
  });

  el.quickTypes.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (!button || isReadOnly() || !state.note || state.submitting) {
      return;
    }
    // Never by accident: it submits the note for good, so ask first; never over a risk answer.
    if (button.getAttribute("aria-disabled") === "true" || riskShown()) {
      return;
    }
    if (!window.confirm(fill("note_quick_confirm", { type: button.textContent.trim() }))) {
      return;
    }
    state.model.call_type = button.value;
    controls("call_type").forEach(writeControl);
    change("call_type", ["call_type"], true);
    submit();
  });
}
