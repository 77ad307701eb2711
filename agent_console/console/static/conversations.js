/*
 * The text conversations the counselor holds (SMS, web chat, WeChat), beside the note: the
 * list from each snapshot's `conversations`, the chosen one's transcript (fetched from
 * /api/conversations/{id}/messages when its last message changes: a snapshot, or the socket's
 * "conversation_message" frame, says so; the frame to the counselor holding it carries the new
 * messages, and then nothing is fetched), the reply box, "end" (the
 * console's "hangup" of its call id) and "done" (its "finish_wrap_up", once the note is
 * written). Its note is the note panel's: selection.js tells note/open.js which one.
 * A crisis worker who joined a conversation on an escalation sees it here too (`role:
 * "responder"`): they read and write as the crisis worker, and end it only once the counselor
 * has left it to them; its note stays the counselor's.
 */
import { csrfToken, readConfig } from "/static/kit/config.js";
import { $, enable, isEnabled, node, setText, show } from "/static/kit/dom.js";
import { stringsOf } from "/static/kit/strings.js";
import { levelInfo } from "./risk.js";
import { choose, chosenConversation } from "./selection.js";
import { messageItem } from "./transcript.js";

const TYPING_EVERY_MS = 3000; // "typing" is said at most this often
const RETRY_MS = 5000;

const config = readConfig("console-config");
const { t, has, fill } = stringsOf(config);

const el = {
  panel: $("conversations-panel"),
  list: $("conversation-list"),
  box: $("conversation"),
  status: $("conversation-status"),
  typing: $("conversation-typing"),
  transcript: $("transcript"),
  form: $("reply-form"),
  text: $("reply-text"),
  error: $("reply-error"),
  send: $("btn-reply"),
  end: $("btn-end-conversation"),
  callThem: $("btn-call-them"),
  doneRow: $("conversation-done-row"),
  done: $("btn-conversation-done"),
  quickButton: $("btn-quick-replies"),
  quickList: $("quick-reply-list"),
  quickStatus: $("quick-reply-status"),
};

let snapshot = null;
let shownId = null; // the conversation whose transcript is on screen
let loadedMark = null; // "<call id>:<last message id>" of the transcript on screen
let shownUpTo = null; // the newest message id on screen (then only what is newer is read)
let loading = false;
let sending = false;
let typingSaidAt = 0;
let retryTimer = null;
// The newest message each conversation's frames announced: a snapshot read before a frame was
// sent must not take its card back to an older message.
const announced = new Map(); // call id -> { last_message_id, unread }

function applyAnnounced() {
  const cards = snapshot && Array.isArray(snapshot.conversations) ? snapshot.conversations : [];
  cards.forEach((card) => {
    const frame = announced.get(card.call_id);
    if (frame && frame.last_message_id > (card.last_message_id || 0)) {
      card.last_message_id = frame.last_message_id;
      card.unread = frame.unread;
    }
  });
}

// Forget the conversations a snapshot no longer lists (ended and done, or taken over).
function forgetGone() {
  const cards = snapshot && Array.isArray(snapshot.conversations) ? snapshot.conversations : [];
  const held = new Set(cards.map((card) => card.call_id));
  [...announced.keys()].filter((id) => !held.has(id)).forEach((id) => announced.delete(id));
}

const channelName = (channel) =>
  has(`channel_${channel}`) ? t(`channel_${channel}`) : String(channel || "");

async function request(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken(config);
  }
  try {
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_error) {
      data = null;
    }
    return { ok: response.ok, status: response.status, data };
  } catch (_error) {
    return { ok: false, status: 0, data: null };
  }
}

const messagesUrl = (id) => `/api/conversations/${encodeURIComponent(id)}/messages`;

// ---- the list ---------------------------------------------------------------------------

