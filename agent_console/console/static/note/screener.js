/*
 * The suicide-risk screener and the crisis level: branching, the suggested and confirmed level,
 * the guidance.
 */
import { setText, show } from "/static/kit/dom.js";
import { clock, parseTime } from "/static/kit/time.js";
import { gatedBy, levelRank, QUESTIONS } from "../risk.js";
import { change, controls, writeControl } from "./form.js";
import { isReadOnly, state } from "./model.js";
import { fillChecks, labelOf, levelOption } from "./options.js";
import { el, fill, section, t } from "./page.js";

/** Answers that save at once: escalation must not wait. */
export const URGENT_PATHS = [
  ...QUESTIONS.map((question) => `screener.${question}`),
  "screener.imminent",
  "crisis_level",
];

/** Any answer or level saying the caller may be at risk (docs/notes-api.md). */
export function riskShown() {
  const screener = state.model.screener || {};
  const levels = [
    state.note ? state.note.suggested_level : null,
    state.model.crisis_level,
    state.note && state.note.escalation ? state.note.escalation.level : null,
  ];
  return (
    screener.imminent === true ||
    QUESTIONS.some((field) => screener[field] === true) ||
    levels.some((level) => (levelRank(level) || 0) > 0)
  );
}

/** The questions each "yes" opens (the C-SSRS branches) are shown only after that "yes". */
export function renderBranches() {
  const screener = state.model.screener || {};
  show(el.branchQ2, screener.q2_suicidal_thoughts === true);
  show(el.branchQ6, screener.q6_behaviour === true);
}

/**
 * C-SSRS branching: a question answered anything but "yes" closes its branch, whose answers
 * become null (not asked). Returns the paths it cleared.
 */
export function clearSkipped(path, value) {
  const question = path.startsWith("screener.") ? path.slice("screener.".length) : "";
  const skipped = question && value !== true ? gatedBy(question) : [];
  if (skipped.length === 0) {
    return [];
  }
  skipped.forEach((field) => {
    state.model.screener[field] = null;
  });
  controls("screener").forEach(writeControl);
  return skipped.map((field) => `screener.${field}`);
}

/** The suggested level, the counselor's confirmed one, the reason for an override, the guidance. */
export function renderLevel() {
  const screener = state.model.screener || {};
  const suggested = state.note ? state.note.suggested_level || null : null;
  const info = suggested ? levelOption(suggested) : null;
  el.suggested.dataset.level = suggested || "";
  el.suggested.dataset.colour = info && info.colour ? info.colour : "";
  el.suggested.dataset.flashing = info && info.flashing ? "true" : "false";
  el.suggested.dataset.pending = state.dirty.has("screener") ? "true" : "false";
  setText(el.suggested, info ? info.label || suggested : t("note_level_pending"));

  const confirmed = state.model.crisis_level || null;
  const shown = confirmed || suggested || "";
  if (el.confirmLevel.value !== shown) {
    el.confirmLevel.value = shown;
  }
  el.confirmState.dataset.confirmed = confirmed ? "true" : "false";
  setText(
    el.confirmState,
    confirmed
      ? fill("note_level_confirmed", { level: labelOf(state.options && state.options.levels, confirmed) })
      : t("note_level_unconfirmed"),
  );
  const differs = Boolean(confirmed && suggested && confirmed !== suggested);
  show(el.overrideRow, differs);
  el.override.required = differs;
  el.override.setAttribute("aria-required", differs ? "true" : "false");
  show(el.overrideDown, differs && levelRank(confirmed) < levelRank(suggested));

  const escalation = state.note && state.note.escalation ? state.note.escalation : null;
  const imminent =
    screener.imminent === true ||
    suggested === "imminent" ||
    confirmed === "imminent" ||
    (escalation !== null && escalation.level === "imminent");
  show(el.guidance, imminent);
  section.dataset.imminent = imminent ? "true" : "false";

  show(el.escalation, escalation !== null);
  if (escalation) {
    const at = parseTime(escalation.raised_at);
    setText(el.escalationTime, at === null ? "" : fill("note_escalation_at", { time: clock(at, false) }));
    if (at !== null) {
      el.escalationTime.setAttribute("datetime", new Date(at).toISOString());
    }
  }

}

export function setCrisisLevel(value) {
  if (isReadOnly() || !state.note) {
    return;
  }
  state.model.crisis_level = value || null;
  change("crisis_level", ["crisis_level", "override_reason"], true);
}

/** The protective factors, and the levels the counselor can confirm. */
export function buildScreener(options) {
  fillChecks(el.protectiveFactors, "screener.protective_factors", options.protective_factors);

  const levels = options.levels || [];
  const keep = el.confirmLevel.querySelector('option[value=""]');
  el.confirmLevel.replaceChildren(
    ...(keep ? [keep] : []),
    ...levels.map((level) => {
      const option = document.createElement("option");
      option.value = level.code;
      option.textContent = level.label || level.code;
      return option;
    }),
  );
}

/** The section's event handlers (index.js calls this once). */
export function wireScreener() {
  el.confirmButton.addEventListener("click", () => {
    if (!el.confirmLevel.value) {
      el.confirmLevel.focus();
      return;
    }
    setCrisisLevel(el.confirmLevel.value);
  });
}
