/* The submitted note as text, with its addenda. */
import { $, setText, show } from "/static/kit/dom.js";
import { clock, localDate, parseTime } from "/static/kit/time.js";
import { GATES, QUESTIONS } from "../risk.js";
import { categoryLabels } from "./categories.js";
import { api, noteUrl } from "./http.js";
import { GROUPS, isReadOnly, normalGroup, state } from "./model.js";
import { labelOf, levelOption } from "./options.js";
import { el, fill, t } from "./page.js";
import { storageSet, STORE_PREFIX } from "./storage.js";

export function yesNo(value) {
  if (value === true) {
    return t("note_yes");
  }
  return value === false ? t("note_no") : t("note_not_asked");
}

export function listText(list, codes) {
  const values = Array.isArray(codes) ? codes : [];
  return values.length ? values.map((code) => labelOf(list, code)).join(", ") : t("note_none");
}

export function roChip(level) {
  const info = level ? levelOption(level) : null;
  if (!info) {
    return document.createTextNode(t("note_none"));
  }
  const chip = document.createElement("span");
  chip.className = "level-chip level-chip-small";
  chip.dataset.level = level;
  chip.dataset.colour = info.colour || "";
  chip.textContent = info.label || level;
  return chip;
}

export function renderReadonly() {
  if (!state.note) {
    return;
  }
  const n = {};
  GROUPS.forEach((group) => {
    n[group] = normalGroup(group, state.note[group]);
  });
  const set = (key, content) => {
    const dd = el.readonly.querySelector(`[data-ro="${key}"]`);
    if (dd) {
      dd.replaceChildren(typeof content === "string" ? document.createTextNode(content) : content);
    }
  };
  const text = (value) => (value ? String(value) : t("no_value"));
  const types = (state.options && state.options.call_types) || [];
  set("call_type", n.call_type ? labelOf(types, n.call_type) : t("no_value"));
  set("profile.age_band", n.profile.age_band ? labelOf(state.options.age_bands, n.profile.age_band) : t("no_value"));
  set("profile.gender", n.profile.gender ? labelOf(state.options.genders, n.profile.gender) : t("no_value"));
  set("profile.region", text(n.profile.region));
  set("profile.population_groups", listText(state.options.population_groups, n.profile.population_groups));
  set("categories", categoryLabels(n.categories));

  const answers = document.createElement("ul");
  answers.className = "ro-answers";
  QUESTIONS.forEach((field) => {
    const value = n.screener[field];
    if (value === null && field in GATES) {
      return; // a branch that was not asked
    }
    const legend = $(`note-q-${field}`).querySelector("legend");
    const li = document.createElement("li");
    const question = document.createElement("span");
    question.textContent = legend ? legend.textContent.trim() : field;
    const answer = document.createElement("strong");
    answer.textContent = yesNo(value);
    li.append(question, document.createTextNode(" "), answer);
    answers.append(li);
  });
  if (n.screener.imminent === true) {
    const li = document.createElement("li");
    li.className = "ro-imminent";
    li.textContent = $("note-imminent").parentNode.textContent.trim();
    answers.prepend(li);
  }
  set("screener", answers);
  const rating = (value) => (typeof value === "number" ? String(value) : t("note_not_rated"));
  set("screener.intensity", rating(n.screener.intensity));
  set("screener.hopelessness", rating(n.screener.hopelessness));
  set("screener.protective_factors", listText(state.options.protective_factors, n.screener.protective_factors));
  set("suggested_level", roChip(state.note.suggested_level));
  set("crisis_level", roChip(n.crisis_level));
  set("override_reason", text(n.override_reason));
  show(el.readonly.querySelector('[data-ro-row="override_reason"]'), Boolean(n.override_reason));
  set("interventions", listText(state.options.interventions, n.interventions));

  const resources = (state.options && state.options.referrals) || [];
  if (n.referrals.length) {
    const list = document.createElement("ul");
    n.referrals.forEach((row) => {
      const resource = resources.find((entry) => entry.id === row.resource_id);
      const li = document.createElement("li");
      const parts = [
        resource ? `${resource.name}${resource.kind_label ? ` (${resource.kind_label})` : ""}` : String(row.resource_id),
        row.date || "",
        row.comment || "",
      ].filter(Boolean);
      li.textContent = parts.join(" · ");
      list.append(li);
    });
    set("referrals", list);
  } else {
    set("referrals", t("note_none"));
  }

  const follow = n.follow_up;
  if (follow.wanted) {
    const within = el.form.querySelector(`#note-fu-within option[value="${CSS.escape(follow.within || "")}"]`);
    const parts = [
      t(follow.consent ? "note_followup_consent_yes" : "note_followup_consent_no"),
      follow.within && within ? within.textContent.trim() : "",
      follow.consent && follow.callback_number ? follow.callback_number : "",
      follow.plan || "",
    ].filter(Boolean);
    set("follow_up", parts.join(" · "));
  } else {
    set("follow_up", t("note_followup_not_wanted"));
  }
  set("summary", text(n.summary));

  const at = parseTime(state.note.submitted_at);
  setText(el.submittedAt, at === null ? "" : fill("note_submitted", { time: clock(at) }));
  renderAddenda();
}

export function renderAddenda() {
  const addenda = state.note && Array.isArray(state.note.addenda) ? state.note.addenda : [];
  show(el.addendaEmpty, addenda.length === 0);
  el.addenda.replaceChildren(
    ...addenda.map((entry) => {
      const li = el.addendumItem.content.firstElementChild.cloneNode(true);
      li.querySelector('[data-slot="author"]').textContent = entry.author || "";
      const time = li.querySelector('[data-slot="at"]');
      const at = parseTime(entry.at);
      time.textContent = at === null ? "" : `${localDate(at)} ${clock(at, false)}`;
      if (at !== null) {
        time.setAttribute("datetime", new Date(at).toISOString());
      }
      li.querySelector('[data-slot="text"]').textContent = entry.text || "";
      return li;
    }),
  );
}

export async function addAddendum() {
  if (!isReadOnly() || el.addAddendum.getAttribute("aria-disabled") === "true") {
    return;
  }
  const text = el.addendumText.value.trim();
  if (!text) {
    setText(el.addendumStatus, t("note_addendum_empty"));
    el.addendumText.focus();
    return;
  }
  const mine = state.generation;
  el.addAddendum.setAttribute("aria-disabled", "true");
  setText(el.addendumStatus, t("note_saving"));
  const response = await api("POST", `${noteUrl(state.callId)}/addenda`, { text });
  if (mine !== state.generation) {
    return;
  }
  el.addAddendum.setAttribute("aria-disabled", "false");
  if (response.ok && response.data) {
    state.note = response.data;
    renderAddenda();
    if (el.addendumText.value.trim() === text) {
      el.addendumText.value = "";
    }
    storageSet(`${STORE_PREFIX}addendum.${state.callId}`, null);
    setText(el.addendumStatus, t("note_addendum_added"));
  } else {
    const message =
      response.data && response.data.errors && typeof response.data.errors.text === "string"
        ? response.data.errors.text
        : t("note_addendum_failed");
    setText(el.addendumStatus, message);
  }
}

/** The section's event handlers (index.js calls this once). */
export function wireReadonly() {
  el.addAddendum.addEventListener("click", addAddendum);

  el.addendumText.addEventListener("input", () => {
    if (state.callId !== null) {
      storageSet(`${STORE_PREFIX}addendum.${state.callId}`, el.addendumText.value || null);
    }
  });
}
