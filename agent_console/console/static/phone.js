/*
 * The browser phone: where this shift's calls ring (the counselor's own phone or this browser),
 * and, for the browser, the phone itself: ready, ringing, connected, muted, reconnecting.
 *
 * The choice is presence, kept by the server (the snapshot's `agent.phone_mode`, changed with
 * the console command `set_phone_mode`); accepting an offer then rings `client:<identity>`.
 * With Twilio, the vendored Voice SDK (`window.Twilio.Device`, /static/vendor/twilio/, loaded on
 * first use) receives that leg with a short-lived token from POST /api/phone/token. With the
 * local simulator there
 * is no audio: the leg is answered and hung up through the app's simulator adapter
 * (/api/phone/sim/...), which holds the simulator's token so this page never does.
 * Hanging up a connected call is the console's hang-up (the conference ends, and the leg with it).
 * A supervisor's monitor leg (listen, whisper, barge from the live board) rings here too while
 * the snapshot's `monitor` is live; hanging it up leaves the call, which goes on.
 */
import { csrfToken, readConfig } from "/static/kit/config.js";
import { $, setText, show } from "/static/kit/dom.js";
import { stringsOf } from "/static/kit/strings.js";

const config = readConfig("console-config");
const { t } = stringsOf(config);
const simulator = Boolean(config.phone && config.phone.simulator);
const POLL_MS = 700;
const SDK_URL = "/static/vendor/twilio/twilio.min.js";

const el = {
  panel: $("phone-panel"),
  modePhone: $("phone-mode-phone"),
  modeBrowser: $("phone-mode-browser"),
  browser: $("phone-browser"),
  state: $("phone-state"),
  answer: $("btn-phone-answer"),
  mute: $("btn-phone-mute"),
  hangup: $("btn-phone-hangup"),
  devices: $("phone-devices"),
  input: $("phone-input"),
  output: $("phone-output"),
  outputLabel: $("phone-output-label"),
  error: $("phone-error"),
};

let mode = null; // "phone" or "browser", as the server last said
let state = "off"; // off, starting, ready, ringing, connected, muted, reconnecting, failed
let agent = null; // the snapshot's agent and call, for what hang-up means now
let offer = null; // a text conversation's offer rings no leg
let liveCall = null;
let monitor = null; // the supervisor's live monitor of a call, whose leg rings here
let device = null; // Twilio.Device (Twilio mode)
let incoming = null; // Twilio Call (Twilio mode)
let simMuted = false; // the simulator has no audio: muting is this page's state only
let pollTimer = null;
let micAsked = false;
let busy = false;

function post(path) {
  return fetch(path, {
    method: "POST",
    headers: { "X-CSRF-Token": csrfToken(config) },
  });
}

async function detail(response) {
  const data = await response.json().catch(() => ({}));
  return data.detail || t("phone_failed");
}

function showError(text) {
  setText(el.error, text || "");
  show(el.error, Boolean(text));
}

function setState(next) {
  state = next;
  render();
}

function render() {
  el.panel.dataset.mode = mode || "";
  el.modePhone.checked = mode === "phone";
  el.modeBrowser.checked = mode === "browser";
  show(el.browser, mode === "browser");
  el.state.dataset.state = state;
  const words = {
    starting: "phone_starting",
    ready: "phone_ready",
    ringing: "phone_ringing",
    connected: "phone_connected",
    muted: "phone_muted",
    reconnecting: "phone_reconnecting",
    failed: "phone_failed",
    off: "phone_off",
  };
  const word = state === "ringing" && monitor ? "phone_ringing_monitor" : words[state];
  setText(el.state, t(word || "phone_off"));
  const talking = ["connected", "muted", "reconnecting"].includes(state);
  show(el.answer, state === "ringing");
  show(el.mute, talking);
  setText(el.mute, t(state === "muted" ? "phone_unmute" : "phone_mute"));
  el.mute.setAttribute("aria-pressed", state === "muted" ? "true" : "false");
  show(el.hangup, state === "ringing" || talking);
}

