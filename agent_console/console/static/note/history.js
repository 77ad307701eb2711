/* The caller's earlier calls, shown while talking to them. */
import { show } from "/static/kit/dom.js";
import { localDate, parseTime } from "/static/kit/time.js";
import { api } from "./http.js";
import { state } from "./model.js";
import { labelOf, levelOption } from "./options.js";
import { el, t } from "./page.js";

export function dateOf(value) {
  if (typeof value !== "string") {
    return t("no_value");
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return value;
  }
  const ms = parseTime(value);
  return ms === null ? value : localDate(ms);
}

export async function loadHistory(id) {
  if (state.historyFor === id) {
    return;
  }
  state.historyFor = id;
  const response = await api("GET", `/api/calls/${encodeURIComponent(id)}/history`);
  if (id !== state.callId) {
    return;
  }
  if (response.status === 403) {
    show(el.history, false); // a past call (its note window over) shows only itself
    return;
  }
  if (!response.ok || !response.data) {
    state.historyFor = null; // try again with the next snapshot
    return;
  }
  const rows = Array.isArray(response.data.data) ? response.data.data : [];
  el.historyList.replaceChildren(
    ...rows.map((row) => {
      const li = el.historyItem.content.firstElementChild.cloneNode(true);
      li.querySelector('[data-slot="date"]').textContent = dateOf(row.date);
      li.querySelector('[data-slot="line"]').textContent = row.line_name || "";
      const chip = li.querySelector('[data-slot="level"]');
      const info = row.crisis_level ? levelOption(row.crisis_level) : null;
      chip.dataset.level = row.crisis_level || "";
      chip.dataset.colour = info && info.colour ? info.colour : "";
      chip.textContent = info ? info.label || row.crisis_level : t("note_history_no_level");
      li.querySelector('[data-slot="type"]').textContent = row.call_type
        ? labelOf(state.options && state.options.call_types, row.call_type)
        : "";
      li.querySelector('[data-slot="excerpt"]').textContent =
        row.summary_excerpt || t("note_history_no_summary");
      // A follow-up still owed to this caller: counselling them now meets it.
      const followUp = li.querySelector('[data-slot="followup"]');
      if (row.follow_up_due_at) {
        followUp.textContent = t(
          row.follow_up_priority ? "note_history_followup_priority" : "note_history_followup",
        ).replace("{due}", dateOf(row.follow_up_due_at));
        followUp.dataset.priority = String(row.follow_up_priority === true);
        show(followUp, true);
      }
      return li;
    }),
  );
  show(el.history, rows.length > 0);
}
