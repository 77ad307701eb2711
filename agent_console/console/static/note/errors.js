/* Errors next to their fields (from a 422), and the box by Submit for the rest. */
import { setText, show } from "/static/kit/dom.js";
import { state } from "./model.js";
import { el, section, t } from "./page.js";

export function errorSlot(path) {
  let key = path;
  while (key) {
    const slot = section.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
    if (slot) {
      return slot;
    }
    key = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
  }
  return null;
}

export function fieldInputs(container) {
  return Array.from(container.querySelectorAll("input, select, textarea, button")).filter(
    (input) => input.type !== "hidden",
  );
}

/** The controls of a field, not those of the fields nested in it. */
export function ownInputs(container) {
  return fieldInputs(container).filter(
    (input) => input.tagName !== "BUTTON" && input.closest("[data-field]") === container,
  );
}

export function markInvalid(slot, message) {
  const container = slot.closest("[data-field]") || slot.parentNode;
  if (!slot.id) {
    slot.id = `note-err-${slot.dataset.errorFor.replace(/[^\w-]/g, "-")}`;
  }
  setText(slot, message);
  show(slot, true);
  container.classList.add("has-error");
  ownInputs(container).forEach((input) => {
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(slot.id)) {
      described.push(slot.id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
  });
}

export function unmark(slot) {
  const container = slot.closest("[data-field]") || slot.parentNode;
  show(slot, false);
  setText(slot, "");
  container.classList.remove("has-error");
  ownInputs(container).forEach((input) => {
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((id) => id && id !== slot.id);
    if (described.length) {
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  });
}

/** Put messages next to their fields; the ones with no field go in the box by Submit. */
export function showErrors(fieldErrors, detail, replace) {
  if (replace) {
    clearAllErrors();
  }
  const others = [];
  Object.entries(fieldErrors || {}).forEach(([path, message]) => {
    const text = typeof message === "string" && message ? message : t("note_field_invalid");
    state.errors[path] = text;
    const slot = errorSlot(path);
    if (slot && !(slot.parentElement && slot.parentElement.closest("[hidden]"))) {
      markInvalid(slot, text);
    } else {
      others.push(text);
    }
  });
  el.otherErrors.replaceChildren(
    ...others.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
  if (replace || others.length) {
    setText(
      el.formErrorText,
      replace ? t("note_submit_invalid") : typeof detail === "string" ? detail : "",
    );
    show(el.formError, true);
  }
}

export function clearError(path) {
  Object.keys(state.errors).forEach((key) => {
    if (key === path || key.startsWith(`${path}.`) || path.startsWith(`${key}.`)) {
      delete state.errors[key];
      const slot = errorSlot(key);
      if (slot) {
        unmark(slot);
      }
    }
  });
  if (Object.keys(state.errors).length === 0) {
    show(el.formError, false);
  }
}

export function clearAllErrors() {
  state.errors = {};
  section.querySelectorAll("[data-error-for]").forEach((slot) => {
    if (!slot.hidden) {
      unmark(slot);
    }
  });
  el.otherErrors.replaceChildren();
  show(el.formError, false);
}

export function focusFirstError() {
  const first = Array.from(section.querySelectorAll(".has-error")).find(
    (node) => !node.closest("[hidden]"),
  );
  const target = first
    ? fieldInputs(first).find((input) => !input.closest("[hidden]") && !input.disabled)
    : null;
  const focusable = target || (first ? null : el.formError);
  if (focusable) {
    if (focusable === el.formError) {
      el.formError.tabIndex = -1;
    }
    focusable.focus({ preventScroll: true });
    focusable.scrollIntoView({ block: "center", behavior: "auto" });
  }
}