// ---- the token -------------------------------------------------------------------------

async function fetchToken() {
  const response = await post("/api/phone/token");
  if (!response.ok) throw new Error(await detail(response));
  return response.json();
}

/* The microphone, asked once per page (the browser remembers the answer for the site). */
async function askMicrophone() {
  if (micAsked || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return true;
  micAsked = true;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.getTracks().forEach((track) => track.stop());
    return true;
  } catch (_error) {
    showError(t("phone_no_microphone"));
    return false;
  }
}

// ---- Twilio: the Voice SDK's Device ----------------------------------------------------

function fillDevices() {
  if (!device || !device.audio) return;
  const audio = device.audio;
  const options = (select, devices, current) => {
    const chosen = current && current.deviceId;
    select.replaceChildren();
    for (const [id, info] of devices.entries()) {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = info.label || t("phone_default_device");
      option.selected = id === chosen;
      select.append(option);
    }
  };
  options(el.input, audio.availableInputDevices, audio.inputDevice);
  const canChooseOutput = Boolean(audio.isOutputSelectionSupported);
  if (canChooseOutput) {
    const current = [...audio.speakerDevices.get()][0];
    options(el.output, audio.availableOutputDevices, current);
  }
  show(el.output, canChooseOutput);
  show(el.outputLabel, canChooseOutput);
  show(el.devices, audio.availableInputDevices.size > 0);
}

function watchCall(call) {
  incoming = call;
  setState("ringing");
  call.on("accept", () => setState("connected"));
  call.on("mute", (muted) => setState(muted ? "muted" : "connected"));
  call.on("reconnecting", () => setState("reconnecting"));
  call.on("reconnected", () => setState(call.isMuted() ? "muted" : "connected"));
  const over = () => {
    if (incoming === call) incoming = null;
    if (mode === "browser") setState("ready");
  };
  call.on("disconnect", over);
  call.on("cancel", over);
  call.on("reject", over);
  call.on("error", () => showError(t("phone_failed")));
}

/* The vendored SDK, a classic script defining window.Twilio, loaded once when first needed
   (from this origin: the CSP's script-src 'self' allows it; the simulator never needs it). */
let sdk = null;
function loadSdk() {
  if (window.Twilio) return Promise.resolve();
  if (sdk === null) {
    sdk = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = SDK_URL;
      script.onload = () => resolve();
      script.onerror = () => {
        sdk = null;
        reject(new Error(t("phone_no_sdk")));
      };
      document.head.append(script);
    });
  }
  return sdk;
}

async function startDevice() {
  await loadSdk();
  const Twilio = window.Twilio;
  if (!Twilio || !Twilio.Device) {
    showError(t("phone_no_sdk"));
    setState("failed");
    return;
  }
  if (!(await askMicrophone())) {
    setState("failed");
    return;
  }
  const { token } = await fetchToken();
  device = new Twilio.Device(token, { closeProtection: true });
  device.on("registered", () => setState(incoming ? state : "ready"));
  device.on("unregistered", () => mode === "browser" && setState("starting"));
  device.on("error", () => showError(t("phone_failed")));
  device.on("incoming", watchCall);
  device.on("tokenWillExpire", async () => {
    try {
      device.updateToken((await fetchToken()).token);
    } catch (_error) {
      showError(t("phone_failed"));
    }
  });
  if (device.audio) device.audio.on("deviceChange", fillDevices);
  await device.register();
  fillDevices();
}

// ---- the simulator: no audio, its leg answered through the app ------------------------