function cardItem(card, selected) {
  const level = typeof card.crisis_level === "string" ? card.crisis_level : "";
  const info = levelInfo(level);
  const button = node(
    "button",
    {
      type: "button",
      className: "conversation-card",
      "data-testid": "conversation-card",
      "data-call-id": card.call_id,
      "data-channel": card.channel,
      "data-state": card.state,
      "data-danger": card.in_danger ? "true" : "false",
      "data-role": card.role || "counselor",
      "aria-pressed": selected ? "true" : "false",
    },
    node("span", { className: "conversation-name" },
      fill("conversation_label", { channel: channelName(card.channel), line: card.line_name || "" })),
    card.role === "responder"
      ? node("span", { className: "flag flag-responder" }, t("conversation_role_responder"))
      : null,
    card.in_danger ? node("span", { className: "flag flag-danger" }, t("conversation_danger")) : null,
    level
      ? node(
        "span",
        {
          className: "level-chip",
          "data-level": level,
          "data-colour": info ? info.colour : "",
          "data-flashing": info && info.flashing ? "true" : "false",
        },
        t(`level_${level}`),
      )
      : null,
    card.unread > 0
      ? node("span", { className: "unread", "data-testid": "conversation-unread" },
        fill("conversation_unread", { count: card.unread }))
      : null,
    card.state === "wrap_up" ? node("span", { className: "ended" }, t("state_wrap_up")) : null,
  );
  button.addEventListener("click", () => choose(card.call_id));
  return node("li", null, button);
}

function renderList(cards, current) {
  el.list.replaceChildren(...cards.map((card) => cardItem(card, current && card.call_id === current.call_id)));
}

// ---- the transcript ---------------------------------------------------------------------

const ownSender = (card) => (card && card.role === "responder" ? "responder" : "counselor");

async function loadTranscript(card) {
  const mark = `${card.call_id}:${card.last_message_id}`;
  if (loading || mark === loadedMark) {
    return;
  }
  loading = true;
  // Only what the screen lacks when it holds this conversation already (the server adds the
  // earlier messages whose delivery may have changed).
  const upTo = shownId === card.call_id ? shownUpTo : null;
  const url = upTo === null ? messagesUrl(card.call_id) : `${messagesUrl(card.call_id)}?after=${upTo}`;
  const response = await request("GET", url);
  loading = false;
  const current = chosenConversation(snapshot);
  if (!current || current.call_id !== card.call_id) {
    render(); // chosen another meanwhile
    return;
  }
  if (!response.ok || !response.data || !Array.isArray(response.data.messages)) {
    setText(el.status, t("transcript_failed"));
    if (retryTimer === null) {
      retryTimer = window.setTimeout(() => {
        retryTimer = null;
        render();
      }, RETRY_MS);
    }
    return;
  }
  if (upTo !== shownUpTo || shownId !== card.call_id) {
    loadedMark = null; // the screen changed meanwhile: read again
    render();
    return;
  }
  loadedMark = mark;
  showMessages(response.data.messages, current, upTo === null);
  setText(el.status, statusText(current));
  // A message may have come while this one was loading.
  if (`${current.call_id}:${current.last_message_id}` !== mark) {
    loadTranscript(current);
  }
}

// A frame for the conversation on screen may carry what the screen lacks (its console socket
// read it): shown at once, with no read of our own, when it starts at or before what is shown.
function showPushed(frame) {
  if (loading || frame.call_id !== shownId || !Array.isArray(frame.messages) || typeof frame.after !== "number") {
    return;
  }
  const whole = frame.after === 0;
  if (!whole && (shownUpTo === null || frame.after > shownUpTo)) {
    return; // it missed some: render() reads them
  }
  showMessages(frame.messages, chosenConversation(snapshot), whole);
  loadedMark = `${frame.call_id}:${frame.last_message_id}`;
}

// Messages of the conversation on screen: the whole transcript, or merged into it.
function showMessages(messages, card, whole) {
  const own = ownSender(card);
  const items = messages.map((message) => messageItem(message, { t, fill, has }, { own }));
  if (whole) {
    el.transcript.replaceChildren(...items);
    shownUpTo = null;
  } else {
    mergeMessages(items);
  }
  messages.forEach((message) => {
    if (typeof message.id === "number" && (shownUpTo === null || message.id > shownUpTo)) {
      shownUpTo = message.id;
    }
  });
  el.transcript.scrollTop = el.transcript.scrollHeight;
}

// An item whose message is on screen replaces it (its delivery moved on); a new one is added.
function mergeMessages(items) {
  items.forEach((item) => {
    const id = item.dataset.messageId;
    const old = [...el.transcript.children].find((li) => li.dataset.messageId === id);
    if (old) {
      old.replaceWith(item);
    } else {
      el.transcript.append(item);
    }
  });
}

// ---- drawing from the snapshot ----------------------------------------------------------

