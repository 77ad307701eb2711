/*
 * Crisis alerts in the console: the escalations this person was paged for, from the snapshot
 * ("alerts"), with acknowledge / join / resolve over the escalation API. No inline code (CSP).
 */
import { csrfToken as pageCsrfToken, readConfig } from "/static/kit/config.js";
import { stringsOf } from "/static/kit/strings.js";
import { RESCUE_NEXT, levelInfo } from "./risk.js";
import { chosenConversation } from "./selection.js";

const config = readConfig("console-config");
const { t } = stringsOf(config);
const panel = document.getElementById("alerts-panel");
const list = document.getElementById("alerts-list");
const rowTemplate = document.getElementById("alert-row");
let known = new Set();

const csrfToken = () => pageCsrfToken(config);

// The last refusal per escalation, kept across re-renders (a snapshot redraws every row).
const refusals = new Map();

// Escalations whose caller the line is calling back (the request was accepted), by id.
const dialledBack = new Set();

// "Call the caller back as the line": the server places the call from the line's number to
// the number kept for this escalation (hotline/linkage/); the page never holds the number.
async function dialBack(id, stateEl, errorEl) {
  errorEl.hidden = true;
  refusals.delete(id);
  try {
    const response = await fetch(`/api/dialbacks/escalations/${id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: "{}",
    });
    if (response.ok) {
      dialledBack.add(id);
      stateEl.textContent = t("alert_dial_back_requested");
      stateEl.hidden = false;
      return;
    }
    const data = await response.json().catch(() => ({}));
    errorEl.textContent = data.detail || t("error_generic");
  } catch (_error) {
    errorEl.textContent = t("error_generic");
  }
  errorEl.hidden = false;
  refusals.set(id, errorEl.textContent);
}

async function act(id, action, body, errorEl) {
  errorEl.hidden = true;
  refusals.delete(id);
  try {
    const response = await fetch(`/api/escalations/${id}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: body ? JSON.stringify(body) : null,
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      errorEl.textContent = data.detail || t("error_generic");
      errorEl.hidden = false;
      refusals.set(id, errorEl.textContent);
    }
  } catch (_error) {
    errorEl.textContent = t("error_generic");
    errorEl.hidden = false;
  }
}

// Which rescue stage may follow which: RESCUE_NEXT, the server's own rule (risk.js).
const rescueTemplate = document.getElementById("rescue-controls");

async function recordRescue(id, stage, noteEl, errorEl) {
  const note = noteEl.value.trim();
  if (stage === "failed" && !note) {
    errorEl.textContent = t("rescue_note_needed");
    errorEl.hidden = false;
    noteEl.focus();
    return;
  }
  await act(id, "rescue", { stage, note: note || null }, errorEl);
  if (errorEl.hidden) noteEl.value = "";
}

// The rescue steps for one escalation; `note` keeps what was typed across re-renders.
function rescueControls(id, rescueStatus, note) {
  const box = rescueTemplate.content.firstElementChild.cloneNode(true);
  const current = rescueStatus || "none";
  box.dataset.stage = current;
  box.querySelector('[data-role="rescue-status"]').textContent = t(`rescue_${current}`);
  const noteEl = box.querySelector('[data-role="rescue-note"]');
  const errorEl = box.querySelector('[data-role="rescue-error"]');
  noteEl.value = note || "";
  const allowed = RESCUE_NEXT[current] || [];
  noteEl.parentElement.hidden = allowed.length === 0;
  for (const button of box.querySelectorAll("[data-stage]")) {
    button.hidden = !allowed.includes(button.dataset.stage);
    button.addEventListener("click", () =>
      recordRescue(id, button.dataset.stage, noteEl, errorEl));
  }
  return box;
}

function typedNotes(container) {
  const notes = new Map();
  for (const box of container.querySelectorAll("[data-escalation-id]")) {
    const noteEl = box.querySelector('[data-role="rescue-note"]');
    if (noteEl && noteEl.value) notes.set(box.dataset.escalationId, noteEl.value);
  }
  return notes;
}

