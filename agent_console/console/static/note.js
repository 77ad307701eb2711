/*
 * Call note: the form the counselor fills in during and after a call.
 * API: docs/notes-api.md. Which call: the "hotline:snapshot" event console.js sends.
 * Autosaves the changed groups of fields; keeps every unsaved change in sessionStorage so a
 * reload, a lost connection or a version conflict never loses what was typed.
 * No framework, no build step, no inline code (strict CSP).
 */
(() => {
  "use strict";

  const DEBOUNCE_MS = 800; // after a change to a text field
  const URGENT_MS = 50; // after a risk answer: escalation must not wait
  const SAVE_EVERY_MS = 5000; // while there are unsaved changes, try at least this often
  const LOAD_RETRY_MS = 5000;
  const REQUEST_TIMEOUT_MS = 15000;
  const MAX_QUICK_CONFLICTS = 3; // 409s answered at once; then wait for the 5 s tick
  const STALE_MARGIN_MS = 5000; // a stored copy counts as older only by more than this
  const STORE_PREFIX = "hotline.note.";
  const PENDING_KEY = "hotline.notes.pending";
  const GROUPS = [
    "call_type",
    "profile",
    "categories",
    "screener",
    "crisis_level",
    "override_reason",
    "interventions",
    "referrals",
    "follow_up",
    "difficult",
    "summary",
  ];
  const URGENT_PATHS = [
    "screener.q1_wish_dead",
    "screener.q2_suicidal_thoughts",
    "screener.q3_method",
    "screener.q4_intent",
    "screener.q5_plan",
    "screener.q6_behaviour",
    "screener.q6_within_3_months",
    "screener.imminent",
    "crisis_level",
  ];
  const SCREENER_QUESTIONS = [
    "q1_wish_dead",
    "q2_suicidal_thoughts",
    "q3_method",
    "q4_intent",
    "q5_plan",
    "q6_behaviour",
    "q6_within_3_months",
  ];
  const LEVEL_RANK = { none: 0, low: 1, moderate: 2, high: 3, imminent: 4 };

  const $ = (id) => document.getElementById(id);
  const section = $("note-section");
  if (!section) {
    return; // not the console page
  }

  // ---- configuration and strings --------------------------------------------------------

  let config = {};
  try {
    const node = $("console-config");
    config = JSON.parse((node && node.textContent) || "{}") || {};
  } catch (_error) {
    config = {};
  }
  const strings = config.strings && typeof config.strings === "object" ? config.strings : {};
  const t = (key) => (typeof strings[key] === "string" ? strings[key] : key);
  const fill = (key, values) =>
    t(key).replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));

  function csrfToken() {
    if (typeof config.csrf_token === "string" && config.csrf_token) {
      return config.csrf_token;
    }
    const input = document.querySelector('form.logout input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // ---- DOM -------------------------------------------------------------------------------

  const el = {
    title: $("note-title"),
    status: $("note-status"),
    escalation: $("note-escalation"),
    escalationTime: $("note-escalation-time"),
    message: $("note-message"),
    overdue: $("note-overdue"),
    history: $("note-history"),
    historyList: $("note-history-list"),
    historyItem: $("note-history-item"),
    form: $("note-form"),
    callTypes: $("note-call-types"),
    quickTypes: $("note-quick-types"),
    quickLocked: $("note-quick-locked"),
    ageBand: $("note-age-band"),
    gender: $("note-gender"),
    populationGroups: $("note-population-groups"),
    categories: $("note-categories"),
    guidance: $("note-guidance"),
    guidanceHome: $("note-guidance") ? $("note-guidance").parentNode : null,
    guidanceNext: $("note-guidance") ? $("note-guidance").nextSibling : null,
    branchQ2: $("note-branch-q2"),
    branchQ6: $("note-branch-q6"),
    protectiveFactors: $("note-protective-factors"),
    suggested: $("note-suggested"),
    confirmLevel: $("note-confirm-level"),
    confirmButton: $("note-confirm-btn"),
    confirmState: $("note-confirm-state"),
    overrideRow: $("note-override-row"),
    override: $("note-override"),
    overrideDown: $("note-override-down"),
    interventions: $("note-interventions"),
    referrals: $("note-referrals"),
    referralRow: $("note-referral-row"),
    addReferral: $("note-add-referral"),
    followDetails: $("note-fu-details"),
    numberRow: $("note-fu-number-row"),
    formError: $("note-form-error"),
    formErrorText: $("note-form-error-text"),
    otherErrors: $("note-other-errors"),
    submit: $("note-submit"),
    readonly: $("note-readonly"),
    readonlyTitle: $("note-readonly-title"),
    submittedAt: $("note-submitted-at"),
    readonlyGuidanceSlot: $("note-readonly-guidance-slot"),
    addenda: $("note-addenda"),
    addendaEmpty: $("note-addenda-empty"),
    addendumItem: $("note-addendum-item"),
    addendumText: $("note-addendum-text"),
    addendumStatus: $("note-addendum-status"),
    addAddendum: $("note-add-addendum"),
    close: $("note-close"),
    unfinished: $("unfinished-notes"),
    unfinishedList: $("unfinished-list"),
    unfinishedItem: $("unfinished-item"),
  };

  // ---- small helpers ---------------------------------------------------------------------

  const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

  /** JSON with sorted keys: two values are equal when their stable forms are. */
  function stable(value) {
    if (Array.isArray(value)) {
      return `[${value.map(stable).join(",")}]`;
    }
    if (value && typeof value === "object") {
      return `{${Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${stable(value[key])}`)
        .join(",")}}`;
    }
    return JSON.stringify(value === undefined ? null : value);
  }

  function getPath(object, path) {
    return path.split(".").reduce((node, key) => (node == null ? undefined : node[key]), object);
  }

  function setPath(object, path, value) {
    const keys = path.split(".");
    let node = object;
    keys.slice(0, -1).forEach((key) => {
      if (!node[key] || typeof node[key] !== "object") {
        node[key] = {};
      }
      node = node[key];
    });
    node[keys[keys.length - 1]] = value;
  }

  function show(node, visible) {
    if (node && node.hidden === visible) {
      node.hidden = !visible;
    }
  }

  function setText(node, text) {
    if (node && node.textContent !== text) {
      node.textContent = text;
    }
  }

  const pad = (n) => String(n).padStart(2, "0");

  function parseTime(value) {
    if (typeof value !== "string" || value === "") {
      return null;
    }
    let iso = value.trim().replace(" ", "T");
    iso = iso.replace(/(\.\d{3})\d+/, "$1");
    if (/T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) {
      iso += "Z";
    }
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : ms;
  }

  /** Local "hh:mm:ss" (or "hh:mm") of a time in milliseconds. */
  function clock(ms, seconds = true) {
    const d = new Date(ms);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
  }

  function localDate(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  function dateOf(value) {
    if (typeof value !== "string") {
      return t("no_value");
    }
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      return value;
    }
    const ms = parseTime(value);
    return ms === null ? value : localDate(ms);
  }

  function storageGet(key) {
    try {
      const raw = window.sessionStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (_error) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      if (value === null) {
        window.sessionStorage.removeItem(key);
      } else {
        window.sessionStorage.setItem(key, JSON.stringify(value));
      }
    } catch (_error) {
      // Storage full or disabled: the server copy and the open page still hold the note.
    }
  }

  // ---- the empty note --------------------------------------------------------------------

  function emptyFields() {
    return {
      call_type: null,
      profile: { age_band: null, gender: null, region: "", population_groups: [] },
      categories: [],
      screener: {
        q1_wish_dead: null,
        q2_suicidal_thoughts: null,
        q3_method: null,
        q4_intent: null,
        q5_plan: null,
        q6_behaviour: null,
        q6_within_3_months: null,
        imminent: null,
        intensity: null,
        hopelessness: null,
        protective_factors: [],
      },
      crisis_level: null,
      override_reason: "",
      interventions: [],
      referrals: [],
      follow_up: { wanted: false, consent: false, callback_number: "", within: null, plan: "" },
      difficult: false,
      summary: "",
    };
  }

  /** The server's value of a group, with every key the form expects. */
  function normalGroup(group, value) {
    const empty = emptyFields()[group];
    if (value === undefined) {
      return empty;
    }
    if (empty && typeof empty === "object" && !Array.isArray(empty)) {
      return { ...empty, ...(value && typeof value === "object" ? clone(value) : {}) };
    }
    if (Array.isArray(empty)) {
      return Array.isArray(value) ? clone(value) : [];
    }
    return value === null && typeof empty === "string" ? "" : value;
  }

  /** What the server is sent for a group (rows without a service stay on the page only). */
  function wire(group, value) {
    if (group === "referrals") {
      return (value || [])
        .filter((row) => row && row.resource_id !== null && row.resource_id !== undefined)
        .map((row) => ({
          resource_id: row.resource_id,
          date: row.date || null,
          comment: row.comment || "",
        }));
    }
    if (group === "follow_up") {
      const follow = { ...value };
      if (!(follow.wanted && follow.consent)) {
        follow.callback_number = ""; // a number is kept only with consent
      }
      return follow;
    }
    return clone(value);
  }

  // ---- state -----------------------------------------------------------------------------

  let options = null; // GET /api/notes/options
  let optionsBuilt = false;
  let callId = null; // the call whose note is on screen
  let liveCallId = null; // the call of the latest snapshot, if any
  let liveCallState = ""; // connecting | connected | wrap_up
  let generation = 0; // bumps when the note on screen changes; late answers are ignored
  let note = null; // the latest NOTE from the server
  let model = emptyFields(); // what the form holds
  let dirty = new Map(); // group -> change counter, for groups the server does not have yet
  let blocked = new Set(); // groups the server refused (422) until they are edited again
  let changeCounter = 0;
  let changedAt = 0; // Date.now() of the latest change
  let saving = null; // the promise of the PUT in flight
  let lastAttemptAt = 0;
  let saveFailed = false;
  let savedAt = null;
  let quickConflicts = 0;
  let saveTimer = null;
  let loadTimer = null;
  let submitting = false;
  let errors = {}; // dotted path -> message on screen
  let skewMs = 0; // server clock minus this browser's, from the Date header
  let historyFor = null; // call id whose history was fetched
  let referralSerial = 0;
  const dismissed = new Set();

  // ---- HTTP ------------------------------------------------------------------------------

  async function api(method, url, body, extra = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrfToken();
    }
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : 0;
    try {
      const response = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller ? controller.signal : undefined,
        ...extra,
      });
      const date = Date.parse(response.headers.get("date") || "");
      if (!Number.isNaN(date)) {
        skewMs = date - Date.now();
      }
      let data = null;
      try {
        data = await response.json();
      } catch (_error) {
        data = null;
      }
      return { status: response.status, ok: response.ok, data };
    } catch (_error) {
      return { status: 0, ok: false, data: null }; // network down or timed out
    } finally {
      if (timer) {
        window.clearTimeout(timer);
      }
    }
  }

  const noteUrl = (id) => `/api/calls/${encodeURIComponent(id)}/note`;

  // ---- which notes are open: the pending list --------------------------------------------

  function pendingList() {
    const list = storageGet(PENDING_KEY);
    return Array.isArray(list) ? list.filter((id) => typeof id === "number") : [];
  }

  function addPending(id) {
    const list = pendingList().filter((other) => other !== id);
    list.push(id);
    storageSet(PENDING_KEY, list.slice(-20));
  }

  function removePending(id) {
    storageSet(
      PENDING_KEY,
      pendingList().filter((other) => other !== id),
    );
  }

  // ---- unsaved changes in sessionStorage -------------------------------------------------

  function persist() {
    if (callId === null) {
      return;
    }
    const key = STORE_PREFIX + callId;
    if (dirty.size === 0) {
      storageSet(key, null);
      return;
    }
    const fields = {};
    dirty.forEach((_count, group) => {
      fields[group] = group === "follow_up" ? wire(group, model[group]) : clone(model[group]);
    });
    storageSet(key, {
      call_id: callId,
      base_version: note ? note.version : null,
      changed_at: changedAt || Date.now(),
      fields,
    });
  }

  // ---- options: building the choices ----------------------------------------------------

  function labelOf(list, code) {
    const item = (list || []).find((entry) => entry.code === code || entry.id === code);
    return item ? item.label || String(code) : String(code);
  }

  function levelInfo(code) {
    const levels = (options && options.levels) || [];
    return levels.find((level) => level.code === code) || null;
  }

  function checkbox(path, kind, value, label, testid) {
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

  function fillChecks(container, path, list, kind = "list") {
    container.replaceChildren(
      ...(list || []).map((item) => checkbox(path, kind, item.code, item.label || item.code)),
    );
  }

  function fillSelect(select, list) {
    const keep = select.querySelector('option[value=""]');
    const items = (list || []).map((item) => {
      const option = document.createElement("option");
      option.value = item.code;
      option.textContent = item.label || item.code;
      return option;
    });
    select.replaceChildren(...(keep ? [keep] : []), ...items);
  }

  function buildOptions() {
    if (optionsBuilt || !options) {
      return;
    }
    optionsBuilt = true;
    const types = options.call_types || [];
    el.callTypes.replaceChildren(
      ...types
        .filter((type) => type.counselling)
        .map((type) => {
          const wrap = document.createElement("label");
          wrap.className = "choice choice-card";
          const input = document.createElement("input");
          input.type = "radio";
          input.name = "note-call-type";
          input.value = type.code;
          input.dataset.path = "call_type";
          input.dataset.kind = "radio";
          input.dataset.testid = `call-type-${type.code}`;
          wrap.append(input, document.createTextNode(` ${type.label || type.code}`));
          return wrap;
        }),
    );
    el.quickTypes.replaceChildren(
      ...types
        .filter((type) => !type.counselling)
        .map((type) => {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-secondary btn-quick";
          button.value = type.code;
          button.dataset.testid = `quick-type-${type.code}`;
          button.setAttribute("aria-pressed", "false");
          button.textContent = type.label || type.code;
          return button;
        }),
    );
    fillSelect(el.ageBand, options.age_bands);
    fillSelect(el.gender, options.genders);
    fillChecks(el.populationGroups, "profile.population_groups", options.population_groups);
    fillChecks(el.interventions, "interventions", options.interventions);
    fillChecks(el.protectiveFactors, "screener.protective_factors", options.protective_factors);

    el.categories.replaceChildren(
      ...(options.categories || []).map((top) => {
        const fieldset = document.createElement("fieldset");
        fieldset.className = "category";
        const legend = document.createElement("legend");
        legend.textContent = top.label || top.code;
        const checks = document.createElement("div");
        checks.className = "checks checks-narrow";
        const children = Array.isArray(top.children) && top.children.length ? top.children : [top];
        children.forEach((child) => {
          checks.append(
            checkbox("categories", "list-int", child.id, child.label || child.code, `category-${child.id}`),
          );
        });
        fieldset.append(legend, checks);
        return fieldset;
      }),
    );

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

  function resourceOptions(select) {
    const keep = select.querySelector('option[value=""]');
    const groups = new Map();
    ((options && options.referrals) || []).forEach((resource) => {
      const kind = resource.kind_label || resource.kind || "";
      if (!groups.has(kind)) {
        const group = document.createElement("optgroup");
        group.label = kind;
        groups.set(kind, group);
      }
      const option = document.createElement("option");
      option.value = String(resource.id);
      const extra = [resource.region, resource.phone].filter(Boolean).join(", ");
      option.textContent = extra ? `${resource.name} (${extra})` : resource.name;
      groups.get(kind).append(option);
    });
    select.replaceChildren(...(keep ? [keep] : []), ...groups.values());
  }

  // ---- writing the model into the form ---------------------------------------------------

  function controls(prefix) {
    return Array.from(el.form.querySelectorAll("[data-path]")).filter(
      (node) =>
        prefix === undefined ||
        node.dataset.path === prefix ||
        node.dataset.path.startsWith(`${prefix}.`),
    );
  }

  function writeControl(node) {
    const value = getPath(model, node.dataset.path);
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

  function writeRange(node, value) {
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

  function renderGroup(group) {
    if (group === "referrals") {
      renderReferrals();
    } else if (group !== "crisis_level") {
      controls(group).forEach(writeControl);
    }
  }

  function renderAll() {
    GROUPS.forEach(renderGroup);
    renderDerived();
  }

  /** Any answer or level saying the caller may be at risk (docs/notes-api.md). */
  function riskShown() {
    const screener = model.screener || {};
    const levels = [
      note ? note.suggested_level : null,
      model.crisis_level,
      note && note.escalation ? note.escalation.level : null,
    ];
    return (
      screener.imminent === true ||
      SCREENER_QUESTIONS.some((field) => screener[field] === true) ||
      levels.some((level) => (LEVEL_RANK[level] || 0) > 0)
    );
  }

  /** Everything that follows from the answers: branches, level, alerts, buttons. */
  function renderDerived() {
    const screener = model.screener || {};
    show(el.branchQ2, screener.q2_suicidal_thoughts === true);
    show(el.branchQ6, screener.q6_behaviour === true);

    const follow = model.follow_up || {};
    show(el.followDetails, follow.wanted === true);
    show(el.numberRow, follow.wanted === true && follow.consent === true);

    const suggested = note ? note.suggested_level || null : null;
    const info = suggested ? levelInfo(suggested) : null;
    el.suggested.dataset.level = suggested || "";
    el.suggested.dataset.colour = info && info.colour ? info.colour : "";
    el.suggested.dataset.flashing = info && info.flashing ? "true" : "false";
    el.suggested.dataset.pending = dirty.has("screener") ? "true" : "false";
    setText(el.suggested, info ? info.label || suggested : t("note_level_pending"));

    const confirmed = model.crisis_level || null;
    const shown = confirmed || suggested || "";
    if (el.confirmLevel.value !== shown) {
      el.confirmLevel.value = shown;
    }
    el.confirmState.dataset.confirmed = confirmed ? "true" : "false";
    setText(
      el.confirmState,
      confirmed
        ? fill("note_level_confirmed", { level: labelOf(options && options.levels, confirmed) })
        : t("note_level_unconfirmed"),
    );
    const differs = Boolean(confirmed && suggested && confirmed !== suggested);
    show(el.overrideRow, differs);
    el.override.required = differs;
    el.override.setAttribute("aria-required", differs ? "true" : "false");
    show(el.overrideDown, differs && LEVEL_RANK[confirmed] < LEVEL_RANK[suggested]);

    const escalation = note && note.escalation ? note.escalation : null;
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

    // A caller who gave any risk answer is a counselling call: no one-click type for them.
    const locked = riskShown();
    el.quickTypes.querySelectorAll("button").forEach((button) => {
      button.setAttribute("aria-pressed", model.call_type === button.value ? "true" : "false");
      button.setAttribute("aria-disabled", locked ? "true" : "false");
    });
    show(el.quickLocked, locked);
    show(el.overdue, Boolean(note && note.overdue && note.status !== "submitted"));
  }

  // ---- referrals -------------------------------------------------------------------------

  function renderReferrals() {
    const rows = Array.isArray(model.referrals) ? model.referrals : [];
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

  function referralRow() {
    const li = el.referralRow.content.firstElementChild.cloneNode(true);
    referralSerial += 1;
    ["resource", "date", "comment"].forEach((slot) => {
      const id = `note-ref-${referralSerial}-${slot}`;
      li.querySelector(`[data-slot="${slot}"]`).id = id;
      li.querySelector(`[data-slot="${slot}-label"]`).htmlFor = id;
    });
    resourceOptions(li.querySelector('[data-slot="resource"]'));
    return li;
  }

  function readReferrals() {
    return Array.from(el.referrals.children).map((li) => {
      const resource = li.querySelector('[data-slot="resource"]').value;
      return {
        resource_id: resource === "" ? null : Number(resource),
        date: li.querySelector('[data-slot="date"]').value || null,
        comment: li.querySelector('[data-slot="comment"]').value,
      };
    });
  }

  // ---- reading the form: one change ------------------------------------------------------

  function readControl(node) {
    const path = node.dataset.path;
    switch (node.dataset.kind) {
      case "text":
        return node.value;
      case "choice":
        return node.value === "" ? null : node.value;
      case "radio":
        return node.checked ? node.value : getPath(model, path);
      case "bool3":
        return node.checked ? node.value === "yes" : getPath(model, path);
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
        return getPath(model, path);
    }
  }

  function change(group, paths, urgent) {
    changeCounter += 1;
    changedAt = Date.now();
    dirty.set(group, changeCounter);
    blocked.delete(group);
    paths.forEach(clearError);
    persist();
    renderDerived();
    renderStatus();
    scheduleSave(urgent ? URGENT_MS : DEBOUNCE_MS);
  }

  function onControl(node) {
    if (isReadOnly() || !note) {
      return;
    }
    const path = node.dataset.path;
    const value = readControl(node);
    const before = getPath(model, path);
    if (stable(before) === stable(value)) {
      return;
    }
    setPath(model, path, value);
    const touched = [path];
    // C-SSRS branching: answers the branch skips are null.
    if (path === "screener.q2_suicidal_thoughts" && value !== true) {
      ["q3_method", "q4_intent", "q5_plan"].forEach((field) => {
        model.screener[field] = null;
        touched.push(`screener.${field}`);
      });
      controls("screener").forEach(writeControl);
    }
    if (path === "screener.q6_behaviour" && value !== true) {
      model.screener.q6_within_3_months = null;
      touched.push("screener.q6_within_3_months");
      controls("screener").forEach(writeControl);
    }
    if (path === "follow_up.wanted" || path === "follow_up.consent") {
      touched.push("follow_up.callback_number");
    }
    if (node.dataset.kind === "range") {
      writeRange(node, value);
    }
    change(path.split(".")[0], touched, URGENT_PATHS.includes(path));
  }

  function setCrisisLevel(value) {
    if (isReadOnly() || !note) {
      return;
    }
    model.crisis_level = value || null;
    change("crisis_level", ["crisis_level", "override_reason"], true);
  }

  // ---- saving ----------------------------------------------------------------------------

  function isReadOnly() {
    return Boolean(note && note.status === "submitted");
  }

  function sendable() {
    return Array.from(dirty.keys()).filter((group) => !blocked.has(group));
  }

  function scheduleSave(delay) {
    if (saveTimer !== null) {
      window.clearTimeout(saveTimer);
    }
    saveTimer = window.setTimeout(() => {
      saveTimer = null;
      saveNow();
    }, delay);
  }

  /** Take a NOTE from the server; groups with unsaved changes keep what the counselor typed. */
  function adopt(incoming) {
    if (!incoming || typeof incoming !== "object") {
      return;
    }
    note = incoming;
    GROUPS.forEach((group) => {
      if (dirty.has(group)) {
        return;
      }
      const server = normalGroup(group, incoming[group]);
      if (stable(wire(group, model[group])) !== stable(wire(group, server))) {
        model[group] = server;
        if (optionsBuilt) {
          renderGroup(group);
        }
      }
    });
    if (optionsBuilt) {
      renderDerived();
    }
  }

  function saveNow() {
    if (saving) {
      return saving;
    }
    if (callId === null || !note || isReadOnly()) {
      return Promise.resolve();
    }
    const groups = sendable();
    if (groups.length === 0) {
      renderStatus();
      return Promise.resolve();
    }
    const id = callId;
    const mine = generation;
    const sent = {};
    const fields = {};
    groups.forEach((group) => {
      sent[group] = dirty.get(group);
      fields[group] = wire(group, model[group]);
    });
    lastAttemptAt = Date.now();
    saving = (async () => {
      renderStatus();
      const response = await api("PUT", noteUrl(id), { version: note.version, fields });
      if (mine !== generation) {
        return;
      }
      let again = false;
      if (response.ok && response.data) {
        groups.forEach((group) => {
          if (dirty.get(group) === sent[group]) {
            dirty.delete(group);
          }
        });
        saveFailed = false;
        quickConflicts = 0;
        savedAt = Date.now();
        adopt(response.data);
        persist();
        again = sendable().length > 0;
      } else if (response.status === 409 && response.data && response.data.note) {
        // Someone else saved first: take theirs, keep ours on top, save again.
        adopt(response.data.note);
        persist();
        quickConflicts += 1;
        again = quickConflicts <= MAX_QUICK_CONFLICTS;
        saveFailed = !again;
      } else if (response.status === 422 && response.data) {
        const fieldErrors = response.data.errors || {};
        const refused = new Set(Object.keys(fieldErrors).map((path) => path.split(".")[0]));
        groups.forEach((group) => {
          if (refused.has(group)) {
            blocked.add(group);
          }
        });
        if (refused.size === 0) {
          groups.forEach((group) => blocked.add(group));
        }
        showErrors(fieldErrors, response.data.detail, false);
        saveFailed = false;
        again = sendable().length > 0; // the rest can still be saved
      } else {
        saveFailed = true;
      }
      if (isReadOnly()) {
        finishSubmitted(false);
      }
      if (again) {
        scheduleSave(0);
      }
    })()
      .catch(() => {
        saveFailed = true;
      })
      .finally(() => {
        if (mine === generation) {
          saving = null;
          renderStatus();
          if (sendable().length > 0 && saveTimer === null && !saveFailed) {
            scheduleSave(DEBOUNCE_MS);
          }
        }
      });
    return saving;
  }

  /** Save until nothing is left to send; false when something could not be saved. */
  async function flush() {
    const mine = generation;
    for (let round = 0; round < 6; round += 1) {
      if (saving) {
        await saving;
      }
      if (mine !== generation) {
        return false;
      }
      if (sendable().length === 0) {
        return !saveFailed;
      }
      if (saveTimer !== null) {
        window.clearTimeout(saveTimer);
        saveTimer = null;
      }
      await saveNow();
      if (saveFailed) {
        return false;
      }
    }
    return sendable().length === 0;
  }

  function renderStatus() {
    let state = "";
    let text = "";
    if (callId !== null && note === null) {
      state = "loading";
      text = t("note_loading");
    } else if (isReadOnly()) {
      state = "submitted";
      const at = parseTime(note.submitted_at);
      text = fill("note_submitted", { time: clock(at === null ? Date.now() : at) });
    } else if (submitting) {
      state = "saving";
      text = t("note_submitting");
    } else if (saveFailed) {
      state = "error";
      text = t("note_save_failed");
    } else if (saving || sendable().length > 0) {
      state = "saving";
      text = t("note_saving");
    } else if (blocked.size > 0) {
      state = "invalid";
      text = t("note_save_invalid");
    } else if (note) {
      state = "saved";
      const updated = parseTime(note.updated_at);
      const at = savedAt !== null ? savedAt : updated === null ? null : updated - skewMs;
      text = at === null ? "" : fill("note_saved", { time: clock(at) });
    }
    el.status.dataset.state = state;
    setText(el.status, text);
  }

  // ---- errors next to the fields ---------------------------------------------------------

  function errorSlot(path) {
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

  function fieldInputs(container) {
    return Array.from(container.querySelectorAll("input, select, textarea, button")).filter(
      (input) => input.type !== "hidden",
    );
  }

  /** The controls of a field, not those of the fields nested in it. */
  function ownInputs(container) {
    return fieldInputs(container).filter(
      (input) => input.tagName !== "BUTTON" && input.closest("[data-field]") === container,
    );
  }

  function markInvalid(slot, message) {
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

  function unmark(slot) {
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
  function showErrors(fieldErrors, detail, replace) {
    if (replace) {
      clearAllErrors();
    }
    const others = [];
    Object.entries(fieldErrors || {}).forEach(([path, message]) => {
      const text = typeof message === "string" && message ? message : t("note_field_invalid");
      errors[path] = text;
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

  function clearError(path) {
    Object.keys(errors).forEach((key) => {
      if (key === path || key.startsWith(`${path}.`) || path.startsWith(`${key}.`)) {
        delete errors[key];
        const slot = errorSlot(key);
        if (slot) {
          unmark(slot);
        }
      }
    });
    if (Object.keys(errors).length === 0) {
      show(el.formError, false);
    }
  }

  function clearAllErrors() {
    errors = {};
    section.querySelectorAll("[data-error-for]").forEach((slot) => {
      if (!slot.hidden) {
        unmark(slot);
      }
    });
    el.otherErrors.replaceChildren();
    show(el.formError, false);
  }

  function focusFirstError() {
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

  // ---- submitting ------------------------------------------------------------------------

  async function submit() {
    if (submitting || !note || isReadOnly()) {
      return;
    }
    const mine = generation;
    // A level that differs from the suggestion needs a reason: say so before asking the server.
    const counselling = !nonCounselling(model.call_type);
    if (counselling && el.override.required && !String(model.override_reason || "").trim()) {
      showErrors({ override_reason: t("note_override_required") }, "", true);
      focusFirstError();
      return;
    }
    submitting = true;
    el.submit.setAttribute("aria-disabled", "true");
    renderStatus();
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const saved = await flush();
        if (mine !== generation) {
          return;
        }
        if (!saved || blocked.size > 0) {
          if (blocked.size > 0) {
            showErrors(errors, "", true);
            focusFirstError();
          } else {
            showFormMessage(t("note_submit_failed"));
          }
          return;
        }
        const response = await api("POST", `${noteUrl(callId)}/submit`, { version: note.version });
        if (mine !== generation) {
          return;
        }
        if (response.ok && response.data) {
          adopt(response.data);
          finishSubmitted(true);
          return;
        }
        if (response.status === 409 && response.data && response.data.note) {
          adopt(response.data.note);
          if (isReadOnly()) {
            finishSubmitted(true);
            return;
          }
          continue; // save what we have on top of theirs, then submit again
        }
        if (response.status === 422 && response.data) {
          showErrors(response.data.errors || {}, response.data.detail, true);
          focusFirstError();
          return;
        }
        showFormMessage(t("note_submit_failed"));
        return;
      }
      showFormMessage(t("note_submit_failed"));
    } finally {
      if (mine === generation) {
        submitting = false;
        el.submit.setAttribute("aria-disabled", "false");
        renderStatus();
      }
    }
  }

  function nonCounselling(code) {
    const type = ((options && options.call_types) || []).find((entry) => entry.code === code);
    return Boolean(type && !type.counselling);
  }

  function showFormMessage(text) {
    el.otherErrors.replaceChildren();
    setText(el.formErrorText, text);
    show(el.formError, true);
  }

  /** The note is submitted: it can no longer change, so show it as text with its addenda. */
  function finishSubmitted(byUser) {
    dirty = new Map();
    blocked = new Set();
    if (saveTimer !== null) {
      window.clearTimeout(saveTimer);
      saveTimer = null;
    }
    storageSet(STORE_PREFIX + callId, null);
    removePending(callId);
    clearAllErrors();
    renderReadonly();
    renderDerived();
    renderMode();
    renderStatus();
    if (byUser) {
      el.readonlyTitle.focus({ preventScroll: true });
      el.readonlyTitle.scrollIntoView({ block: "start", behavior: "auto" });
    }
  }

  // ---- the read-only view ----------------------------------------------------------------

  function yesNo(value) {
    if (value === true) {
      return t("note_yes");
    }
    return value === false ? t("note_no") : t("note_not_asked");
  }

  function listText(list, codes) {
    const values = Array.isArray(codes) ? codes : [];
    return values.length ? values.map((code) => labelOf(list, code)).join(", ") : t("note_none");
  }

  function categoryLabels(ids) {
    const labels = [];
    ((options && options.categories) || []).forEach((top) => {
      const children = Array.isArray(top.children) && top.children.length ? top.children : [top];
      children.forEach((child) => {
        if ((ids || []).map(Number).includes(Number(child.id))) {
          labels.push(child === top ? top.label : `${top.label}: ${child.label}`);
        }
      });
    });
    return labels.length ? labels.join("; ") : t("note_none");
  }

  function roChip(level) {
    const info = level ? levelInfo(level) : null;
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

  function renderReadonly() {
    if (!note) {
      return;
    }
    const n = {};
    GROUPS.forEach((group) => {
      n[group] = normalGroup(group, note[group]);
    });
    const set = (key, content) => {
      const dd = el.readonly.querySelector(`[data-ro="${key}"]`);
      if (dd) {
        dd.replaceChildren(typeof content === "string" ? document.createTextNode(content) : content);
      }
    };
    const text = (value) => (value ? String(value) : t("no_value"));
    const types = (options && options.call_types) || [];
    set("call_type", n.call_type ? labelOf(types, n.call_type) : t("no_value"));
    set("profile.age_band", n.profile.age_band ? labelOf(options.age_bands, n.profile.age_band) : t("no_value"));
    set("profile.gender", n.profile.gender ? labelOf(options.genders, n.profile.gender) : t("no_value"));
    set("profile.region", text(n.profile.region));
    set("profile.population_groups", listText(options.population_groups, n.profile.population_groups));
    set("categories", categoryLabels(n.categories));

    const answers = document.createElement("ul");
    answers.className = "ro-answers";
    SCREENER_QUESTIONS.forEach((field) => {
      const value = n.screener[field];
      if (value === null && ["q3_method", "q4_intent", "q5_plan", "q6_within_3_months"].includes(field)) {
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
    set("screener.protective_factors", listText(options.protective_factors, n.screener.protective_factors));
    set("suggested_level", roChip(note.suggested_level));
    set("crisis_level", roChip(n.crisis_level));
    set("override_reason", text(n.override_reason));
    show(el.readonly.querySelector('[data-ro-row="override_reason"]'), Boolean(n.override_reason));
    set("interventions", listText(options.interventions, n.interventions));

    const resources = (options && options.referrals) || [];
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

    const at = parseTime(note.submitted_at);
    setText(el.submittedAt, at === null ? "" : fill("note_submitted", { time: clock(at) }));
    renderAddenda();
  }

  function renderAddenda() {
    const addenda = note && Array.isArray(note.addenda) ? note.addenda : [];
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

  async function addAddendum() {
    if (!isReadOnly() || el.addAddendum.getAttribute("aria-disabled") === "true") {
      return;
    }
    const text = el.addendumText.value.trim();
    if (!text) {
      setText(el.addendumStatus, t("note_addendum_empty"));
      el.addendumText.focus();
      return;
    }
    const mine = generation;
    el.addAddendum.setAttribute("aria-disabled", "true");
    setText(el.addendumStatus, t("note_saving"));
    const response = await api("POST", `${noteUrl(callId)}/addenda`, { text });
    if (mine !== generation) {
      return;
    }
    el.addAddendum.setAttribute("aria-disabled", "false");
    if (response.ok && response.data) {
      note = response.data;
      renderAddenda();
      if (el.addendumText.value.trim() === text) {
        el.addendumText.value = "";
      }
      storageSet(`${STORE_PREFIX}addendum.${callId}`, null);
      setText(el.addendumStatus, t("note_addendum_added"));
    } else {
      const message =
        response.data && response.data.errors && typeof response.data.errors.text === "string"
          ? response.data.errors.text
          : t("note_addendum_failed");
      setText(el.addendumStatus, message);
    }
  }

  // ---- caller history --------------------------------------------------------------------

  async function loadHistory(id) {
    if (historyFor === id) {
      return;
    }
    historyFor = id;
    const response = await api("GET", `/api/calls/${encodeURIComponent(id)}/history`);
    if (id !== callId) {
      return;
    }
    if (response.status === 403) {
      show(el.history, false); // a past call (its note window over) shows only itself
      return;
    }
    if (!response.ok || !response.data) {
      historyFor = null; // try again with the next snapshot
      return;
    }
    const rows = Array.isArray(response.data.data) ? response.data.data : [];
    el.historyList.replaceChildren(
      ...rows.map((row) => {
        const li = el.historyItem.content.firstElementChild.cloneNode(true);
        li.querySelector('[data-slot="date"]').textContent = dateOf(row.date);
        li.querySelector('[data-slot="line"]').textContent = row.line_name || "";
        const chip = li.querySelector('[data-slot="level"]');
        const info = row.crisis_level ? levelInfo(row.crisis_level) : null;
        chip.dataset.level = row.crisis_level || "";
        chip.dataset.colour = info && info.colour ? info.colour : "";
        chip.textContent = info ? info.label || row.crisis_level : t("note_history_no_level");
        li.querySelector('[data-slot="type"]').textContent = row.call_type
          ? labelOf(options && options.call_types, row.call_type)
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

  // ---- opening a note --------------------------------------------------------------------

  function renderMode() {
    const visible = callId !== null && !dismissed.has(callId);
    show(section, visible);
    const ready = note !== null && optionsBuilt;
    const readOnly = ready && isReadOnly();
    show(el.form, ready && !readOnly);
    show(el.readonly, readOnly);
    section.dataset.mode = !ready ? "loading" : readOnly ? "readonly" : "edit";
    show(el.close, readOnly && callId !== liveCallId);
    renderUnfinished();
    // The emergency guidance stays on screen after submission.
    if (readOnly && el.guidance.parentNode !== el.readonlyGuidanceSlot) {
      el.readonlyGuidanceSlot.append(el.guidance);
    } else if (!readOnly && el.guidance.parentNode !== el.guidanceHome) {
      el.guidanceHome.insertBefore(el.guidance, el.guidanceNext);
    }
  }

  function resetFor(id) {
    generation += 1;
    callId = id;
    note = null;
    model = emptyFields();
    dirty = new Map();
    blocked = new Set();
    saving = null;
    saveFailed = false;
    savedAt = null;
    quickConflicts = 0;
    submitting = false;
    historyFor = null;
    lastAttemptAt = 0;
    if (saveTimer !== null) {
      window.clearTimeout(saveTimer);
      saveTimer = null;
    }
    if (loadTimer !== null) {
      window.clearTimeout(loadTimer);
      loadTimer = null;
    }
    clearAllErrors();
    el.historyList.replaceChildren();
    show(el.history, false);
    el.referrals.replaceChildren();
    setText(el.addendumStatus, "");
    el.submit.setAttribute("aria-disabled", "false");
  }

  function open(id) {
    if (callId === id) {
      return;
    }
    if (callId !== null && sendable().length > 0 && note && !isReadOnly()) {
      saveNow(); // the old note's unsaved changes are in sessionStorage too
    }
    resetFor(id);
    section.dataset.callId = String(id);
    const draft = storageGet(`${STORE_PREFIX}addendum.${id}`);
    el.addendumText.value = typeof draft === "string" ? draft : "";
    renderMode();
    renderStatus();
    load(id, generation);
  }

  /** Put the note away (submitted, or not ours); quietly leaves focus where it is. */
  function close(quietly) {
    const id = callId;
    const hadFocus = section.contains(document.activeElement);
    dismissed.add(id);
    removePending(id);
    resetFor(null);
    renderMode();
    const next = pendingList().reverse().find((other) => !dismissed.has(other));
    if (next !== undefined) {
      open(next);
    }
    const heading = liveCallId !== null ? $("call-title") : $("presence-title");
    if (heading && (!quietly || hadFocus)) {
      heading.focus();
    }
  }

  async function loadOptions() {
    if (options) {
      return true;
    }
    const cacheKey = `${STORE_PREFIX}options.${config.locale || document.documentElement.lang}`;
    const response = await api("GET", "/api/notes/options");
    if (response.ok && response.data) {
      options = response.data;
      storageSet(cacheKey, options);
      return true;
    }
    const cached = storageGet(cacheKey); // offline after a reload: the last options still work
    if (cached) {
      options = cached;
      return true;
    }
    return false;
  }

  const byCall = (id) => liveCallId !== null && id === liveCallId;
  const talking = (id) =>
    byCall(id) && (liveCallState === "connecting" || liveCallState === "connected");

  async function load(id, mine) {
    setText(el.message, "");
    show(el.message, false);
    const [haveOptions, response] = await Promise.all([loadOptions(), api("GET", noteUrl(id))]);
    if (mine !== generation) {
      return;
    }
    if (!haveOptions || !response.ok || !response.data) {
      if ((response.status === 403 || response.status === 404) && !byCall(id)) {
        close(true); // not this counselor's note (any more)
        return;
      }
      setText(el.message, t("note_load_failed"));
      show(el.message, true);
      loadTimer = window.setTimeout(() => {
        loadTimer = null;
        if (mine === generation) {
          load(id, mine);
        }
      }, LOAD_RETRY_MS);
      return;
    }
    buildOptions();
    const incoming = response.data;
    note = incoming;
    GROUPS.forEach((group) => {
      model[group] = normalGroup(group, incoming[group]);
    });
    if (isReadOnly()) {
      finishSubmitted(false);
        if (!byCall(id)) {
        close(true); // submitted earlier and no longer on a call: nothing to do here
        return;
      }
      if (talking(id)) {
        loadHistory(id);
      }
      return;
    }
    restoreUnsaved(id);
    renderAll();
    renderMode();
    renderStatus();
    if (talking(id)) {
      loadHistory(id);
    }
    if (sendable().length > 0) {
      scheduleSave(0);
    }
  }

  /** Unsaved changes from before a reload: put them back and save them, unless the server's copy is newer. */
  function restoreUnsaved(id) {
    const stored = storageGet(STORE_PREFIX + id);
    if (!stored || !stored.fields || typeof stored.fields !== "object") {
      return;
    }
    const updated = parseTime(note.updated_at);
    const changedOnServerClock = (Number(stored.changed_at) || 0) + skewMs;
    const serverMoved = typeof stored.base_version === "number" && note.version > stored.base_version;
    const serverNewer =
      serverMoved && updated !== null && updated > changedOnServerClock + STALE_MARGIN_MS;
    if (serverNewer) {
      storageSet(STORE_PREFIX + id, null);
      return;
    }
    changedAt = Number(stored.changed_at) || Date.now();
    Object.entries(stored.fields).forEach(([group, value]) => {
      if (!GROUPS.includes(group)) {
        return;
      }
      const local = normalGroup(group, value);
      if (stable(wire(group, local)) === stable(wire(group, model[group]))) {
        return; // the server already has it
      }
      model[group] = local;
      changeCounter += 1;
      dirty.set(group, changeCounter);
    });
    persist();
  }

  // ---- the counselor's unfinished notes, from any call -------------------------------------

  let unfinished = []; // the snapshot's unfinished_notes
  let unfinishedKey = "";

  function unfinishedRow(row) {
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
    const info = row.level ? levelInfo(row.level) : null;
    chip.dataset.level = row.level || "";
    chip.dataset.colour = info && info.colour ? info.colour : "";
    chip.textContent = row.level
      ? (info && info.label) || t(`level_${row.level}`)
      : t("note_history_no_level");
    show(li.querySelector('[data-slot="overdue"]'), row.overdue === true);
    show(li.querySelector('[data-slot="missed"]'), row.connected === false);
    const current = row.call_id === callId && !dismissed.has(row.call_id);
    show(li.querySelector('[data-slot="current"]'), current);
    li.setAttribute("aria-current", current ? "true" : "false");
    li.querySelector('[data-slot="open"]').value = String(row.call_id);
    return li;
  }

  /** Rebuilt only when something shown changed, so a focused Open button keeps focus. */
  function renderUnfinished() {
    if (!el.unfinished) {
      return;
    }
    const key = stable([unfinished, callId, dismissed.has(callId), Boolean(options)]);
    if (key === unfinishedKey) {
      return;
    }
    unfinishedKey = key;
    show(el.unfinished, unfinished.length > 0);
    el.unfinishedList.replaceChildren(...unfinished.map(unfinishedRow));
    if (unfinished.length > 0 && !options) {
      loadOptions().then(renderUnfinished); // the levels' colours and labels
    }
  }

  function openFromList(id) {
    dismissed.delete(id);
    addPending(id);
    open(id);
    renderMode();
    el.title.focus({ preventScroll: true });
    section.scrollIntoView({ block: "start", behavior: "auto" });
  }

  // ---- the snapshot from console.js ------------------------------------------------------

  function onSnapshot(snap) {
    const call = snap && typeof snap === "object" ? snap.call : null;
    unfinished = snap && Array.isArray(snap.unfinished_notes) ? snap.unfinished_notes : [];
    if (call && typeof call.call_id === "number") {
      // A new call brings its note on screen; after that the counselor may open another one.
      const fresh = call.call_id !== liveCallId || callId === null;
      liveCallId = call.call_id;
      liveCallState = typeof call.state === "string" ? call.state : "";
      if (fresh) {
        dismissed.delete(call.call_id);
        addPending(call.call_id);
        open(call.call_id);
      }
      const talkingNow = call.state === "connecting" || call.state === "connected";
      if (talkingNow && options && callId === call.call_id) {
        loadHistory(call.call_id);
      }
    } else {
      liveCallId = null;
      liveCallState = "";
      if (callId === null) {
        const next = pendingList().reverse().find((other) => !dismissed.has(other));
        if (next !== undefined) {
          open(next);
        }
      }
    }
    renderMode();
  }

  // ---- events ----------------------------------------------------------------------------

  document.addEventListener("hotline:snapshot", (event) => onSnapshot(event.detail));

  el.form.addEventListener("submit", (event) => event.preventDefault());

  const onFormEvent = (event) => {
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
      if (isReadOnly() || !note) {
        return;
      }
      model.referrals = readReferrals();
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
  el.form.addEventListener("input", onFormEvent);
  el.form.addEventListener("change", onFormEvent);

  // A rating keeps its value when chosen without moving (a click on the thumb, an arrow at an end).
  el.form.querySelectorAll('input[type="range"]').forEach((range) => {
    const commit = () => {
      if (range.dataset.unset === "true" || getPath(model, range.dataset.path) !== Number(range.value)) {
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

  el.confirmButton.addEventListener("click", () => {
    if (!el.confirmLevel.value) {
      el.confirmLevel.focus();
      return;
    }
    setCrisisLevel(el.confirmLevel.value);
  });

  el.quickTypes.addEventListener("keydown", (event) => {
    if (event.repeat) {
      event.preventDefault(); // a held key never submits a note
    }
  });
  el.quickTypes.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (!button || isReadOnly() || !note || submitting) {
      return;
    }
    // Never by accident: it submits the note for good, so ask first; never over a risk answer.
    if (button.getAttribute("aria-disabled") === "true" || riskShown()) {
      return;
    }
    if (!window.confirm(fill("note_quick_confirm", { type: button.textContent.trim() }))) {
      return;
    }
    model.call_type = button.value;
    controls("call_type").forEach(writeControl);
    change("call_type", ["call_type"], true);
    submit();
  });

  el.addReferral.addEventListener("click", () => {
    if (isReadOnly() || !note) {
      return;
    }
    model.referrals = [...readReferrals(), { resource_id: null, date: localDate(Date.now()), comment: "" }];
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
    model.referrals = rows;
    clearError("referrals");
    el.referrals.replaceChildren(); // rebuild: the row numbers in the error paths moved
    renderReferrals();
    change("referrals", ["referrals"], false);
    const next = el.referrals.children[index] || el.referrals.children[index - 1];
    (next ? next.querySelector('[data-slot="resource"]') : el.addReferral).focus();
  });

  el.submit.addEventListener("click", () => {
    if (el.submit.getAttribute("aria-disabled") !== "true") {
      submit();
    }
  });

  el.addAddendum.addEventListener("click", addAddendum);
  el.addendumText.addEventListener("input", () => {
    if (callId !== null) {
      storageSet(`${STORE_PREFIX}addendum.${callId}`, el.addendumText.value || null);
    }
  });
  el.close.addEventListener("click", () => close(false));
  if (el.unfinishedList) {
    el.unfinishedList.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest('[data-slot="open"]') : null;
      if (button && Number.isInteger(Number(button.value))) {
        openFromList(Number(button.value));
      }
    });
  }

  // Ctrl+S / Cmd+S saves now instead of opening the browser's "save page".
  section.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
      event.preventDefault();
      if (saveTimer !== null) {
        window.clearTimeout(saveTimer);
        saveTimer = null;
      }
      saveNow();
    }
  });

  // While anything is unsaved, try again at least every few seconds.
  window.setInterval(() => {
    if (callId !== null && note && !saving && sendable().length > 0 && Date.now() - lastAttemptAt >= SAVE_EVERY_MS) {
      saveNow();
    }
  }, 1000);

  window.addEventListener("online", () => {
    if (sendable().length > 0) {
      scheduleSave(0);
    }
  });

  // Leaving or reloading the page: one last try; sessionStorage has the rest.
  window.addEventListener("pagehide", () => {
    persist();
    const groups = sendable();
    if (callId === null || !note || isReadOnly() || saving || groups.length === 0) {
      return;
    }
    const fields = {};
    groups.forEach((group) => {
      fields[group] = wire(group, model[group]);
    });
    try {
      fetch(noteUrl(callId), {
        method: "PUT",
        keepalive: true,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ version: note.version, fields }),
      }).catch(() => {});
    } catch (_error) {
      // nothing more to do: the copy in sessionStorage is put back on the next load
    }
  });

  // ---- start: a note left open before a reload comes back at once -------------------------

  const reopen = pendingList().pop();
  if (reopen !== undefined) {
    open(reopen);
  }
  renderMode();
})();
