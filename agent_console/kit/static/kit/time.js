/* Times from the server (ISO 8601, UTC when no offset is given) and how they are shown. */

export const pad = (n) => String(n).padStart(2, "0");

/** Milliseconds since the epoch for an ISO 8601 time or date, or null. */
export function parseTime(value) {
  if (typeof value !== "string" || value === "") {
    return null;
  }
  let iso = value.trim().replace(" ", "T");
  iso = iso.replace(/(\.\d{3})\d+/, "$1"); // microseconds: keep milliseconds
  if (/T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) {
    iso += "Z";
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** "mm:ss", or "h:mm:ss" from one hour. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
}

/** Local "hh:mm:ss" (or "hh:mm") of a time in milliseconds. */
export function clock(ms, seconds = true) {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** Local "yyyy-mm-dd" of a time in milliseconds. */
export function localDate(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The server's clock, as far as its messages tell: Date.now() corrected by the last offset. */
export class ServerClock {
  constructor() {
    this.offsetMs = 0;
  }

  /** Take the server's time from a message (`server_time`). */
  sync(serverTime) {
    const server = parseTime(serverTime);
    if (server !== null) {
      this.offsetMs = server - Date.now();
    }
  }

  now() {
    return Date.now() + this.offsetMs;
  }

  /** How long since an ISO time on the server's clock, "mm:ss"; null for no time. */
  since(iso) {
    const start = parseTime(iso);
    return start === null ? null : formatDuration(this.now() - start);
  }
}
