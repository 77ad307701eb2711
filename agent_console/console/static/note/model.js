/* The note's data: the empty note, the form's model and the state of the note on screen. */
import { EMPTY_SCREENER } from "../risk.js";

export const GROUPS = [
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

/** The note on screen and everything about it that changes; one object the sections share. */
export const state = {
  options: null, // GET /api/notes/options
  optionsBuilt: false,
  callId: null, // the call whose note is on screen
  liveCallId: null, // the call of the latest snapshot, if any
  liveCallState: "", // connecting | connected | wrap_up
  generation: 0, // bumps when the note on screen changes; late answers are ignored
  note: null, // the latest NOTE from the server
  model: null, // what the form holds (set below, once emptyFields is defined)
  dirty: new Map(), // group -> change counter, for groups the server does not have yet
  blocked: new Set(), // groups the server refused (422) until they are edited again
  changeCounter: 0,
  changedAt: 0, // Date.now() of the latest change
  saving: null, // the promise of the PUT in flight
  lastAttemptAt: 0,
  saveFailed: false,
  savedAt: null,
  quickConflicts: 0,
  saveTimer: null,
  loadTimer: null,
  submitting: false,
  errors: {}, // dotted path -> message on screen
  skewMs: 0, // server clock minus this browser's, from the Date header
  historyFor: null, // call id whose history was fetched
  referralSerial: 0,
  dismissed: new Set(),
  unfinished: [], // the snapshot's unfinished_notes
  unfinishedKey: "",
};

export const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/** JSON with sorted keys: two values are equal when their stable forms are. */
export function stable(value) {
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

export function getPath(object, path) {
  return path.split(".").reduce((node, key) => (node == null ? undefined : node[key]), object);
}

export function setPath(object, path, value) {
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

export function emptyFields() {
  return {
    call_type: null,
    profile: { age_band: null, gender: null, region: "", population_groups: [] },
    categories: [],
    screener: clone(EMPTY_SCREENER), // the empty screener, as Python defines it
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
export function normalGroup(group, value) {
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
export function wire(group, value) {
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

export function isReadOnly() {
  return Boolean(state.note && state.note.status === "submitted");
}

state.model = emptyFields();
