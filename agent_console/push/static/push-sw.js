/*
 * The service worker of web push pages. A push says only what a lock screen may show ("Hotline:
 * crisis page — open the console"); its "acknowledge" action posts the page's token (signed,
 * short-lived, single-use) to the acknowledge URL, which acknowledges as the console does.
 * Clicking the notification itself opens the console. Served at /push-sw.js (scope /).
 */

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_error) {
    data = {};
  }
  const options = {
    body: data.body || "",
    tag: data.tag || "hotline-page",
    renotify: true,
    requireInteraction: true,
    data,
    actions: data.token ? [{ action: "ack", title: data.ack_label || "OK" }] : [],
  };
  event.waitUntil(self.registration.showNotification(data.title || "Hotline", options));
});

async function acknowledge(data) {
  let ok = false;
  try {
    const response = await fetch(data.ack_url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: data.token }),
    });
    ok = response.ok;
  } catch (_error) {
    ok = false;
  }
  await self.registration.showNotification(data.title || "Hotline", {
    body: ok ? data.ack_done || "" : data.ack_failed || "",
    tag: data.tag || "hotline-page",
    data: { url: data.url },
  });
  if (!ok && data.url) {
    await self.clients.openWindow(data.url);
  }
}

async function openConsole(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (client.url.startsWith(url) && "focus" in client) {
      return client.focus();
    }
  }
  return self.clients.openWindow(url || "/console");
}

self.addEventListener("notificationclick", (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  if (event.action === "ack" && data.token) {
    event.waitUntil(acknowledge(data));
  } else {
    event.waitUntil(openConsole(data.url));
  }
});
