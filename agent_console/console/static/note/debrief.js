/*
 * After a note is submitted: if the server says the call was high or imminent risk (and no
 * debrief was asked for yet), ask the counselor "Would you like a debrief?". Yes files the
 * request the supervisors see; no just closes the prompt. Nothing here decides the rule.
 */
import { node } from "/static/kit/dom.js";
import { api } from "./http.js";
import { el, t } from "./page.js";

const PROMPT_ID = "debrief-prompt";

export async function offerDebrief(callId) {
  const url = `/api/calls/${callId}/debrief`;
  const offer = await api("GET", url);
  if (!offer.ok || !offer.data || !offer.data.offered || document.getElementById(PROMPT_ID)) {
    return;
  }
  const message = node("p", { "data-testid": "debrief-message" }, t("debrief_offer"));
  const yes = node("button", { type: "button", className: "btn btn-primary btn-small", "data-testid": "debrief-yes" }, t("debrief_yes"));
  const no = node("button", { type: "button", className: "btn btn-secondary btn-small", "data-testid": "debrief-no" }, t("debrief_no"));
  const prompt = node("div", { id: PROMPT_ID, className: "panel-text", role: "status", "data-testid": "debrief-prompt" }, message, yes, " ", no);
  yes.addEventListener("click", async () => {
    yes.setAttribute("aria-disabled", "true");
    const answer = await api("POST", url, {});
    message.textContent = answer.ok ? t("debrief_sent") : t("debrief_failed");
    yes.remove();
    no.remove();
  });
  no.addEventListener("click", () => prompt.remove());
  el.readonlyTitle.after(prompt);
}
