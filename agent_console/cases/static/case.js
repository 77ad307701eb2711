/*
 * The caller's case in the console (docs/console-protocol.md, "case"): at the offer it shows the
 * tier, flags, summary and safety plan; on the call (and in wrap-up) the counselor writes the
 * safety plan with the caller, each save a new version (PUT /api/cases/{id}/safety-plan). A
 * caller without a case can have one opened (POST /api/calls/{id}/case). Strings and the plan's
 * sections come from the page's configuration ("case"); no inline code (CSP).
 */
import { csrfToken as pageCsrfToken, readConfig } from "/static/kit/config.js";
import { $, setText, show } from "/static/kit/dom.js";
import { stringsOf } from "/static/kit/strings.js";

const config = readConfig("console-config");
const caseConfig = config.case || { sections: [], strings: {} };
const { t, fill } = stringsOf(caseConfig);
const SECTIONS = caseConfig.sections || [];

const el = {
  panel: $("case-panel"),
  tier: $("case-tier"),
  link: $("case-link"),
  flags: $("case-flags"),
  summary: $("case-summary"),
  version: $("case-plan-version"),
  form: $("case-plan-form"),
  error: $("case-plan-error"),
  status: $("case-plan-status"),
  save: $("btn-save-plan"),
  openPanel: $("case-open-panel"),
  openButton: $("btn-open-case"),
  openError: $("case-open-error"),
};

// What is on screen: the case and call it is for, the plan version the editor started from,
// and whether the counselor has typed since (a snapshot then does not overwrite their words).
const current = { caseId: null, callId: null, basedOn: 0, editing: false, dirty: false };

async function send(method, url, body) {
  try {
    const response = await fetch(url, {
      method,
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRF-Token": pageCsrfToken(config),
      },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, data };
  } catch (_error) {
    return { ok: false, data: {} };
  }
}

function flagText(flags) {
  const parts = [];
  if (flags.frequent_caller) {
    parts.push(
      flags.care_plan_minutes
        ? `${t("frequent_caller")} (${fill("care_plan", { minutes: flags.care_plan_minutes })})`
        : t("frequent_caller"),
    );
  }
  if (flags.safeguarding) parts.push(t("safeguarding"));
  if (flags.preferred_counselor) parts.push(fill("preferred", { name: flags.preferred_counselor }));
  if (flags.language) parts.push(fill("language", { language: flags.language }));
  return parts.join(" · ");
}

function fillPlan(plan) {
  const sections = plan ? plan.sections : {};
  for (const key of SECTIONS) {
    const text = sections[key] || "";
    setText(el.form.querySelector(`[data-view="${key}"]`), text || "—");
    const area = el.form.querySelector(`[data-section="${key}"]`);
    if (!current.dirty) area.value = text;
  }
  setText(
    el.version,
    plan ? fill("plan_version", { version: plan.version, author: plan.author }) : t("no_plan"),
  );
}

function setEditing(editing) {
  current.editing = editing;
  for (const key of SECTIONS) {
    show(el.form.querySelector(`[data-view="${key}"]`), !editing);
    show(el.form.querySelector(`[data-section="${key}"]`), editing);
  }
  show(el.save, editing);
}

function render(snapshot) {
  const card = snapshot.case || null;
  const onCall = Boolean(snapshot.call);
  const callId = snapshot.call ? snapshot.call.call_id : snapshot.offer ? snapshot.offer.call_id : null;
  show(el.openPanel, onCall && !card);
  if (!card) {
    show(el.panel, false);
    current.caseId = null;
    current.dirty = false;
    return;
  }
  if (card.case_id !== current.caseId || card.call_id !== current.callId) {
    current.dirty = false; // another caller or contact: start from the stored plan
    setText(el.status, "");
    show(el.error, false);
  }
  current.caseId = card.case_id;
  current.callId = callId;
  current.basedOn = card.safety_plan ? card.safety_plan.version : 0;
  el.panel.dataset.tier = card.tier;
  el.tier.className = `tier tier-${card.tier}`;
  setText(
    el.tier,
    card.status === "closed" ? `${t(`tier_${card.tier}`)} · ${t("closed")}` : t(`tier_${card.tier}`),
  );
  el.link.href = `/cases/${card.case_id}`;
  setText(el.flags, flagText(card.flags));
  setText(el.summary, card.summary);
  fillPlan(card.safety_plan);
  setEditing(onCall);
  show(el.panel, true);
}

el.form.addEventListener("input", () => {
  current.dirty = true;
});

el.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!current.caseId) return;
  const sections = {};
  for (const key of SECTIONS) {
    sections[key] = el.form.querySelector(`[data-section="${key}"]`).value;
  }
  show(el.error, false);
  const { ok, data } = await send("PUT", `/api/cases/${current.caseId}/safety-plan`, {
    based_on: current.basedOn,
    call_id: current.callId,
    sections,
  });
  if (!ok) {
    setText(el.error, data.detail || t("error_generic"));
    show(el.error, true);
    return;
  }
  current.dirty = false;
  current.basedOn = data.safety_plan.version;
  fillPlan(data.safety_plan);
  setText(el.status, fill("saved", { version: data.safety_plan.version }));
});

el.openButton.addEventListener("click", async () => {
  if (!current.callId && !el.openButton.dataset.callId) return;
  show(el.openError, false);
  const { ok, data } = await send("POST", `/api/calls/${el.openButton.dataset.callId}/case`, {});
  if (!ok) {
    setText(el.openError, data.detail || t("error_generic"));
    show(el.openError, true);
  }
});

document.addEventListener("hotline:snapshot", (event) => {
  const snapshot = event.detail || {};
  el.openButton.dataset.callId = snapshot.call ? String(snapshot.call.call_id) : "";
  render(snapshot);
});
