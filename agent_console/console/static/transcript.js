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
 * read-along page: whoever held it then); a supervisor's private note always says who.
 */
export function messageItem(message, { t, fill }, { authors = false } = {}) {
  const sender = String(message.sender || "");
  const who = t(`sender_${sender}`);
  const named = message.author && (sender === "supervisor" || (authors && sender === "counselor"));
  return node(
    "li",
    {
      className: `message message-${sender}`,
      "data-testid": "message",
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
    sender === "counselor"
      ? node("span", { className: "delivery", "data-testid": "delivery", "data-delivery": message.delivery },
        t(`delivery_${message.delivery}`))
      : null,
  );
}