function statusText(card) {
  const live = card.state === "connected";
  if (card.role === "responder") {
    return t(live ? "conversation_responder_live" : "conversation_responder_ended");
  }
  return t(live ? "conversation_live" : "conversation_ended");
}

// The crisis worker ends it only once it is theirs alone; the counselor ends theirs.
const mayEnd = (card) => card.state === "connected" && (card.role !== "responder" || card.counselor_left);

function render() {
  const cards = snapshot && Array.isArray(snapshot.conversations) ? snapshot.conversations : [];
  show(el.panel, cards.length > 0);
  const current = chosenConversation(snapshot);
  renderList(cards, current);
  if (!current) {
    shownId = null;
    loadedMark = null;
    shownUpTo = null;
    el.transcript.replaceChildren();
    return;
  }
  if (current.call_id !== shownId) {
    shownId = current.call_id;
    loadedMark = null;
    shownUpTo = null;
    el.transcript.replaceChildren();
    el.text.value = "";
    show(el.error, false);
    quickFor = null;
    closeQuick();
    setText(el.quickStatus, "");
  }
  const live = current.state === "connected";
  el.box.dataset.callId = String(current.call_id);
  el.box.dataset.state = current.state;
  el.box.dataset.role = current.role || "counselor";
  show(el.form, live);
  show(el.doneRow, current.state === "wrap_up");
  enable(el.send, live && !sending);
  show(el.end, current.role !== "responder" || Boolean(current.counselor_left));
  enable(el.end, mayEnd(current));
  setText(el.status, statusText(current));
  // Moving to voice: SMS: the line has their number; web chat and WeChat: the person is asked.
  const callable = current.channel === "sms" || asksNumber(current);
  show(el.callThem, live && callable && current.role !== "responder");
  loadTranscript(current);
}

// ---- quick replies: the line's canned texts, put into the box (never sent from here) ------

let quickFor = null; // the conversation whose quick replies the list holds

function closeQuick() {
  show(el.quickList, false);
  el.quickButton.setAttribute("aria-expanded", "false");
}

/** The text at the cursor (replacing any selection), so the counselor can change it. */
function insertReply(text) {
  const box = el.text;
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  const caret = start + text.length;
  box.focus();
  box.setSelectionRange(caret, caret);
  closeQuick();
  setText(el.quickStatus, t("quick_inserted"));
}

function quickItem(reply) {
  const button = node(
    "button",
    { type: "button", className: "quick-reply", "data-testid": "quick-reply", "data-id": reply.id, lang: reply.language === "zh_CN" ? "zh-CN" : "en" },
    node("strong", null, String(reply.title || "")),
    node("span", { className: "quick-reply-text" }, String(reply.text || "")),
  );
  button.addEventListener("click", () => insertReply(String(reply.text || "")));
  return node("li", null, button);
}

async function openQuick() {
  const current = chosenConversation(snapshot);
  if (!current || current.state !== "connected") {
    return;
  }
  el.quickButton.setAttribute("aria-expanded", "true");
  show(el.quickList, true);
  if (quickFor === current.call_id) {
    return;
  }
  setText(el.quickStatus, "");
  el.quickList.replaceChildren();
  const response = await request("GET", `/api/conversations/${encodeURIComponent(current.call_id)}/quick-replies`);
  if (!response.ok || !response.data || !Array.isArray(response.data.replies)) {
    setText(el.quickStatus, t("quick_failed"));
    return;
  }
  quickFor = current.call_id;
  el.quickList.replaceChildren(...response.data.replies.map(quickItem));
  if (response.data.replies.length === 0) {
    setText(el.quickStatus, t("quick_none"));
  }
}

// ---- replying, typing, ending -----------------------------------------------------------

async function sendReply() {
  const current = chosenConversation(snapshot);
  const body = el.text.value.trim();
  if (!current || current.state !== "connected" || sending || !body) {
    return;
  }
  sending = true;
  enable(el.send, false);
  const response = await request("POST", messagesUrl(current.call_id), { body });
  sending = false;
  if (response.ok) {
    if (chosenConversation(snapshot) === current || shownId === current.call_id) {
      el.text.value = "";
    }
    show(el.error, false);
    loadedMark = null; // the reply is in the transcript now
  } else {
    const detail = response.data && typeof response.data.detail === "string" ? response.data.detail : "";
    setText(el.error, detail || t("reply_failed"));
    show(el.error, true);
  }
  render();
}

