/*
 * "Call back as the line": the button asks the server to place the call from the line's own
 * number (the number never reaches the page), then follows its state until it is over.
 */

import { csrfToken, readConfig } from "/static/kit/config.js";
import { stringsOf } from "/static/kit/strings.js";

const config = readConfig("dialback-config");
const { t } = stringsOf(config);
const OVER = new Set(["ended", "no_answer", "busy", "failed", "machine", "canceled"]);
const POLL_MS = 1000;

function show(box, state, text) {
  const label = box.querySelector("[data-dialback-state]");
  if (label) {
    label.dataset.state = state;
    label.textContent = text || t(state);
  }
  const link = box.querySelector("[data-dialback-console]");
  if (link) {
    link.hidden = !["connecting", "connected"].includes(state);
  }
}

async function follow(box, button, id) {
  let state = "";
  try {
    const answer = await fetch(`/api/dialbacks/${id}`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (answer.ok) {
      state = (await answer.json()).state;
      show(box, state);
    }
  } catch (_error) {
    // The network blinked: ask again at the next poll.
  }
  if (OVER.has(state)) {
    button.disabled = false;
    return;
  }
  window.setTimeout(() => follow(box, button, id), POLL_MS);
}

async function callBack(box, button) {
  button.disabled = true;
  show(box, "requested");
  let answer;
  try {
    answer = await fetch(button.dataset.dialbackUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": csrfToken(config),
      },
      credentials: "same-origin",
      body: "{}",
    });
  } catch (_error) {
    button.disabled = false;
    show(box, "error");
    return;
  }
  let body = {};
  try {
    body = await answer.json();
  } catch (_error) {
    body = {};
  }
  if (!answer.ok) {
    button.disabled = false;
    show(box, "error", typeof body.detail === "string" ? body.detail : t("error"));
    return;
  }
  show(box, body.state);
  follow(box, button, body.id);
}

for (const box of document.querySelectorAll("[data-dialback]")) {
  const button = box.querySelector("[data-dialback-url]");
  if (button) {
    button.addEventListener("click", () => callBack(box, button));
  }
}
