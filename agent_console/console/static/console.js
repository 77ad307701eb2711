/*
 * Counselor console: one websocket, rendered from the latest server snapshot only.
 * Protocol: docs/console-protocol.md. The page's entry module (ES modules, no build step, no
 * inline code: strict CSP); docs/architecture.md "The front end".
 */
// The other parts of the console, evaluated first (in this order): each listens for the
// "hotline:snapshot" event this module sends with every snapshot.
import "./note/index.js";
import "./alerts.js";
import "./attention.js";
import "./callcontrol.js";
import "./transfer.js";
import "./phone.js"; // the browser phone: its panel sends commands through hotline:command
import "./conversations.js"; // text conversations: the list, the transcript, the reply box
import "/static/case.js"; // the caller's case and safety plan (agent_console/cases)

import { readConfig } from "/static/kit/config.js";
import { $, enable, isEnabled, setText, show } from "/static/kit/dom.js";
import { CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, LiveSocket } from "/static/kit/socket.js";
import { stringsOf } from "/static/kit/strings.js";
import { ServerClock, formatDuration, parseTime } from "/static/kit/time.js";
import { levelInfo } from "./risk.js";

const COMMAND_TIMEOUT_MS = 5000;
const OFFLINE_AFTER_MS = 30000; // "reconnecting" turns into "offline" after this long
const OFFER_GUARD_MS = 800; // ignore Accept/Decline this soon after an offer appears
const RESYNC_AFTER_EXPIRY_MS = 3000;
const RESYNC_RETRY_MS = 5000; // an open socket with no snapshot yet asks again this often
const BUSY_STATES = ["offered", "on_call", "wrap_up"];

// ---- configuration and strings --------------------------------------------------------

const config = readConfig("console-config");
const { t, has } = stringsOf(config);

// ---- DOM -------------------------------------------------------------------------------

const el = {
  conn: $("conn-status"),
  connText: $("conn-text"),
  stale: $("stale-notice"),
  workspace: $("workspace"),
  errorBox: $("console-error"),
  errorText: $("error-text"),
  errorDismiss: $("error-dismiss"),
  announce: $("offer-announce"),
  offerPanel: $("offer-panel"),
  offerTitle: $("offer-title"),
  offerChannel: $("offer-channel"),
  offerDanger: $("offer-danger"),
  offerRepeat: $("offer-repeat"),
  offerHistory: $("offer-high-risk"),
  offerLineName: $("offer-line-name"),
  offerLineNumber: $("offer-line-number"),
  offerLanguage: $("offer-language"),
  offerWaited: $("offer-waited"),
  offerCountdown: $("offer-countdown"),
  btnAccept: $("btn-accept"),
  btnDecline: $("btn-decline"),
  callPanel: $("call-panel"),
  callTitle: $("call-title"),
  callDanger: $("call-danger"),
  callRepeat: $("call-repeat"),
  callHistory: $("call-high-risk"),
  callStatus: $("call-status"),
  callTimer: $("call-timer"),
  callLineName: $("call-line-name"),
  callLineNumber: $("call-line-number"),
  callLanguage: $("call-language"),
  btnHangup: $("btn-hangup"),
  btnHelp: $("btn-help"),
  helpAlert: $("help-alert"),
  helpAlertText: $("help-alert-text"),
  helpStatus: $("help-status"),
  wrapupPanel: $("wrapup-panel"),
  wrapupTitle: $("wrapup-title"),
  wrapupLineName: $("wrapup-line-name"),
  wrapupLineNumber: $("wrapup-line-number"),
  wrapupCallLength: $("wrapup-call-length"),
  wrapupTimer: $("wrapup-timer"),
  btnFinish: $("btn-finish-wrapup"),
  idlePanel: $("idle-panel"),
  idleText: $("idle-text"),
  presenceTitle: $("presence-title"),
  agentState: $("agent-state"),
  reasonRow: $("state-reason-row"),
  reason: $("state-reason"),
  stateTimer: $("state-timer"),
  btnAvailable: $("btn-available"),
  btnBreak: $("btn-break"),
  breakReason: $("break-reason"),
  breakError: $("break-error"),
  btnOffline: $("btn-offline"),
  presenceHint: $("presence-hint"),
};

// ---- state -----------------------------------------------------------------------------

