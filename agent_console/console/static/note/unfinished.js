/* The counselor's unfinished notes, from any call, with a button to open each. */
import { show } from "/static/kit/dom.js";
import { clock, localDate, parseTime } from "/static/kit/time.js";
import { stable, state } from "./model.js";
import { open, renderMode } from "./open.js";
import { levelOption, loadOptions } from "./options.js";
import { el, section, t } from "./page.js";
import { addPending } from "./storage.js";

export function unfinishedRow(row) {
  const li = el.unfinishedItem.content.firstElementChild.cloneNode(true);
  li.dataset.callId = String(row.call_id);
  const at = parseTime(row.at);
  const time = li.querySelector('[data-slot="at"]');
  time.textContent = at === null ? t("no_value") : `${localDate(at)} ${clock(at, false)}`;
  if (at !== null) {
    time.setAttribute("datetime", new Date(at).toISOString());
  }
  li.querySelector('[data-slot="line"]').textContent = row.line_name || "";
  const chip = li.querySelector('[data-slot="level"]');
  const info = row.level ? levelOption(row.level) : null;
  chip.dataset.level = row.level || "";
  chip.dataset.colour = info && info.colour ? info.colour : "";
  chip.textContent = row.level
    ? (info && info.label) || t(`level_${row.level}`)
    : t("note_history_no_level");
  show(li.querySelector('[data-slot="overdue"]'), row.overdue === true);
  show(li.querySelector('[data-slot="missed"]'), row.connected === false);
  const current = row.call_id === state.callId && !state.dismissed.has(row.call_id);
  show(li.querySelector('[data-slot="current"]'), current);
  li.setAttribute("aria-current", current ? "true" : "false");
  li.querySelector('[data-slot="open"]').value = String(row.call_id);
  return li;
}

/** Rebuilt only when something shown changed, so a focused Open button keeps focus. */
export function renderUnfinished() {
  if (!el.unfinished) {
    return;
  }
  const key = stable([state.unfinished, state.callId, state.dismissed.has(state.callId), Boolean(state.options)]);
  if (key === state.unfinishedKey) {
    return;
  }
  state.unfinishedKey = key;
  show(el.unfinished, state.unfinished.length > 0);
  el.unfinishedList.replaceChildren(...state.unfinished.map(unfinishedRow));
  if (state.unfinished.length > 0 && !state.options) {
    loadOptions().then(renderUnfinished); // the levels' colours and labels
  }
}

export function openFromList(id) {
  state.dismissed.delete(id);
  addPending(id);
  open(id);
  renderMode();
  el.title.focus({ preventScroll: true });
  section.scrollIntoView({ block: "start", behavior: "auto" });
}

/** The section's event handlers (index.js calls this once). */
export function wireUnfinished() {
  if (el.unfinishedList) {
    el.unfinishedList.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest('[data-slot="open"]') : null;
      if (button && Number.isInteger(Number(button.value))) {
        openFromList(Number(button.value));
      }
    });
  }
}
