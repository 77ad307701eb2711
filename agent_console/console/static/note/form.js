/*
 * The generic form: writing the model into its controls, reading one change back, what follows
 * from the answers.
 */
import { $, setText, show } from "/static/kit/dom.js";
import { DEBOUNCE_MS, renderStatus, scheduleSave, URGENT_MS } from "./autosave.js";
import { renderQuickTypes } from "./calltype.js";
import { clearError } from "./errors.js";
import { getPath, GROUPS, isReadOnly, setPath, stable, state } from "./model.js";
import { el, t } from "./page.js";
import { readReferrals, renderFollowUp, renderReferrals } from "./referrals.js";
import {
  clearSkipped,
  renderBranches,
  renderLevel,
  setCrisisLevel,
  URGENT_PATHS,
} from "./screener.js";
import { persist } from "./storage.js";

export function controls(prefix) {
  return Array.from(el.form.querySelectorAll("[data-path]")).filter(
    (node) =>
      prefix === undefined ||
      node.dataset.path === prefix ||
      node.dataset.path.startsWith(`${prefix}.`),
  );
}

export function writeControl(node) {
  const value = getPath(state.model, node.dataset.path);
  switch (node.dataset.kind) {
    case "text":
      if (node.value !== (value == null ? "" : String(value))) {
        node.value = value == null ? "" : String(value);
      }
      break;
    case "choice":
      node.value = value == null ? "" : String(value);
      if (value != null && node.value !== String(value)) {
        node.value = ""; // a code this page does not offer
      }
      break;
    case "radio":
      node.checked = value === node.value;
      break;
    case "bool3":
      node.checked = (value === true && node.value === "yes") || (value === false && node.value === "no");
      break;
    case "check":
      node.checked = value === true;
      break;
    case "list":
      node.checked = Array.isArray(value) && value.map(String).includes(node.value);
      break;
    case "list-int":
      node.checked = Array.isArray(value) && value.map(Number).includes(Number(node.value));
      break;
    case "range":
      writeRange(node, value);
      break;
    default:
      break;
  }
}

export function writeRange(node, value) {
  const rated = typeof value === "number";
  if (rated && node.value !== String(value)) {
    node.value = String(value);
  }
  if (!rated && node.value !== "0") {
    node.value = "0";
  }
  node.dataset.unset = rated ? "false" : "true";
  if (rated) {
    node.removeAttribute("aria-valuetext");
  } else {
    node.setAttribute("aria-valuetext", t("note_not_rated"));
  }
  const output = $(`${node.id}-value`);
  setText(output, rated ? String(value) : t("note_not_rated"));
}

export function renderGroup(group) {
  if (group === "referrals") {
    renderReferrals();
  } else if (group !== "crisis_level") {
    controls(group).forEach(writeControl);
  }
}

export function renderAll() {
  GROUPS.forEach(renderGroup);
  renderDerived();
}

/** Everything that follows from the answers: branches, level, alerts, buttons. */
export function renderDerived() {
  renderBranches();
  renderFollowUp();
  renderLevel();
  renderQuickTypes();
  show(el.overdue, Boolean(state.note && state.note.overdue && state.note.status !== "submitted"));
}

export function readControl(node) {
  const path = node.dataset.path;
  switch (node.dataset.kind) {
    case "text":
      return node.value;
    case "choice":
      return node.value === "" ? null : node.value;
    case "radio":
      return node.checked ? node.value : getPath(state.model, path);
    case "bool3":
      return node.checked ? node.value === "yes" : getPath(state.model, path);
    case "check":
      return node.checked;
    case "list":
    case "list-int":
      return controls(path)
        .filter((input) => input.checked)
        .map((input) => (node.dataset.kind === "list-int" ? Number(input.value) : input.value));
    case "range":
      return Number(node.value);
    default:
      return getPath(state.model, path);
  }
}

export function change(group, paths, urgent) {
  state.changeCounter += 1;
  state.changedAt = Date.now();
  state.dirty.set(group, state.changeCounter);
  state.blocked.delete(group);
  paths.forEach(clearError);
  persist();
  renderDerived();
  renderStatus();
  scheduleSave(urgent ? URGENT_MS : DEBOUNCE_MS);
}

export function onControl(node) {
  if (isReadOnly() || !state.note) {
    return;
  }
  const path = node.dataset.path;
  const value = readControl(node);
  const before = getPath(state.model, path);
  if (stable(before) === stable(value)) {
    return;
  }
  setPath(state.model, path, value);
  const touched = [path];
  touched.push(...clearSkipped(path, value));
  if (path === "follow_up.wanted" || path === "follow_up.consent") {
    touched.push("follow_up.callback_number");
  }
  if (node.dataset.kind === "range") {
    writeRange(node, value);
  }
  change(path.split(".")[0], touched, URGENT_PATHS.includes(path));
}

export const onFormEvent = (event) => {
  const node = event.target;
  if (!(node instanceof HTMLElement)) {
    return;
  }
  if (node === el.confirmLevel) {
    if (event.type === "change") {
      setCrisisLevel(el.confirmLevel.value);
    }
    return;
  }
  if (el.referrals.contains(node)) {
    if (isReadOnly() || !state.note) {
      return;
    }
    state.model.referrals = readReferrals();
    const li = node.closest(".referral-row");
    const index = Array.from(el.referrals.children).indexOf(li);
    const slot = node.dataset.slot === "resource" ? "resource_id" : node.dataset.slot;
    change("referrals", [`referrals.${index}.${slot}`], false);
    return;
  }
  if (node.dataset.path) {
    onControl(node);
  }
};

/** The section's event handlers (index.js calls this once). */
export function wireForm() {
  el.form.addEventListener("submit", (event) => event.preventDefault());

  el.form.addEventListener("input", onFormEvent);

  el.form.addEventListener("change", onFormEvent);

  // A rating keeps its value when chosen without moving (a click on the thumb, an arrow at an end).
  el.form.querySelectorAll('input[type="range"]').forEach((range) => {
    const commit = () => {
      if (range.dataset.unset === "true" || getPath(state.model, range.dataset.path) !== Number(range.value)) {
        onControl(range);
      }
    };
    range.addEventListener("pointerup", commit);
    range.addEventListener("keyup", (event) => {
      if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].includes(event.key)) {
        commit();
      }
    });
  });
}