let snapshot = null; // the latest snapshot: the whole truth
const serverClock = new ServerClock();
let connection = "connecting"; // connecting | connected | reconnecting | offline
let disconnectedAt = null;
let lastResyncAt = 0;
let socketHasSnapshot = false;
let lastTickAt = Date.now();
let pendingUntil = 0; // a command is in flight until the next snapshot or this time
let offerId = null; // call_id of the offer on screen
let offerShownAt = 0;
let resyncAskedFor = null;
const baseTitle = document.title;
let tickCount = 0;

// ---- time ------------------------------------------------------------------------------

const serverNow = () => serverClock.now();

function since(iso) {
  const start = parseTime(iso);
  return start === null ? t("no_value") : formatDuration(serverNow() - start);
}

function countdown(iso) {
  const end = parseTime(iso);
  if (end === null) {
    return t("no_value");
  }
  const left = Math.max(0, Math.ceil((end - serverNow()) / 1000));
  return formatDuration(left * 1000);
}

// ---- names -----------------------------------------------------------------------------

function languageName(code) {
  if (!code) {
    return t("lang_none");
  }
  const key = `lang_${code}`;
  return has(key) ? t(key) : code;
}

function stateName(state) {
  if (!state) {
    return t("state_loading");
  }
  const key = `state_${state}`;
  return has(key) ? t(key) : t("state_unknown");
}

function reasonName(reason) {
  const key = `reason_${reason}`;
  return has(key) ? t(key) : reason;
}

// ---- rendering -------------------------------------------------------------------------

function liveCall(snap) {
  const call = snap && snap.call;
  return call && (call.state === "connecting" || call.state === "connected") ? call : null;
}

function wrapUpCall(snap) {
  if (!snap) {
    return null;
  }
  const call = snap.call;
  if (call && call.state === "wrap_up") {
    return call;
  }
  return snap.agent && snap.agent.state === "wrap_up" ? call || {} : null;
}

function renderConnection() {
  el.conn.dataset.status = connection;
  setText(el.connText, t(`conn_${connection}`));
  const stale = connection !== "connected" && snapshot !== null;
  show(el.stale, stale);
  el.workspace.dataset.stale = stale ? "true" : "false";
}

