/* Referrals (rows of services) and the follow-up call (wanted, consent, number, plan). */
import { show } from "/static/kit/dom.js";
import { localDate } from "/static/kit/time.js";
import { clearError } from "./errors.js";
import { change } from "./form.js";
import { isReadOnly, state } from "./model.js";
import { el, t } from "./page.js";

export function resourceOptions(select) {
  const keep = select.querySelector('option[value=""]');
  const groups = new Map();
  ((state.options && state.options.referrals) || []).forEach((resource) => {
    const kind = resource.kind_label || resource.kind || "";
    if (!groups.has(kind)) {
      const group = document.createElement("optgroup");
      group.label = kind;
      groups.set(kind, group);
    }
    const option = document.createElement("option");
    option.value = String(resource.id);
    const extra = [resource.region, resource.phone].filter(Boolean).join(", ");
    const name = resource.green_channel ? `${resource.name} · ${t("note_referral_green")}` : resource.name;
    option.textContent = extra ? `${name} (${extra})` : name;
    option.dataset.greenChannel = resource.green_channel ? "true" : "false";
    groups.get(kind).append(option);
  });
  select.replaceChildren(...(keep ? [keep] : []), ...groups.values());
}

export function renderReferrals() {
  const rows = Array.isArray(state.model.referrals) ? state.model.referrals : [];
  const existing = Array.from(el.referrals.children);
  // Rebuild only when the number of rows changed; otherwise write values in place.
  if (existing.length !== rows.length) {
    el.referrals.replaceChildren(...rows.map(() => referralRow()));
  }
  Array.from(el.referrals.children).forEach((li, index) => {
    const row = rows[index] || {};
    const select = li.querySelector('[data-slot="resource"]');
    const date = li.querySelector('[data-slot="date"]');
    const comment = li.querySelector('[data-slot="comment"]');
    const resource = row.resource_id == null ? "" : String(row.resource_id);
    if (select.value !== resource) {
      select.value = resource;
    }
    if (date.value !== (row.date || "")) {
      date.value = row.date || "";
    }
    if (comment.value !== (row.comment || "")) {
      comment.value = row.comment || "";
    }
    ["resource_id", "date", "comment"].forEach((name) => {
      const slot = name === "resource_id" ? "resource" : name;
      li.querySelector(`[data-slot="${slot}-field"]`).dataset.field = `referrals.${index}.${name}`;
      li.querySelector(`[data-slot="${slot}-error"]`).dataset.errorFor = `referrals.${index}.${name}`;
    });
    li.dataset.field = `referrals.${index}`;
  });
}

export function referralRow() {
  const li = el.referralRow.content.firstElementChild.cloneNode(true);
  state.referralSerial += 1;
  ["resource", "date", "comment"].forEach((slot) => {
    const id = `note-ref-${state.referralSerial}-${slot}`;
    li.querySelector(`[data-slot="${slot}"]`).id = id;
    li.querySelector(`[data-slot="${slot}-label"]`).htmlFor = id;
  });
  resourceOptions(li.querySelector('[data-slot="resource"]'));
  return li;
}

export function readReferrals() {
  return Array.from(el.referrals.children).map((li) => {
    const resource = li.querySelector('[data-slot="resource"]').value;
    return {
      resource_id: resource === "" ? null : Number(resource),
      date: li.querySelector('[data-slot="date"]').value || null,
      comment: li.querySelector('[data-slot="comment"]').value,
    };
  });
}

/** The follow-up's details once a follow-up is wanted; the number only with consent. */
export function renderFollowUp() {
  const follow = state.model.follow_up || {};
  show(el.followDetails, follow.wanted === true);
  show(el.numberRow, follow.wanted === true && follow.consent === true);
}

/** The section's event handlers (index.js calls this once). */
export function wireReferrals() {
  el.addReferral.addEventListener("click", () => {
    if (isReadOnly() || !state.note) {
      return;
    }
    state.model.referrals = [...readReferrals(), { resource_id: null, date: localDate(Date.now()), comment: "" }];
    renderReferrals();
    change("referrals", ["referrals"], false);
    const last = el.referrals.lastElementChild;
    if (last) {
      last.querySelector('[data-slot="resource"]').focus();
    }
  });

  el.referrals.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-slot="remove"]') : null;
    if (!button || isReadOnly()) {
      return;
    }
    const li = button.closest(".referral-row");
    const index = Array.from(el.referrals.children).indexOf(li);
    const rows = readReferrals();
    rows.splice(index, 1);
    state.model.referrals = rows;
    clearError("referrals");
    el.referrals.replaceChildren(); // rebuild: the row numbers in the error paths moved
    renderReferrals();
    change("referrals", ["referrals"], false);
    const next = el.referrals.children[index] || el.referrals.children[index - 1];
    (next ? next.querySelector('[data-slot="resource"]') : el.addReferral).focus();
  });
}
