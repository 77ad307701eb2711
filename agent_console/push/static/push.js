/*
 * "Allow notifications on this device": registers the service worker (/push-sw.js, scope /),
 * asks for the notification permission, subscribes with the server's VAPID public key and posts
 * the subscription to /api/push/devices. Crisis pages then reach this device with the console
 * closed. Strings and the key come from the page's configuration (CSP: no inline code).
 */
import { csrfToken, readConfig } from "/static/kit/config.js";

const config = readConfig("push-config");
const strings = config.strings || {};
const button = document.getElementById("btn-push-subscribe");
const status = document.getElementById("push-status");

function say(key) {
  if (status) {
    status.textContent = strings[key] || "";
    status.dataset.state = key;
  }
}

/** The VAPID key as the bytes pushManager.subscribe wants (it is base64url). */
function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob(padded);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** A short name for the list of devices, from what the browser says of itself. */
function deviceLabel() {
  const agent = navigator.userAgent || "";
  const browser = /Edg\//.test(agent) ? "Edge" : /Firefox\//.test(agent) ? "Firefox" : /Chrome\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : "Browser";
  const system = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS" : /Mac OS X/.test(agent) ? "macOS" : /Windows/.test(agent) ? "Windows" : /Linux/.test(agent) ? "Linux" : "";
  return system ? `${browser} · ${system}` : browser;
}

async function subscribe() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }
  say("subscribing");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    say("denied");
    return;
  }
  const registration = await navigator.serviceWorker.register(config.worker, { scope: "/" });
  await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(config.public_key || ""),
    });
  }
  const response = await fetch("/api/push/devices", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(config) },
    body: JSON.stringify({ ...subscription.toJSON(), label: deviceLabel() }),
  });
  if (!response.ok) {
    say("failed");
    return;
  }
  say("done");
  window.location.assign("/console/devices");
}

if (button) {
  button.addEventListener("click", () => {
    subscribe().catch(() => say("failed"));
  });
}
