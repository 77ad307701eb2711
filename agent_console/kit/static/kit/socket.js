/*
 * A page's live websocket that keeps itself connected: reconnects with exponential back-off and
 * jitter, pings while quiet, and drops a socket that has gone silent without waiting for the
 * browser's close handshake. Messages are JSON objects; the page says what they mean.
 * Protocols: docs/console-protocol.md, docs/board-protocol.md.
 */

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

const DEFAULTS = {
  pingEveryMs: 10000,
  silenceLimitMs: 25000, // nothing received for this long: the socket is dead
  openTimeoutMs: 10000,
  backoffStartMs: 500,
  backoffMaxMs: 10000,
};

/** ws:// or wss:// (as the page) to this host and path. */
export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

/**
 * handlers (all optional):
 *  - connecting(attempt): a new socket is being opened (attempt 0 the first time after success);
 *  - open(): it opened;
 *  - message(object): a JSON object arrived;
 *  - close(event): the server closed it; return false to stop for good (no reconnecting);
 *  - lost(): the connection is gone and a reconnect is scheduled.
 */
export class LiveSocket {
  constructor(path, handlers = {}, timing = {}) {
    this.path = path;
    this.handlers = handlers;
    this.timing = { ...DEFAULTS, ...timing };
    this.ws = null;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.stopped = false;
    this.deadline = 0; // close and reconnect if nothing arrives by then
    this.lastPingAt = 0;
    this.pingId = 0;
  }

  /** Whether a socket exists (opening or open). */
  get active() {
    return this.ws !== null;
  }

  /** Whether the socket is open. */
  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.reconnectTimer !== null) {
      window.clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    if (this.stopped || this.ws !== null) {
      return;
    }
    let ws;
    try {
      ws = new WebSocket(socketUrl(this.path));
    } catch (_error) {
      this.lost();
      return;
    }
    this.ws = ws;
    this.deadline = Date.now() + this.timing.openTimeoutMs;
    this.call("connecting", this.attempt);

    ws.addEventListener("open", () => {
      if (ws !== this.ws) {
        return;
      }
      this.deadline = Date.now() + this.timing.silenceLimitMs;
      this.lastPingAt = Date.now();
      this.call("open");
    });

    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) {
        return;
      }
      this.deadline = Date.now() + this.timing.silenceLimitMs;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_error) {
        return;
      }
      if (message && typeof message === "object") {
        this.call("message", message);
      }
    });

    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) {
        return;
      }
      this.ws = null;
      if (this.call("close", event) === false) {
        this.stopped = true;
        return;
      }
      this.lost();
    });
  }

  call(name, ...args) {
    const handler = this.handlers[name];
    return typeof handler === "function" ? handler(...args) : undefined;
  }

  lost() {
    this.ws = null;
    this.call("lost");
    this.scheduleReconnect();
  }

  /** Drop a socket that went quiet, without waiting for the browser's close handshake. */
  drop() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close();
      } catch (_error) {
        // already closing
      }
    }
    this.lost();
  }

  scheduleReconnect() {
    if (this.stopped || this.reconnectTimer !== null) {
      return;
    }
    const { backoffStartMs, backoffMaxMs } = this.timing;
    const base = Math.min(backoffMaxMs, backoffStartMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 10);
    const delay = base * (0.75 + 0.25 * Math.random()); // jitter, never above the maximum
    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  /** The connection works again: the next loss starts the back-off from the beginning. */
  resetBackoff() {
    this.attempt = 0;
  }

  /** Reconnect now instead of waiting out the back-off (the network is back, the tab is back). */
  reconnectNow() {
    if (this.stopped || this.ws !== null) {
      return;
    }
    this.attempt = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
  }

  send(message) {
    if (!this.open) {
      return false;
    }
    try {
      this.ws.send(JSON.stringify(message));
      return true;
    } catch (_error) {
      return false;
    }
  }

  ping() {
    this.pingId += 1;
    this.lastPingAt = Date.now();
    this.send({ type: "ping", id: this.pingId });
  }

  /** Check the socket soon (e.g. the browser says it went offline): ping, expect an answer in 5 s. */
  checkSoon() {
    if (this.ws !== null) {
      this.deadline = Math.min(this.deadline, Date.now() + 5000);
      this.ping();
    }
  }

  /**
   * Call once a second. `gapMs` is the time since the last call: a long one means the tab was
   * throttled or the machine slept, so the socket is checked rather than judged. `whileOpen`
   * runs on an open, healthy socket before the heartbeat ping.
   */
  heartbeat(gapMs, whileOpen) {
    if (this.ws === null) {
      return;
    }
    const now = Date.now();
    if (gapMs > 5000) {
      this.deadline = Math.max(this.deadline, now + 5000);
      this.ping();
    } else if (now >= this.deadline) {
      this.drop();
    } else if (this.open) {
      if (whileOpen) {
        whileOpen(now);
      }
      if (now - this.lastPingAt >= this.timing.pingEveryMs) {
        this.ping();
      }
    }
  }
}
