/*
 * The notes API over fetch (docs/notes-api.md); keeps the server's clock offset from the Date
 * header.
 */
import { state } from "./model.js";
import { csrfToken } from "./page.js";

export const REQUEST_TIMEOUT_MS = 15000;

export async function api(method, url, body, extra = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken();
  }
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = controller ? window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : 0;
  try {
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
      ...extra,
    });
    const date = Date.parse(response.headers.get("date") || "");
    if (!Number.isNaN(date)) {
      state.skewMs = date - Date.now();
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_error) {
      data = null;
    }
    return { status: response.status, ok: response.ok, data };
  } catch (_error) {
    return { status: 0, ok: false, data: null }; // network down or timed out
  } finally {
    if (timer) {
      window.clearTimeout(timer);
    }
  }
}

export const noteUrl = (id) => `/api/calls/${encodeURIComponent(id)}/note`;
