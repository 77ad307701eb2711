/*
 * A supervisor reads along a live text conversation (read-only): the socket
 * (/ws/conversations/{id}) says who holds it and its last message; the transcript is fetched
 * from the JSON API when that changes (each read is audited there). A private note goes to the
 * counselor only; "Take over" (after confirming) makes the supervisor its counselor, who then
 * answers it from their console.
 */
import { csrfToken, readConfig } from "/static/kit/config.js";
import { $, enable, setText, show } from "/static/kit/dom.js";
import { CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, LiveSocket } from "/static/kit/socket.js";
import { stringsOf } from "/static/kit/strings.js";
import { messageItem } from "/static/transcript.js";

const RETRY_MS = 5000;
const config = readConfig("read-along-config");
const { t, fill } = stringsOf(config);
const callId = config.call_id;
const base = `/api/conversations/${encodeURIComponent(callId)}`;

const el = {
  conn: $("read-conn"),
  connText: $("read-conn-text"),
  box: $("read-along"),
  line: $("read-line"),
  holder: $("read-holder"),
  status: $("read-status"),
  transcript: $("read-transcript"),
  form: $("note-form"),
  text: $("note-text"),
  result: $("note-result"),
  send: $("btn-note"),
  takeOver: $("btn-take-over"),
  mine: $("read-mine"),
};

let view = null;
let loadedMark = null;
let loading = false;
let busy = false;

async function post(url, body) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken(config) },
      credentials: "same-origin",
      cache: "no-store",
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => null);
    return { ok: response.ok, data };
  } catch (_error) {
    return { ok: false, data: null };
  }
}

const detail = (response, fallback) =>
  response.data && typeof response.data.detail === "string" ? response.data.detail : t(fallback);

async function loadTranscript() {
  const mark = view ? String(view.last_message_id) : null;
  if (loading || mark === null || mark === loadedMark) {
    return;
  }
  loading = true;
  let data = null;
  try {
    const response = await fetch(`${base}/messages`, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    data = response.ok ? await response.json() : null;
  } catch (_error) {
    data = null;
  }
  loading = false;
  if (!data || !Array.isArray(data.messages)) {
    setText(el.status, t("transcript_failed"));
    window.setTimeout(loadTranscript, RETRY_MS);
    return;
  }
  loadedMark = mark;
  el.transcript.replaceChildren(...data.messages.map((message) => messageItem(message, { t, fill }, { authors: true })));
  el.transcript.scrollTop = el.transcript.scrollHeight;
  render();
  loadTranscript(); // a message may have come while this one was loading
}

function render() {
  if (view === null) {
    return;
  }
  const live = view.state === "live";
  el.box.dataset.state = view.state;
  el.box.dataset.mine = view.mine ? "true" : "false";
  setText(el.line, view.line_name);
  setText(el.holder, fill("held_by", { name: view.counselor_name || t("nobody") }));
  setText(el.status, t(view.mine ? "state_mine" : live ? "state_live" : "state_ended"));
  const supervising = live && !view.mine && view.counselor_id !== null;
  show(el.form, supervising);
  show(el.mine, live && view.mine);
  enable(el.send, supervising && !busy);
  enable(el.takeOver, supervising && !busy);
}

async function sendNote() {
  const body = el.text.value.trim();
  if (!body || busy) {
    return;
  }
  busy = true;
  render();
  const response = await post(`${base}/notes`, { body });
  busy = false;
  if (response.ok) {
    el.text.value = "";
    setText(el.result, t("note_sent"));
  } else {
    setText(el.result, detail(response, "note_failed"));
  }
  render();
}

async function takeOver() {
  if (busy || !window.confirm(t("take_over_confirm"))) {
    return; // one click alone never takes it over
  }
  busy = true;
  render();
  // Whom we saw holding it: if another supervisor was first, we hear so and change nothing.
  const response = await post(`${base}/take-over`, { from_user_id: view.counselor_id });
  busy = false;
  if (response.ok) {
    window.location.assign("/console");
    return;
  }
  setText(el.result, detail(response, "take_over_failed"));
  render();
}

const live = new LiveSocket(config.ws_path, {
  connecting(attempt) {
    el.conn.dataset.status = attempt === 0 ? "connecting" : "reconnecting";
    setText(el.connText, t(`conn_${el.conn.dataset.status}`));
  },
  open() {
    live.resetBackoff();
    el.conn.dataset.status = "connected";
    setText(el.connText, t("conn_connected"));
  },
  message(message) {
    if (message.type === "conversation") {
      view = message;
      render();
      loadTranscript();
    }
  },
  close(event) {
    if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
      window.location.assign("/login");
      return false;
    }
    return true;
  },
  lost() {
    el.conn.dataset.status = "reconnecting";
    setText(el.connText, t("conn_reconnecting"));
  },
});

if (el.box) {
  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendNote();
  });
  el.takeOver.addEventListener("click", takeOver);
  let lastTickAt = Date.now();
  window.setInterval(() => {
    const now = Date.now();
    live.heartbeat(now - lastTickAt);
    lastTickAt = now;
  }, 1000);
  live.connect();
}
