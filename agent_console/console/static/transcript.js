/*
 * One message of a text conversation's transcript, as the counselor's console and the
 * supervisor's read-along page show it. Text nodes only: never HTML from a message. The strings
 * are the page's: sender_<sender>, delivery_<delivery>, danger_why_first.
 */
import { node } from "/static/kit/dom.js";

/** The body with the danger phrase marked. */
export function bodyWithPhrase(body, phrase) {
  const at = phrase ? body.toLowerCase().indexOf(phrase.toLowerCase()) : -1;
  if (at < 0) {
    return [body];
  }
  return [
    body.slice(0, at),
    node("mark", { className: "danger-phrase", "data-testid": "danger-phrase" },
      body.slice(at, at + phrase.length)),
    body.slice(at + phrase.length),
  ];
}

/**
 * The message as a list item. `authors` names who wrote a counselor's message too (the
 * read-along page: whoever held it then); a supervisor's private note always says who. `own` is
 * the sender the reader writes as in the console ("counselor", or "responder" for the crisis
 * worker who joined): their messages say sender_counselor ("You") and show their delivery.
 */
export function messageItem(message, { t, fill, has }, { authors = false, own = null } = {}) {
  const sender = String(message.sender || "");
  let who = t(`sender_${sender}`);
  if (own && sender === own) {
    who = t("sender_counselor");
  } else if (own && sender === "counselor" && has && has("sender_counselor_other")) {
    who = t("sender_counselor_other");
  }
  const mine = own ? sender === own : sender === "counselor";
  const named = message.author && (sender === "supervisor" || (authors && sender === "counselor"));
  return node(
    "li",
    {
      className: `message message-${sender}`,
      "data-testid": "message",
      "data-message-id": message.id,
      "data-sender": sender,
      "data-delivery": message.delivery,
    },
    node("span", { className: "message-who", "data-testid": "message-who" },
      named ? `${who}: ${message.author}` : who),
    node("p", { className: "message-body" }, ...bodyWithPhrase(String(message.body || ""), message.danger_phrase)),
    message.danger_phrase
      ? node("p", { className: "why-first", "data-testid": "why-first" },
        fill("danger_why_first", { phrase: message.danger_phrase }))
      : null,
    mine
      ? node("span", { className: "delivery", "data-testid": "delivery", "data-delivery": message.delivery },
        t(`delivery_${message.delivery}`))
      : null,
  );
}