function render() {
  const snap = snapshot;
  const agent = (snap && snap.agent) || {};
  const state = typeof agent.state === "string" ? agent.state : "";
  const offer = (snap && snap.offer) || null;
  const call = liveCall(snap);
  const wrap = call ? null : wrapUpCall(snap);
  const connected = connection === "connected";
  const ready = connected && snap !== null && Date.now() >= pendingUntil;

  // Where focus is now, to move it sensibly if its panel disappears.
  const focused = document.activeElement;
  const focusPanel = focused && focused.closest ? focused.closest("section.panel") : null;

  renderConnection();

  // Presence.
  el.agentState.dataset.state = state;
  setText(el.agentState, stateName(state));
  const reason = (state === "break" || state === "away") && agent.reason ? agent.reason : "";
  show(el.reasonRow, reason !== "");
  setText(el.reason, reason ? reasonName(reason) : "");
  const busy = BUSY_STATES.includes(state) || offer !== null || call !== null || wrap !== null;
  const canPresence = ready && !busy && state !== "";
  enable(el.btnAvailable, canPresence && state !== "available");
  enable(el.btnBreak, canPresence);
  enable(el.btnOffline, canPresence && state !== "offline");
  el.breakReason.disabled = busy;
  show(el.presenceHint, snap !== null && busy);

  // Offer.
  show(el.offerPanel, offer !== null);
  if (offer) {
    show(el.offerDanger, Boolean(offer.in_danger));
    show(el.offerRepeat, Boolean(offer.repeat_caller));
    show(el.offerHistory, Boolean(offer.high_risk_history));
    el.offerPanel.dataset.danger = offer.in_danger ? "true" : "false";
    // A text conversation says its channel (web chat, SMS, WeChat).
    const channel = typeof offer.channel === "string" ? offer.channel : "voice";
    const text = channel !== "voice";
    el.offerPanel.dataset.channel = channel;
    setText(el.offerTitle, t(text ? "offer_title_text" : "offer_title_voice"));
    setText(el.btnAccept, t(text ? "accept_text" : "accept_voice"));
    show(el.offerChannel, text);
    setText(el.offerChannel, has(`channel_${channel}`) ? t(`channel_${channel}`) : channel);
    setText(el.offerLineName, String(offer.line_name || ""));
    setText(el.offerLineNumber, String(offer.line_number || ""));
    setText(el.offerLanguage, languageName(offer.language));
  }
  enable(el.btnAccept, ready && offer !== null);
  enable(el.btnDecline, ready && offer !== null);

  // Live call.
  show(el.callPanel, call !== null);
  el.callPanel.dataset.callState = call ? call.state : "";
  if (call) {
    show(el.callDanger, Boolean(call.in_danger));
    show(el.callRepeat, Boolean(call.repeat_caller));
    show(el.callHistory, Boolean(call.high_risk_history));
    el.callPanel.dataset.danger = call.in_danger ? "true" : "false";
    setText(el.callStatus, t(call.state === "connected" ? "call_connected" : "call_connecting"));
    setText(el.callLineName, String(call.line_name || ""));
    setText(el.callLineNumber, String(call.line_number || ""));
    setText(el.callLanguage, languageName(call.language));
    // The crisis colour, as soon as the note's screener or the counselor sets a level.
    const level = typeof call.crisis_level === "string" ? call.crisis_level : "";
    const callLevel = $("call-level");
    if (callLevel) {
      show(callLevel, level !== "");
      callLevel.dataset.level = level;
      const info = levelInfo(level);
      callLevel.dataset.colour = info ? info.colour : "";
      callLevel.dataset.flashing = info && info.flashing ? "true" : "false";
      setText(callLevel, level ? t(`level_${level}`) : "");
    }
    el.callPanel.dataset.crisisLevel = level;
  }
  enable(el.btnHangup, ready && call !== null && typeof call.call_id === "number");
  // A supervisor's console: counselors who asked them for help (silent, visible).
  if (el.helpAlert) {
    const asking = (snap && Array.isArray(snap.help_alerts)) ? snap.help_alerts : [];
    show(el.helpAlert, asking.length > 0);
    setText(
      el.helpAlertText,
      asking.map((a) => t("help_alert").replace("{name}", String(a.counselor_name || ""))
        .replace("{line}", String(a.line_name || ""))).join(" "),
    );
  }
  // A supervisor's console: callers in danger now still waiting for a counselor.
  const dangerBox = $("danger-alert");
  if (dangerBox) {
    const waiting = (snap && Array.isArray(snap.in_danger_waiting)) ? snap.in_danger_waiting : [];
    show(dangerBox, waiting.length > 0);
    setText(
      $("danger-alert-text"),
      waiting.map((w) => t("danger_waiting").replace("{line}", String(w.line_name || ""))).join(" "),
    );
  }
  // A supervisor's console: high-risk callers whose follow-up call is late.
  const lateBox = $("priority-followups-alert");
  if (lateBox) {
    const late = (snap && snap.priority_followups_overdue) || 0;
    show(lateBox, late > 0);
    setText($("priority-followups-link"), t("priority_followups_overdue").replace("{count}", String(late)));
  }
  // A supervisor's console: voicemails waiting for someone to listen and act.
  const unheard = $("voicemail-alert");
  if (unheard) {
    const count = (snap && snap.voicemails_waiting) || 0;
    show(unheard, count > 0);
    setText($("voicemail-alert-link"), t("voicemails_waiting").replace("{count}", String(count)));
  }
  // Help from a supervisor: one open request per call; the status says who took it.
  const help = (call && call.help) || null;
  const helpState = help && typeof help.status === "string" ? help.status : "";
  if (el.btnHelp) {
    enable(el.btnHelp, ready && call !== null && call.state === "connected" && helpState !== "open");
    el.helpStatus.dataset.help = helpState;
    show(el.helpStatus, helpState === "open" || helpState === "acknowledged");
    setText(
      el.helpStatus,
      helpState === "acknowledged"
        ? t("help_acknowledged").replace("{name}", String(help.acknowledged_by || ""))
        : helpState === "open" ? t("help_requested") : "",
    );
  }

  // Wrap-up.
  show(el.wrapupPanel, wrap !== null);
  if (wrap) {
    setText(el.wrapupLineName, String(wrap.line_name || ""));
    setText(el.wrapupLineNumber, String(wrap.line_number || ""));
  }
  enable(el.btnFinish, ready && wrap !== null && typeof wrap.call_id === "number");

  // Nothing to do: say what the counselor can expect.
  const idle = offer === null && call === null && wrap === null;
  show(el.idlePanel, idle);
  if (idle) {
    let text = t("idle_loading");
    if (snap !== null) {
      text = t(`idle_${state}`);
      if (text === `idle_${state}`) {
        text = t("idle_busy");
      }
    }
    setText(el.idleText, text);
  }
  // A quiet moment: call-backs due on the counselor's lines that nobody else has taken.
  const due = (snap && snap.followups_due) || { count: 0, priority: 0 };
  const dueBox = $("followups-due");
  if (dueBox) {
    show(dueBox, idle && due.count > 0);
    dueBox.dataset.priority = String(due.priority);
    setText(
      $("followups-due-link"),
      t(due.priority > 0 ? "followups_due_priority" : "followups_due")
        .replace("{count}", String(due.count))
        .replace("{priority}", String(due.priority)),
    );
  }

  handleNewOffer(offer);
  renderTimers();
  restoreFocus(focused, focusPanel, offer, call, wrap);
}