function sayTyping() {
  const current = chosenConversation(snapshot);
  const now = Date.now();
  if (!current || current.state !== "connected" || now - typingSaidAt < TYPING_EVERY_MS) {
    return;
  }
  typingSaidAt = now;
  request("POST", `/api/conversations/${encodeURIComponent(current.call_id)}/typing`, {});
}

// Channels that give the line no number: the person is asked for one (page or message).
const asksNumber = (card) => card.channel === "webchat" || card.channel === "wechat";

/**
 * SMS: the person agreed in the chat, so the line calls them (the number stays in the server).
 * Web chat and WeChat: the person is asked for their number (on the page, or by a message),
 * and the line calls them once they give it.
 */
async function callThem() {
  const current = chosenConversation(snapshot);
  const web = current && asksNumber(current);
  if (!current || current.state !== "connected" || !window.confirm(t(web ? "call_offer_confirm" : "call_them_confirm"))) {
    return;
  }
  enable(el.callThem, false);
  const path = `/api/dialbacks/conversations/${encodeURIComponent(current.call_id)}${web ? "/offer" : ""}`;
  const response = await request("POST", path, {});
  enable(el.callThem, true);
  const detail = response.data && typeof response.data.detail === "string" ? response.data.detail : "";
  if (response.ok) {
    setText(el.quickStatus, t(web ? "call_offer_sent" : "call_them_placed"));
    show(el.error, false);
  } else {
    setText(el.error, detail || t("error_generic"));
    show(el.error, true);
  }
}

function command(detail) {
  document.dispatchEvent(new CustomEvent("hotline:command", { detail }));
}

function wire() {
  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  el.text.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that picks an IME candidate is neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendReply();
    }
  });
  el.text.addEventListener("input", sayTyping);
  el.quickButton.addEventListener("click", () => {
    if (el.quickList.hidden) {
      openQuick();
    } else {
      closeQuick();
    }
  });
  el.quickList.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeQuick();
      el.quickButton.focus();
    }
  });
  el.end.addEventListener("click", () => {
    const current = chosenConversation(snapshot);
    if (!current || !mayEnd(current) || !isEnabled(el.end)) {
      return;
    }
    const confirmText = current.role === "responder"
      ? t("conversation_responder_end_confirm") : t("conversation_end_confirm");
    if (window.confirm(confirmText)) {
      command({ type: "hangup", call_id: current.call_id });
    }
  });
  el.callThem.addEventListener("click", callThem);
  el.done.addEventListener("click", () => {
    const current = chosenConversation(snapshot);
    if (current && current.state === "wrap_up") {
      command({ type: "finish_wrap_up", call_id: current.call_id });
    }
  });
  document.addEventListener("hotline:snapshot", (event) => {
    snapshot = event.detail || null;
    applyAnnounced();
    forgetGone();
    render();
  });
  document.addEventListener("hotline:conversation-message", (event) => {
    const frame = event.detail || {};
    const known = announced.get(frame.call_id);
    if (typeof frame.last_message_id !== "number" || (known && known.last_message_id >= frame.last_message_id)) {
      return;
    }
    announced.set(frame.call_id, { last_message_id: frame.last_message_id, unread: frame.unread });
    applyAnnounced();
    showPushed(frame);
    render();
  });
  document.addEventListener("hotline:conversation", () => render());
  let typingTimer = null;
  document.addEventListener("hotline:typing", (event) => {
    if (!el.typing || !event.detail || event.detail.call_id !== shownId) {
      return;
    }
    show(el.typing, true);
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => show(el.typing, false), 6000);
  });
}

if (el.panel) {
  wire();
}

// A choice for this shift (the server keeps it in the snapshot's agent): voice calls are offered
// while holding conversations only when ticked.
const callsWhileChatting = $("calls-while-chatting");
if (callsWhileChatting) {
  callsWhileChatting.addEventListener("change", () => {
    document.dispatchEvent(
      new CustomEvent("hotline:command", {
        detail: { type: "set_calls_while_chatting", on: callsWhileChatting.checked },
      }),
    );
  });
  document.addEventListener("hotline:snapshot", (event) => {
    const agent = (event.detail || {}).agent || {};
    callsWhileChatting.checked = Boolean(agent.calls_while_chatting);
  });
}