function render(alerts) {
  panel.hidden = alerts.length === 0;
  const fresh = alerts.some((a) => !known.has(a.escalation_id));
  known = new Set(alerts.map((a) => a.escalation_id));
  const notes = typedNotes(list);
  list.replaceChildren();
  for (const alert of alerts) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.escalationId = String(alert.escalation_id);
    row.dataset.status = alert.status;
    const level = row.querySelector('[data-role="level"]');
    const info = levelInfo(alert.level);
    level.dataset.colour = info ? info.colour : "";
    level.dataset.flashing = info && info.flashing ? "true" : "false";
    level.textContent = t(`level_${alert.level}`);
    row.querySelector('[data-role="line"]').textContent = alert.line_name;
    // A text conversation (SMS, web chat, WeChat) is joined in the console: no phone leg.
    const channel = alert.channel || "voice";
    const text = channel !== "voice";
    row.dataset.channel = channel;
    row.querySelector('[data-role="channel"]').textContent = t(`channel_${channel}`);
    const textStatus = text && (alert.status === "joined" || alert.status === "took_over");
    row.querySelector('[data-role="status"]').textContent =
      t(textStatus ? `alert_${alert.status}_text` : `alert_${alert.status}`);
    const errorEl = row.querySelector('[data-role="error"]');
    const ack = row.querySelector('[data-role="ack"]');
    const join = row.querySelector('[data-role="join"]');
    const resolve = row.querySelector('[data-role="resolve"]');
    const outcome = row.querySelector('[data-role="outcome"]');
    ack.hidden = alert.acknowledged;
    const ended = row.querySelector('[data-role="ended"]');
    ended.hidden = !alert.call_ended_at;
    if (alert.call_ended_at) {
      // The caller is gone: say when, and how they can be called back (never the number).
      row.dataset.callEnded = alert.call_ended_at;
      ended.textContent = text
        ? t("alert_text_ended").replace("{time}", alert.call_ended_time)
        : `${t("alert_call_ended").replace("{time}", alert.call_ended_time)} ${
          t(`alert_call_back_${alert.call_back || "none"}`)}`;
    }
    if (refusals.has(alert.escalation_id)) {
      errorEl.textContent = refusals.get(alert.escalation_id);
      errorEl.hidden = false;
    }
    join.hidden = !alert.acknowledged_by_me || alert.status === "joined" ||
      Boolean(alert.call_ended_at);
    const takeOver = row.querySelector('[data-role="take_over"]');
    const calledBack = row.querySelector('[data-role="called_back"]');
    join.textContent = t(text ? "alert_join_text" : "alert_join_call");
    takeOver.textContent = t(text ? "alert_take_over_text" : "alert_take_over_call");
    takeOver.hidden = !alert.acknowledged_by_me || alert.status !== "joined";
    // Calling back is for a phone call's caller: a text's person is written to, not rung.
    calledBack.hidden = !alert.acknowledged_by_me || alert.status !== "acknowledged" || text;
    const dialBackButton = row.querySelector('[data-role="dial_back"]');
    const dialBackState = row.querySelector('[data-role="dial-back-state"]');
    dialBackButton.hidden = !alert.acknowledged_by_me || !alert.call_ended_at || text ||
      dialledBack.has(alert.escalation_id);
    if (dialledBack.has(alert.escalation_id)) {
      dialBackState.textContent = t("alert_dial_back_requested");
      dialBackState.hidden = false;
    }
    dialBackButton.addEventListener("click", () =>
      dialBack(alert.escalation_id, dialBackState, errorEl));
    takeOver.addEventListener("click", () => act(alert.escalation_id, "take_over", null, errorEl));
    calledBack.addEventListener("click", () =>
      act(alert.escalation_id, "called_back", null, errorEl));
    if (alert.acknowledged_by_me && (alert.level === "imminent" || alert.rescue_status)) {
      row.querySelector('[data-role="rescue-slot"]').replaceWith(rescueControls(
        alert.escalation_id, alert.rescue_status, notes.get(String(alert.escalation_id))));
    }
    resolve.hidden = !alert.acknowledged_by_me;
    outcome.parentElement.hidden = !alert.acknowledged_by_me;
    ack.addEventListener("click", () => act(alert.escalation_id, "ack", null, errorEl));
    join.addEventListener("click", () => act(alert.escalation_id, "join", null, errorEl));
    resolve.addEventListener("click", () =>
      act(alert.escalation_id, "resolve", { outcome: outcome.value }, errorEl));
    list.appendChild(row);
  }
  if (fresh) {
    document.title = `${t("alert_title")} — ${document.title.replace(/^.* — /, "")}`;
    const first = list.querySelector('[data-role="ack"]:not([hidden])');
    if (first) first.focus();
  }
}