function renderTimers() {
  const snap = snapshot;
  if (!snap) {
    return;
  }
  const agent = snap.agent || {};
  setText(el.stateTimer, since(agent.since));
  const offer = snap.offer;
  if (offer) {
    setText(el.offerWaited, since(offer.queued_at));
    setText(el.offerCountdown, countdown(offer.expires_at));
  }
  const call = liveCall(snap);
  if (call) {
    setText(el.callTimer, call.state === "connected" ? since(call.connected_at) : "00:00");
  }
  const wrap = call ? null : wrapUpCall(snap);
  if (wrap) {
    const start = parseTime(wrap.connected_at);
    const end = parseTime(wrap.ended_at);
    setText(
      el.wrapupCallLength,
      start !== null && end !== null ? formatDuration(end - start) : t("no_value"),
    );
    setText(el.wrapupTimer, since(agent.since));
  }
  renderTitle(offer);
}

function renderTitle(offer) {
  let title = baseTitle;
  if (offer) {
    const attention = t(offer.in_danger ? "title_offer_danger" : "title_offer");
    // In a background tab, alternate so the tab catches the eye; in front, keep it steady.
    title = document.hidden && tickCount % 2 === 1 ? baseTitle : attention;
  }
  if (document.title !== title) {
    document.title = title;
  }
}

function handleNewOffer(offer) {
  const id = offer ? offer.call_id : null;
  if (id === offerId) {
    return;
  }
  offerId = id;
  if (offer === null) {
    setText(el.announce, "");
    return;
  }
  offerShownAt = performance.now();
  setText(el.announce, t(offer.in_danger ? "announce_offer_danger" : "announce_offer"));
  playTone();
  el.btnAccept.focus();
}

/* When the panel holding focus goes away, put focus on the panel that replaced it. */
function restoreFocus(focused, focusPanel, offer, call, wrap) {
  if (!focusPanel || !focusPanel.hidden || offer) {
    return; // focus is still visible (a new offer has already moved it to Accept)
  }
  let target = el.presenceTitle;
  if (call) {
    target = el.callTitle;
  } else if (wrap) {
    target = el.wrapupTitle;
  }
  if (focused === document.activeElement || document.activeElement === document.body) {
    target.focus();
  }
}

// ---- sound -----------------------------------------------------------------------------

let audio = null;

function audioContext(create) {
  if (audio || !create) {
    return audio;
  }
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    audio = Context ? new Context() : null;
  } catch (_error) {
    audio = null;
  }
  return audio;
}

/* Browsers only let audio start after a user gesture: unlock it on the first one. */
function unlockAudio() {
  const context = audioContext(true);
  if (context && context.state === "suspended") {
    context.resume().catch(() => {});
  }
}

/** A short, soft two-note chime. Never throws: sound is a bonus, the page is the alert. */
function playTone() {
  try {
    const activated = navigator.userActivation ? navigator.userActivation.hasBeenActive : true;
    const context = audioContext(activated);
    if (!context) {
      return;
    }
    if (context.state === "suspended") {
      context.resume().catch(() => {});
    }
    const start = context.currentTime + 0.05;
    [
      [659.25, 0],
      [880, 0.25],
    ].forEach(([frequency, delay]) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      const at = start + delay;
      oscillator.type = "sine";
      oscillator.frequency.setValueAtTime(frequency, at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.15, at + 0.04);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.45);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.5);
    });
  } catch (_error) {
    // Audio blocked or unsupported: the panel, title and focus still signal the offer.
  }
}

// ---- errors ----------------------------------------------------------------------------

function showError(message) {
  setText(el.errorText, message || t("error_generic"));
  show(el.errorBox, true);
}

