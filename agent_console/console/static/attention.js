/*
 * Getting attention for what cannot wait: a crisis alert paged to this person, and (on a
 * supervisor's console) a caller in danger now who is still waiting. Each new one sounds an alarm
 * (Web Audio, no file) and shows a desktop notification, so it is heard and seen at 3 a.m. with
 * the tab in the background; the alarm repeats while an alert is unacknowledged. The sound can be
 * switched off (remembered in localStorage). Browsers only allow the notification prompt and
 * audio after a user gesture: the first click or key press on the console asks once, and a
 * button asks again later. No inline code (CSP).
 */
import { readConfig } from "/static/kit/config.js";
import { stringsOf } from "/static/kit/strings.js";

const { t } = stringsOf(readConfig("console-config"));
const SOUND_KEY = "hotline.alertSound";
const ASKED_KEY = "hotline.notificationsAsked";
const REPEAT_MS = 20000;
const soundButton = document.getElementById("btn-alert-sound");
const notifyButton = document.getElementById("btn-notify");
const status = document.getElementById("attention-status");
const seen = new Set();
let audio = null;
let repeatTimer = null;

function stored(key) {
  try { return window.localStorage.getItem(key); } catch (_error) { return null; }
}

function store(key, value) {
  try { window.localStorage.setItem(key, value); } catch (_error) { /* private mode */ }
}

const soundOn = () => stored(SOUND_KEY) !== "off";

function renderSound() {
  if (!soundButton) return;
  const on = soundOn();
  soundButton.setAttribute("aria-pressed", on ? "true" : "false");
  soundButton.dataset.sound = on ? "on" : "off";
  soundButton.textContent = t(on ? "sound_on" : "sound_off");
}

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!audio) audio = new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

// Three rising two-tone beeps: unlike the soft tone of a call offer.
function playAlarm() {
  if (!soundOn()) return;
  const context = audioContext();
  if (!context) return;
  const start = context.currentTime + 0.05;
  for (let i = 0; i < 3; i += 1) {
    for (const [offset, frequency] of [[0, 880], [0.18, 1175]]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      const at = start + i * 0.5 + offset;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.17);
    }
  }
  // What was played, for people checking their set-up (and for the tests).
  document.body.dataset.alarmsPlayed = String(Number(document.body.dataset.alarmsPlayed || 0) + 1);
}

function notify(title, body, tag) {
  if (!("Notification" in window) || window.Notification.permission !== "granted") return;
  try {
    const notification = new window.Notification(title, { body, tag, requireInteraction: true });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
  } catch (_error) { /* some browsers only notify from a service worker */ }
}

function renderNotify() {
  if (!notifyButton) return;
  const supported = "Notification" in window;
  const permission = supported ? window.Notification.permission : "unsupported";
  notifyButton.hidden = permission !== "default";
  if (status) {
    status.hidden = permission !== "denied";
    status.textContent = permission === "denied" ? t("notify_blocked") : "";
  }
}

function askForNotifications() {
  if (!("Notification" in window) || window.Notification.permission !== "default") return;
  store(ASKED_KEY, "1");
  const asked = window.Notification.requestPermission(renderNotify);
  if (asked && typeof asked.then === "function") asked.then(renderNotify, renderNotify);
}

// The first gesture on the console unlocks audio and asks for notifications, once.
function firstGesture() {
  audioContext();
  if (stored(ASKED_KEY) !== "1") askForNotifications();
  document.removeEventListener("pointerdown", firstGesture, true);
  document.removeEventListener("keydown", firstGesture, true);
}
document.addEventListener("pointerdown", firstGesture, true);
document.addEventListener("keydown", firstGesture, true);

function escalationAlerts(alerts) {
  let fresh = false;
  for (const alert of alerts) {
    const key = `escalation:${alert.escalation_id}`;
    if (seen.has(key) || alert.acknowledged) continue;
    seen.add(key);
    fresh = true;
    notify(
      t("notify_escalation_title"),
      t("notify_escalation_body")
        .replace("{level}", t(`level_${alert.level}`))
        .replace("{line}", String(alert.line_name || "")),
      key,
    );
  }
  return fresh;
}

function dangerAlerts(waiting) {
  let fresh = false;
  for (const caller of waiting) {
    const key = `danger:${caller.call_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fresh = true;
    notify(
      t("notify_danger_title"),
      t("danger_waiting").replace("{line}", String(caller.line_name || "")),
      key,
    );
  }
  return fresh;
}

function onSnapshot(event) {
  const snapshot = event.detail || {};
  const alerts = Array.isArray(snapshot.alerts) ? snapshot.alerts : [];
  const waiting = Array.isArray(snapshot.in_danger_waiting) ? snapshot.in_danger_waiting : [];
  const fresh = escalationAlerts(alerts) | dangerAlerts(waiting);
  if (fresh) playAlarm();
  // Repeat while something still waits for a person: an unacknowledged alert, a caller in danger.
  const pending = alerts.some((a) => !a.acknowledged) || waiting.length > 0;
  if (pending && repeatTimer === null) {
    repeatTimer = window.setInterval(playAlarm, REPEAT_MS);
  } else if (!pending && repeatTimer !== null) {
    window.clearInterval(repeatTimer);
    repeatTimer = null;
  }
}

if (soundButton) {
  soundButton.hidden = false;
  soundButton.addEventListener("click", () => {
    store(SOUND_KEY, soundOn() ? "off" : "on");
    renderSound();
    if (soundOn()) playAlarm(); // so the person hears what they switched on
  });
}
if (notifyButton) notifyButton.addEventListener("click", askForNotifications);
renderSound();
renderNotify();
document.addEventListener("hotline:snapshot", onSnapshot);