// The counselor's escalate button on the live call.
const escalateButton = document.getElementById("btn-escalate");
const escalateReason = document.getElementById("escalate-reason");
const escalateStatus = document.getElementById("escalate-status");
let liveCallId = null;

async function escalate() {
  const reason = escalateReason.value.trim();
  if (!reason) {
    escalateStatus.textContent = t("escalate_reason_needed");
    escalateReason.focus();
    return;
  }
  escalateButton.disabled = true;
  try {
    const response = await fetch(`/api/calls/${liveCallId}/escalate`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ reason }),
    });
    const data = await response.json().catch(() => ({}));
    escalateStatus.textContent = response.ok
      ? t("escalate_done") : (data.detail || t("error_generic"));
    escalateStatus.dataset.state = response.ok ? "raised" : "error";
  } catch (_error) {
    escalateStatus.textContent = t("error_generic");
  } finally {
    escalateButton.disabled = false;
  }
}

if (escalateButton && escalateReason && escalateStatus) {
  escalateButton.addEventListener("click", escalate);
  document.addEventListener("hotline:snapshot", (event) => {
    const snap = event.detail || {};
    // A voice call, else the live text conversation on screen that the counselor holds.
    const chosen = chosenConversation(snap);
    const text = chosen && chosen.role !== "responder" ? chosen : null;
    const call = snap.call || text;
    const id = call && call.state !== "wrap_up" && call.state !== "ended" ? call.call_id : null;
    if (id !== liveCallId) {
      escalateStatus.textContent = "";
      delete escalateStatus.dataset.state;
    }
    liveCallId = id;
    escalateButton.disabled = liveCallId === null;
  });
}

// The counselor's live call: rescue steps once an imminent escalation is open on it.
const callRescue = document.getElementById("call-rescue");
let shownRescue = "";

function renderCallRescue(call) {
  const escalation = call && call.state === "connected" ? call.escalation : null;
  const wanted = escalation && (escalation.level === "imminent" || escalation.rescue_status);
  const key = wanted
    ? `${escalation.escalation_id}:${escalation.rescue_status}:${escalation.status}` : "";
  if (key === shownRescue) return;
  shownRescue = key;
  callRescue.hidden = !wanted;
  const notes = typedNotes(callRescue);
  for (const old of callRescue.querySelectorAll("[data-escalation-id]")) old.remove();
  if (!wanted) return;
  callRescue.querySelector(".rescue-keep").textContent = t("rescue_keep_on_line");
  const box = rescueControls(
    escalation.escalation_id, escalation.rescue_status, notes.get(String(escalation.escalation_id)));
  box.dataset.escalationId = String(escalation.escalation_id);
  callRescue.appendChild(box);
}

if (callRescue && rescueTemplate) {
  document.addEventListener("hotline:snapshot", (event) => {
    renderCallRescue((event.detail || {}).call);
  });
}

if (panel && list && rowTemplate) {
  document.addEventListener("hotline:snapshot", (event) => {
    const snapshot = event.detail || {};
    render(Array.isArray(snapshot.alerts) ? snapshot.alerts : []);
  });
}
