/*
 * Transferring the live call: the counselor consults a colleague with the caller on hold (warm)
 * or hands the call over without a consultation (cold, to a colleague or the partner line);
 * the colleague sees the consultation or the offer and answers it. Rendered from the snapshot's
 * `call` and `transfer` only, over the transfer API. No inline code (CSP).
 */
import { csrfToken as pageCsrfToken, readConfig } from "/static/kit/config.js";
import { $, setText, show } from "/static/kit/dom.js";
import { stringsOf } from "/static/kit/strings.js";

const config = readConfig("console-config");
const { t, fill } = stringsOf(config);

const el = {
  box: $("transfer-box"),
  colleague: $("transfer-colleague"),
  refresh: $("btn-transfer-refresh"),
  message: $("transfer-message"),
  warm: $("btn-transfer-warm"),
  cold: $("btn-transfer-cold"),
  partner: $("btn-transfer-partner"),
  error: $("transfer-error"),
  out: $("transfer-out"),
  outStatus: $("transfer-out-status"),
  complete: $("btn-transfer-complete"),
  back: $("btn-transfer-return"),
  incoming: $("transfer-in"),
  inTitle: $("transfer-in-title"),
  inLine: $("transfer-in-line"),
  inMessage: $("transfer-in-message"),
  inStatus: $("transfer-in-status"),
  accept: $("btn-transfer-accept"),
  decline: $("btn-transfer-decline"),
};

let callId = null; // the counselor's connected call
let transfer = null; // the open transfer of the latest snapshot
let busy = false;
let shownIncoming = null; // the incoming transfer id already announced (focus moved once)

function showError(text) {
  setText(el.error, text || "");
  show(el.error, Boolean(text));
  if (text) el.colleague.setAttribute("aria-invalid", "true");
  else el.colleague.removeAttribute("aria-invalid");
}

async function post(path, body) {
  if (busy) return null;
  busy = true;
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": pageCsrfToken(config) },
      body: JSON.stringify(body || {}),
    });
    if (response.ok) return response;
    const data = await response.json().catch(() => ({}));
    const errors = data.errors || {};
    return { failed: errors.user_id || data.detail || t("error_generic") };
  } catch (_error) {
    return { failed: t("error_generic") };
  } finally {
    busy = false;
  }
}

async function loadColleagues() {
  if (callId === null) return;
  const chosen = el.colleague.value;
  try {
    const response = await fetch(`/api/calls/${callId}/colleagues`);
    if (!response.ok) return;
    const data = await response.json();
    const first = el.colleague.options[0];
    el.colleague.replaceChildren(first);
    for (const person of data.data) {
      const option = document.createElement("option");
      option.value = String(person.user_id);
      option.textContent = `${person.name} (${t(`role_${person.role}`)})`;
      el.colleague.append(option);
    }
    el.colleague.value = chosen;
    showError(data.count === 0 ? t("transfer_nobody") : "");
  } catch (_error) {
    showError(t("error_generic"));
  }
}

async function start(kind, target) {
  if (callId === null) return;
  showError("");
  const body = { kind, target, message: el.message.value };
  if (target === "colleague") {
    const id = Number.parseInt(el.colleague.value, 10);
    if (!Number.isInteger(id)) {
      showError(t("transfer_choose"));
      el.colleague.focus();
      return;
    }
    body.user_id = id;
  }
  const answer = await post(`/api/calls/${callId}/transfers`, body);
  if (answer && answer.failed) showError(answer.failed);
  else if (answer) el.message.value = "";
}

async function act(action) {
  if (!transfer) return;
  const answer = await post(`/api/transfers/${transfer.transfer_id}/${action}`, null);
  if (answer && answer.failed) {
    setText(transfer.direction === "incoming" ? el.inStatus : el.outStatus, answer.failed);
  }
}

function renderOutgoing(call, open) {
  const mine = open && open.direction === "outgoing" && call && open.call_id === call.call_id;
  show(el.out, Boolean(mine));
  el.box.hidden = Boolean(mine);
  el.partner.hidden = !(call && call.control && call.control.partner_line);
  if (!mine) return;
  el.out.dataset.status = open.status;
  const name = { name: open.to_name };
  let said = "";
  if (open.target === "partner") said = t("transfer_out_partner");
  else if (open.status === "consulting") said = fill("transfer_out_consulting", name);
  else if (open.status === "offered") said = fill("transfer_out_offered", name);
  else said = fill("transfer_out_dialing", name);
  setText(el.outStatus, said);
  el.complete.hidden = !(open.kind === "warm" && open.status === "consulting");
  el.back.hidden = open.target === "partner";
  setText(
    el.back,
    open.status === "consulting" ? t("control_resume") : t("transfer_cancel"),
  );
}

function renderIncoming(open) {
  const theirs = open && open.direction === "incoming";
  show(el.incoming, Boolean(theirs));
  if (!theirs) {
    shownIncoming = null;
    return;
  }
  el.incoming.dataset.status = open.status;
  const name = { name: open.from_name };
  setText(
    el.inTitle,
    fill(open.kind === "warm" ? "transfer_in_consult" : "transfer_in_offer", name),
  );
  setText(el.inLine, open.line_name);
  setText(el.inMessage, open.message || t("transfer_nothing_shared"));
  let said = "";
  if (open.status === "dialing") said = t("transfer_in_dialing");
  else if (open.status === "consulting") said = t("transfer_in_consulting");
  setText(el.inStatus, said);
  el.accept.hidden = !(open.kind === "cold" && open.status === "offered");
  el.decline.hidden = open.kind === "cold" && open.status !== "offered";
  setText(el.decline, open.kind === "warm" ? t("transfer_in_leave") : t("transfer_in_decline"));
  if (shownIncoming !== open.transfer_id) {
    shownIncoming = open.transfer_id;
    el.inTitle.focus();
  }
}

function render(snapshot) {
  const call = snapshot && snapshot.call;
  const connected = call && call.state === "connected" ? call : null;
  const before = callId;
  callId = connected ? connected.call_id : null;
  transfer = (snapshot && snapshot.transfer) || null;
  renderOutgoing(connected, transfer);
  renderIncoming(transfer);
  if (callId !== null && callId !== before) loadColleagues();
}

function wire() {
  el.box.addEventListener("toggle", () => {
    if (el.box.open) loadColleagues();
  });
  el.refresh.addEventListener("click", loadColleagues);
  el.warm.addEventListener("click", () => start("warm", "colleague"));
  el.cold.addEventListener("click", () => start("cold", "colleague"));
  el.partner.addEventListener("click", () => start("cold", "partner"));
  el.complete.addEventListener("click", () => act("complete"));
  el.back.addEventListener("click", () => act("return"));
  el.accept.addEventListener("click", () => act("accept"));
  el.decline.addEventListener("click", () => act("decline"));
  document.addEventListener("hotline:snapshot", (event) => render(event.detail));
}

if (el.box && el.incoming) wire();
