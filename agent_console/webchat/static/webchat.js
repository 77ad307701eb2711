/*
 * The web chat page: a person talks to the line over a websocket that resumes after a network
 * drop. The only thing kept in the browser is the conversation's resume token (sessionStorage,
 * gone when the tab closes); nothing identifies the person. Protocol: agent_console/webchat/ws.py.
 */

import { readConfig } from "/static/kit/config.js";
import { LiveSocket } from "/static/kit/socket.js";

const config = readConfig("webchat-config");
const strings = config.strings || {};
const t = (key) => strings[key] || key;
const TOKEN_KEY = `hotline-chat-${config.ws_path}`;

const log = document.querySelector("[data-testid=chat-log]");
const status = document.querySelector("[data-testid=chat-status]");
const typing = document.querySelector("[data-testid=chat-typing]");
const form = document.querySelector("[data-testid=chat-form]");
const input = document.querySelector("[data-testid=chat-input]");
const leave = document.querySelector("[data-testid=chat-leave]");
const offer = document.querySelector("[data-testid=chat-call-offer]");
const offerNumber = document.querySelector("[data-testid=chat-call-number]");
const offerError = document.querySelector("[data-testid=chat-call-error]");
const noCall = document.querySelector("[data-testid=chat-no-call]");

const shown = new Set(); // server message ids already on the page
const unsent = new Map(); // the page's id -> body, until the server has it
let pageCounter = 0;
let typingTimer = null;
let lastTypingSent = 0;

function pageId() {
  pageCounter += 1;
  return `${Date.now().toString(36)}-${pageCounter}`;
}

function addMessage(message) {
  if (shown.has(message.id)) {
    return;
  }
  shown.add(message.id);
  const item = document.createElement("li");
  item.className = `chat-message from-${message.sender}`;
  item.dataset.testid = `chat-message-${message.sender}`;
  const who = document.createElement("span");
  who.className = "chat-who";
  who.textContent =
    message.sender === "person" ? t("you")
      : message.sender === "counselor" ? t("counselor")
        : message.sender === "responder" ? t("responder") : t("line");
  const body = document.createElement("p");
  body.textContent = message.body; // never innerHTML: this is someone's text
  item.append(who, body);
  log.append(item);
  item.scrollIntoView({ block: "end" });
  if (message.sender === "counselor" || message.sender === "responder") {
    typing.hidden = true;
  }
}

// Their counselor offered a call: ask for the number (sent for that call only), or "no".
function showOffer(open) {
  if (offer.hidden === !open) {
    return;
  }
  offer.hidden = !open;
  offerError.hidden = true;
  if (open) {
    offerNumber.focus();
  } else {
    offerNumber.value = "";
  }
}

function showStatus(state, position) {
  let text = "";
  if (state === "waiting") {
    text = position === 1 ? t("next") : position ? t("position").replace("%(position)s", position) : t("waiting");
  } else if (state === "live") {
    text = t("live");
  } else if (state === "ended") {
    text = t("ended");
  }
  status.textContent = text;
  status.dataset.state = state;
  leave.hidden = !(state === "waiting" || state === "live");
}

const socket = new LiveSocket(config.ws_path, {
  connecting: () => {
    status.textContent = t("connecting");
  },
  open: () => {
    socket.send({ type: "hello", resume: sessionStorage.getItem(TOKEN_KEY) });
  },
  lost: () => {
    status.textContent = t("reconnecting");
  },
  close: (event) => event.code !== 4404 && event.code !== 4403,
  message: (message) => {
    if (message.type === "ready" || message.type === "resume") {
      sessionStorage.setItem(TOKEN_KEY, message.resume);
      socket.resetBackoff();
      if (message.type === "ready") {
        (message.messages || []).forEach(addMessage);
        showStatus(message.state, message.position);
        showOffer(Boolean(message.call_offer));
        for (const [id, body] of unsent) {
          socket.send({ type: "message", id, body }); // sent while offline: stored once
        }
      }
    } else if (message.type === "message") {
      addMessage(message);
    } else if (message.type === "status") {
      unsent.clear();
      showStatus(message.state, message.position);
      showOffer(Boolean(message.call_offer));
    } else if (message.type === "typing") {
      typing.textContent = message.who === "responder" ? t("responder_typing") : t("typing");
      typing.hidden = false;
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(() => {
        typing.hidden = true;
      }, 6000);
    } else if (message.type === "closed") {
      addMessage({ id: `closed-${Date.now()}`, sender: "line", body: message.body });
      unsent.clear();
    } else if (message.type === "error" && message.code === "bad_number" && !offer.hidden) {
      offerError.textContent = t("bad_number");
      offerError.hidden = false;
    } else if (message.type === "error") {
      const known = ["too_fast", "unavailable", "too_many_chats"].includes(message.code);
      status.textContent = t(known ? message.code : "error");
    }
  },
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = input.value.trim();
  if (!body) {
    return;
  }
  const id = pageId();
  unsent.set(id, body);
  socket.send({ type: "message", id, body });
  input.value = "";
  input.focus();
  lastTypingSent = 0; // what they type next is said at once
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

input.addEventListener("input", () => {
  const now = Date.now();
  if (now - lastTypingSent > 3000) {
    lastTypingSent = now;
    socket.send({ type: "typing" });
  }
});

offer.addEventListener("submit", (event) => {
  event.preventDefault();
  const number = offerNumber.value.trim();
  if (number) {
    offerError.hidden = true;
    socket.send({ type: "call_me", number });
  }
});

noCall.addEventListener("click", () => socket.send({ type: "no_call" }));

leave.addEventListener("click", () => {
  if (window.confirm(t("confirm_leave"))) {
    socket.send({ type: "leave" });
  }
});

window.addEventListener("online", () => socket.reconnectNow());
let lastBeat = Date.now();
window.setInterval(() => {
  const now = Date.now();
  socket.heartbeat(now - lastBeat);
  lastBeat = now;
}, 1000);
socket.connect();