function dismissError() {
  const hadFocus = el.errorBox.contains(document.activeElement);
  show(el.errorBox, false);
  setText(el.errorText, "");
  if (hadFocus) {
    el.presenceTitle.focus();
  }
}

// ---- websocket -------------------------------------------------------------------------

const wsPath = typeof config.ws_path === "string" && config.ws_path ? config.ws_path : "/ws/console";
const live = new LiveSocket(wsPath, {
  connecting() {
    socketHasSnapshot = false;
  },
  open() {
    resync();
  },
  message(message) {
    if (message.type === "snapshot") {
      onSnapshot(message);
    } else if (message.type === "error") {
      showError(typeof message.message === "string" ? message.message : "");
    } else if (message.type === "typing") {
      // The person of a conversation is writing (conversations.js shows it).
      document.dispatchEvent(new CustomEvent("hotline:typing", { detail: message }));
    } else if (message.type === "conversation_message") {
      // A message in a conversation: its card and transcript (conversations.js), no snapshot.
      document.dispatchEvent(new CustomEvent("hotline:conversation-message", { detail: message }));
    }
    // "pong" and anything unknown: receiving it was enough.
  },
  close(event) {
    if (event.code === CLOSE_UNAUTHENTICATED) {
      window.location.assign("/login");
      return false;
    }
    if (event.code === CLOSE_FORBIDDEN) {
      disconnectedAt = disconnectedAt || Date.now();
      setConnection("offline");
      showError(t("error_forbidden"));
      return false;
    }
    return true;
  },
  lost() {
    if (disconnectedAt === null) {
      disconnectedAt = Date.now();
    }
    pendingUntil = 0;
    updateDisconnectedStatus();
  },
});

function setConnection(value) {
  if (connection !== value) {
    connection = value;
    render();
  }
}

function onSnapshot(message) {
  serverClock.sync(message.server_time);
  snapshot = message;
  socketHasSnapshot = true;
  live.resetBackoff();
  pendingUntil = 0;
  disconnectedAt = null;
  connection = "connected";
  render();
  document.dispatchEvent(new CustomEvent("hotline:snapshot", { detail: snapshot }));
}

/* While disconnected: "reconnecting" at first, "offline" once it has lasted (or the OS says so). */
function updateDisconnectedStatus() {
  if (live.stopped || disconnectedAt === null) {
    return;
  }
  const offline = navigator.onLine === false || Date.now() - disconnectedAt > OFFLINE_AFTER_MS;
  let value = "reconnecting";
  if (offline) {
    value = "offline";
  } else if (snapshot === null) {
    value = "connecting";
  }
  setConnection(value);
}

function command(message) {
  if (connection !== "connected" || Date.now() < pendingUntil) {
    return;
  }
  if (live.send(message)) {
    pendingUntil = Date.now() + COMMAND_TIMEOUT_MS;
    render();
  }
}

// Other modules (the browser phone) send their commands through the one socket.
document.addEventListener("hotline:command", (event) => command(event.detail));

// ---- the one-second tick: timers, heartbeat, command time-outs ---------------------------

function tick() {
  const now = Date.now();
  const gap = now - lastTickAt;
  lastTickAt = now;
  tickCount += 1;

  live.heartbeat(gap, () => {
    if (!socketHasSnapshot && now - lastResyncAt >= RESYNC_RETRY_MS) {
      resync(); // connected but still no snapshot: ask again
    }
  });
  if (connection !== "connected") {
    updateDisconnectedStatus();
  }

  if (pendingUntil !== 0 && now >= pendingUntil) {
    pendingUntil = 0;
    render();
  }

  // An offer past its end with no news: ask for the truth.
  const offer = snapshot && snapshot.offer;
  if (offer && connection === "connected" && resyncAskedFor !== offer.call_id) {
    const end = parseTime(offer.expires_at);
    if (end !== null && serverNow() > end + RESYNC_AFTER_EXPIRY_MS) {
      resyncAskedFor = offer.call_id;
      resync();
    }
  }

  renderTimers();
  scheduleTick();
}

function resync() {
  lastResyncAt = Date.now();
  live.send({ type: "resync" });
}

function scheduleTick() {
  // Land just after each server-clock second so all counters change together.
  const wait = 1000 - (((serverNow() % 1000) + 1000) % 1000) + 15;
  window.setTimeout(tick, wait);
}

// ---- controls --------------------------------------------------------------------------

