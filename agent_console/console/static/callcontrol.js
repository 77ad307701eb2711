/*
 * Control of the live call: mute, hold and resume, and parties added to the caller's conference
 * (110/120/119, the partner line, a referral resource, a typed number), over the call-control
 * API. Rendered from the snapshot's `call.control` only. No inline code (CSP).
 */
import { csrfToken as pageCsrfToken, readConfig } from "/static/kit/config.js";
import { $, fromTemplate, setText, show } from "/static/kit/dom.js";
import { stringsOf } from "/static/kit/strings.js";

const config = readConfig("console-config");
const { t } = stringsOf(config);
const choices = config.call_control || { resources: [] };

const el = {
  box: $("call-control"),
  mute: $("btn-mute"),
  hold: $("btn-hold"),
  status: $("control-status"),
  partner: $("btn-add-partner"),
  number: $("party-number"),
  addNumber: $("btn-add-number"),
  numberError: $("party-number-error"),
  resource: $("party-resource"),
  addResource: $("btn-add-resource"),
  resourceError: $("party-resource-error"),
  parties: $("parties"),
  row: $("party-row"),
};

let callId = null; // the connected call the controls act on
let control = null; // its `control` part of the latest snapshot
let busy = false;

function fieldError(input, errorEl, text) {
  setText(errorEl, text || "");
  show(errorEl, Boolean(text));
  if (input) {
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

/* One request to the call-control API; the refusal's words next to the field, else below. */
async function send(method, path, body, field) {
  if (callId === null || busy) return false;
  busy = true;
  setText(el.status, "");
  try {
    const response = await fetch(`/api/calls/${callId}/${path}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": pageCsrfToken(config),
      },
      body: body ? JSON.stringify(body) : null,
    });
    if (response.ok) return true;
    const data = await response.json().catch(() => ({}));
    const errors = data.errors || {};
    const text = (field && errors[field.name]) || data.detail || t("error_generic");
    if (field) fieldError(field.input, field.errorEl, text);
    else setText(el.status, text);
  } catch (_error) {
    setText(el.status, t("error_generic"));
  } finally {
    busy = false;
  }
  return false;
}

function statusText(c) {
  if (c.muted && c.on_hold) return t("control_muted_on_hold");
  if (c.muted) return t("control_muted");
  if (c.on_hold) return t("control_on_hold");
  return "";
}

function renderParties(parties) {
  el.parties.replaceChildren(
    ...parties.map((party) => {
      const row = fromTemplate(el.row);
      row.dataset.status = party.status;
      row.dataset.partyId = String(party.party_id);
      row.dataset.name = party.name;
      const name = party.kind === "partner" ? `${t("party_partner")} ${party.name}` : party.name;
      setText(row.querySelector('[data-role="name"]'), name);
      const live = ["dialing", "ringing", "connected"].includes(party.status);
      setText(
        row.querySelector('[data-role="status"]'),
        party.removing && live ? t("party_removing") : t(`party_${party.status}`),
      );
      const remove = row.querySelector('[data-role="remove"]');
      remove.hidden = !live || party.removing;
      remove.addEventListener("click", () => {
        send("DELETE", `parties/${party.party_id}`, null, null);
      });
      return row;
    }),
  );
}

function render(snapshot) {
  const call = snapshot && snapshot.call;
  control = call && call.state === "connected" && call.control ? call.control : null;
  callId = control ? call.call_id : null;
  show(el.box, control !== null);
  if (!control) return;
  el.box.dataset.muted = String(control.muted);
  el.box.dataset.onHold = String(control.on_hold);
  el.mute.setAttribute("aria-pressed", String(control.muted));
  setText(el.mute, control.muted ? t("control_unmute") : t("control_mute"));
  el.hold.setAttribute("aria-pressed", String(control.on_hold));
  setText(el.hold, control.on_hold ? t("control_resume") : t("control_hold"));
  const said = statusText(control);
  if (said || !el.status.textContent) setText(el.status, said);
  el.partner.hidden = !control.partner_line;
  renderParties(control.parties || []);
}

function fillResources() {
  for (const resource of choices.resources || []) {
    const option = document.createElement("option");
    option.value = String(resource.id);
    option.textContent = resource.name;
    el.resource.append(option);
  }
}

function wire() {
  el.mute.addEventListener("click", () => {
    if (control) send("POST", "mute", { muted: !control.muted }, null);
  });
  el.hold.addEventListener("click", () => {
    if (control) send("POST", "hold", { hold: !control.on_hold }, null);
  });
  for (const button of el.box.querySelectorAll("[data-party-emergency]")) {
    button.addEventListener("click", () => {
      send("POST", "parties", { kind: "emergency", number: button.dataset.partyEmergency }, null);
    });
  }
  el.partner.addEventListener("click", () => {
    send("POST", "parties", { kind: "partner" }, null);
  });
  el.addNumber.addEventListener("click", async () => {
    fieldError(el.number, el.numberError, "");
    const field = { name: "number", input: el.number, errorEl: el.numberError };
    if (await send("POST", "parties", { kind: "number", number: el.number.value }, field)) {
      el.number.value = "";
    }
  });
  el.addResource.addEventListener("click", () => {
    fieldError(el.resource, el.resourceError, "");
    const id = Number.parseInt(el.resource.value, 10);
    if (!Number.isInteger(id)) {
      fieldError(el.resource, el.resourceError, t("party_choose_resource"));
      return;
    }
    const field = { name: "resource_id", input: el.resource, errorEl: el.resourceError };
    send("POST", "parties", { kind: "resource", resource_id: id }, field);
  });
  document.addEventListener("hotline:snapshot", (event) => render(event.detail));
}

if (el.box) {
  fillResources();
  wire();
}
