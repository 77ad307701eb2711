/* The choices the form offers (GET /api/notes/options), built into each section once. */
import { buildCallTypes } from "./calltype.js";
import { buildCategories } from "./categories.js";
import { api } from "./http.js";
import { buildInterventions } from "./interventions.js";
import { state } from "./model.js";
import { config } from "./page.js";
import { buildProfile } from "./profile.js";
import { buildScreener } from "./screener.js";
import { storageGet, storageSet, STORE_PREFIX } from "./storage.js";

export function labelOf(list, code) {
  const item = (list || []).find((entry) => entry.code === code || entry.id === code);
  return item ? item.label || String(code) : String(code);
}

/** A level as the options give it ({code, label, colour, flashing}), or null. */
export function levelOption(code) {
  const levels = (state.options && state.options.levels) || [];
  return levels.find((level) => level.code === code) || null;
}

export function checkbox(path, kind, value, label, testid) {
  const wrap = document.createElement("label");
  wrap.className = "choice";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.value = String(value);
  input.dataset.path = path;
  input.dataset.kind = kind;
  if (testid) {
    input.dataset.testid = testid;
  }
  wrap.append(input, document.createTextNode(` ${label}`));
  return wrap;
}

export function fillChecks(container, path, list, kind = "list") {
  container.replaceChildren(
    ...(list || []).map((item) => checkbox(path, kind, item.code, item.label || item.code)),
  );
}

export function fillSelect(select, list) {
  const keep = select.querySelector('option[value=""]');
  const items = (list || []).map((item) => {
    const option = document.createElement("option");
    option.value = item.code;
    option.textContent = item.label || item.code;
    return option;
  });
  select.replaceChildren(...(keep ? [keep] : []), ...items);
}

/** The choices of every section, built once when the options first arrive. */
export function buildOptions() {
  if (state.optionsBuilt || !state.options) {
    return;
  }
  state.optionsBuilt = true;
  buildCallTypes(state.options);
  buildProfile(state.options);
  buildCategories(state.options);
  buildScreener(state.options);
  buildInterventions(state.options);
}

export async function loadOptions() {
  if (state.options) {
    return true;
  }
  const cacheKey = `${STORE_PREFIX}options.${config.locale || document.documentElement.lang}`;
  const response = await api("GET", "/api/notes/options");
  if (response.ok && response.data) {
    state.options = response.data;
    storageSet(cacheKey, state.options);
    return true;
  }
  const cached = storageGet(cacheKey); // offline after a reload: the last options still work
  if (cached) {
    state.options = cached;
    return true;
  }
  return false;
}