/*
 * Never answer an offer by accident: ignore a key press on Accept/Decline that comes right
 * after the offer took focus (it was meant for the previous control), and a mouse or touch
 * press that began before the offer was on screen.
 */
let pressStartedAt = 0;

function offerJustAppeared(event) {
  if (event.detail === 0) {
    return performance.now() - offerShownAt < OFFER_GUARD_MS; // keyboard activation
  }
  return pressStartedAt < offerShownAt;
}

/* Notes still to submit: say how many before taking calls (the server allows it: callers wait). */
function confirmUnfinished() {
  const notes = snapshot && Array.isArray(snapshot.unfinished_notes) ? snapshot.unfinished_notes : [];
  return (
    notes.length === 0 ||
    window.confirm(t("unfinished_confirm").replace("{count}", String(notes.length)))
  );
}

function setBreakError(visible) {
  show(el.breakError, visible);
  if (visible) {
    el.breakReason.setAttribute("aria-invalid", "true");
  } else {
    el.breakReason.removeAttribute("aria-invalid");
  }
}

function wireControls() {
  el.btnAccept.addEventListener("click", (event) => {
    const offer = snapshot && snapshot.offer;
    if (!isEnabled(el.btnAccept) || !offer || offerJustAppeared(event)) {
      return;
    }
    command({ type: "accept", call_id: offer.call_id });
  });

  el.btnDecline.addEventListener("click", (event) => {
    const offer = snapshot && snapshot.offer;
    if (!isEnabled(el.btnDecline) || !offer || offerJustAppeared(event)) {
      return;
    }
    command({ type: "decline", call_id: offer.call_id });
  });

  [el.btnAccept, el.btnDecline].forEach((button) => {
    button.addEventListener("pointerdown", () => {
      pressStartedAt = performance.now();
    });
    // A key held down (auto-repeat) must never answer an offer.
    button.addEventListener("keydown", (event) => {
      if (event.repeat) {
        event.preventDefault();
      }
    });
  });

  el.btnHangup.addEventListener("click", () => {
    const call = liveCall(snapshot);
    if (!isEnabled(el.btnHangup) || !call) {
      return;
    }
    command({ type: "hangup", call_id: call.call_id });
  });

  if (el.btnHelp) {
    el.btnHelp.addEventListener("click", () => {
      const call = liveCall(snapshot);
      if (isEnabled(el.btnHelp) && call) {
        command({ type: "request_help", call_id: call.call_id });
      }
    });
  }

  el.btnFinish.addEventListener("click", () => {
    const wrap = wrapUpCall(snapshot);
    if (!isEnabled(el.btnFinish) || !wrap || typeof wrap.call_id !== "number") {
      return;
    }
    if (confirmUnfinished()) {
      command({ type: "finish_wrap_up", call_id: wrap.call_id });
    }
  });

  el.btnAvailable.addEventListener("click", () => {
    if (isEnabled(el.btnAvailable) && confirmUnfinished()) {
      command({ type: "set_state", state: "available", reason: null });
    }
  });

  el.btnBreak.addEventListener("click", () => {
    if (!isEnabled(el.btnBreak)) {
      return;
    }
    const reason = el.breakReason.value;
    if (!reason) {
      setBreakError(true);
      el.breakReason.focus();
      return;
    }
    setBreakError(false);
    command({ type: "set_state", state: "break", reason });
  });

  el.breakReason.addEventListener("change", () => {
    if (el.breakReason.value) {
      setBreakError(false);
    }
  });

  el.btnOffline.addEventListener("click", () => {
    if (isEnabled(el.btnOffline)) {
      command({ type: "set_state", state: "offline", reason: null });
    }
  });

  el.errorDismiss.addEventListener("click", dismissError);

  document.addEventListener("pointerdown", unlockAudio, { capture: true, passive: true });
  document.addEventListener("keydown", unlockAudio, { capture: true, passive: true });

  window.addEventListener("online", () => {
    live.reconnectNow();
    updateDisconnectedStatus();
  });
  window.addEventListener("offline", () => {
    // The socket is probably dead: check it now instead of waiting out the silence limit.
    live.checkSoon();
    updateDisconnectedStatus();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      return;
    }
    if (live.active) {
      live.ping(); // a quick check after the tab comes back
    } else {
      live.reconnectNow();
    }
    renderTimers();
  });
}

// ---- start -----------------------------------------------------------------------------

if (el.conn && el.agentState) {
  wireControls();
  render();
  live.connect();
  scheduleTick();
}