async function pollSimulator() {
  pollTimer = null;
  if (mode !== "browser" || !simulator) return;
  // (No offer card while "offered": a transfer to them, which rings like a call.)
  const voiceOffer = offer === null || (offer.channel || "voice") === "voice";
  const expecting =
    Boolean(monitor) ||
    (agent && (agent.state === "on_call" || (agent.state === "offered" && voiceOffer)));
  if (expecting && !busy) {
    try {
      const response = await fetch("/api/phone/sim/leg", { cache: "no-store" });
      if (response.ok) {
        const { state: leg } = await response.json();
        if (leg === "ringing" && state !== "ringing") setState("ringing");
        else if (leg === "connected" && !["connected", "muted"].includes(state)) {
          setState(simMuted ? "muted" : "connected");
        } else if (leg === "none" && state !== "ready") {
          simMuted = false;
          setState("ready");
        }
      }
    } catch (_error) {
      // The next poll tries again; the console's own status shows a lost server.
    }
  } else if (!expecting && state !== "ready" && state !== "starting") {
    simMuted = false;
    setState("ready");
  }
  pollTimer = window.setTimeout(pollSimulator, POLL_MS);
}

async function startSimulator() {
  await fetchToken(); // the same checks as with Twilio: role, set-up
  const response = await post("/api/phone/sim/ready");
  if (!response.ok) throw new Error(await detail(response));
  setState("ready");
  if (pollTimer === null) pollTimer = window.setTimeout(pollSimulator, 0);
}

// ---- start, stop, and the buttons ------------------------------------------------------

async function start() {
  showError("");
  setState("starting");
  try {
    if (simulator) await startSimulator();
    else await startDevice();
  } catch (error) {
    showError(error && error.message ? error.message : t("phone_failed"));
    setState("failed");
  }
}

function stop() {
  if (device) {
    device.destroy();
    device = null;
  }
  incoming = null;
  simMuted = false;
  if (pollTimer !== null) {
    window.clearTimeout(pollTimer);
    pollTimer = null;
  }
  showError("");
  setState("off");
}

function choose(next) {
  document.dispatchEvent(
    new CustomEvent("hotline:command", { detail: { type: "set_phone_mode", mode: next } }),
  );
}

async function simulatorAction(path) {
  busy = true;
  try {
    const response = await post(path);
    if (!response.ok) showError(await detail(response));
  } finally {
    busy = false;
  }
}

el.modePhone.addEventListener("change", () => choose("phone"));
el.modeBrowser.addEventListener("change", () => choose("browser"));

el.answer.addEventListener("click", async () => {
  showError("");
  if (simulator) {
    await simulatorAction("/api/phone/sim/answer");
    if (!el.error.hidden) return;
    setState("connected");
  } else if (incoming) {
    incoming.accept();
  }
});

el.mute.addEventListener("click", () => {
  if (simulator) {
    simMuted = state !== "muted";
    setState(simMuted ? "muted" : "connected");
  } else if (incoming) {
    incoming.mute(!incoming.isMuted());
  }
});

el.hangup.addEventListener("click", async () => {
  showError("");
  if (!monitor && liveCall && liveCall.state === "connected") {
    // The console's hang-up: the call ends for everyone, and this leg with the conference.
    document.dispatchEvent(
      new CustomEvent("hotline:command", {
        detail: { type: "hangup", call_id: liveCall.call_id },
      }),
    );
    return;
  }
  // Still ringing: declined, as a phone would (the caller goes back to the queue); a monitor
  // leg, ringing or in the call, ends on its own (the supervisor leaves; the call goes on).
  if (simulator) await simulatorAction("/api/phone/sim/hangup");
  else if (incoming && state === "ringing") incoming.reject();
  else if (incoming) incoming.disconnect();
});

el.input.addEventListener("change", () => {
  if (device && device.audio) device.audio.setInputDevice(el.input.value).catch(() => {});
});
el.output.addEventListener("change", () => {
  if (device && device.audio) device.audio.speakerDevices.set([el.output.value]).catch(() => {});
});

document.addEventListener("hotline:snapshot", (event) => {
  const snapshot = event.detail || {};
  agent = snapshot.agent || null;
  offer = snapshot.offer || null;
  liveCall = snapshot.call || null;
  monitor = snapshot.monitor || null;
  const next = (agent && agent.phone_mode) || "phone";
  if (next !== mode) {
    mode = next;
    if (mode === "browser") start();
    else stop();
  }
  render();
});

render();
