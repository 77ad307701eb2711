/*
 * The supervisor's live board: one websocket, rendered from the latest server snapshot only.
 * Protocol: docs/board-protocol.md. No framework, no build step, no inline code (strict CSP).
 * Times shown ("waiting", "in status", call length) count on from the server's clock.
 */
import { readConfig } from "/static/kit/config.js";
import { $, node } from "/static/kit/dom.js";
import { CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, LiveSocket } from "/static/kit/socket.js";
import { stringsOf } from "/static/kit/strings.js";
import { ServerClock } from "/static/kit/time.js";

const config = readConfig("board-config");
const { t } = stringsOf(config);
// The monitoring modes, in the order of their buttons (hotline.board.models.MonitorMode).
const MODES = Array.isArray(config.monitor_modes) ? config.monitor_modes : [];

const el = {
  conn: $("board-conn"),
  connText: $("board-conn-text"),
  errorBox: $("board-error"),
  errorText: $("board-error-text"),
  errorDismiss: $("board-error-dismiss"),
  alerts: $("help-alerts"),
  alertList: $("help-alert-list"),
  calls: $("calls-body"),
  callsEmpty: $("calls-empty"),
  lines: $("lines-body"),
  channels: $("channels-body"),
  help: $("help-body"),
  helpEmpty: $("help-empty"),
  escalations: $("escalations-body"),
  escalationsEmpty: $("escalations-empty"),
  counts: $("state-counts"),
  counselors: $("counselors-body"),
  shedding: $("board-shedding"),
};

let board = null;
const serverClock = new ServerClock();

// ---- DOM helpers -------------------------------------------------------------------------

const elapsed = (iso) => serverClock.since(iso) || "--:--";

/** A timer cell: its text is refreshed every second from `data-since`. */
const timer = (since, testid) =>
  node("span", { className: "timer", "data-since": since || "", "data-testid": testid }, elapsed(since));

function levelChip(level, colour, flashing) {
  return node(
    "span",
    {
      className: "chip",
      "data-testid": "level-chip",
      "data-level": level || "",
      "data-colour": colour || "",
      "data-flashing": flashing ? "true" : "false",
    },
    level ? t(`level_${level}`) : t("level_unknown"),
  );
}

function button(label, testid, onClick, extra) {
  const element = node("button", { type: "button", className: "btn btn-secondary btn-small", "data-testid": testid, ...(extra || {}) }, label);
  element.addEventListener("click", () => {
    if (element.getAttribute("aria-disabled") !== "true") {
      onClick();
    }
  });
  return element;
}

/** A channel's name, as a chip: "Phone", "SMS", "Web chat", "WeChat". */
const channelChip = (channel) =>
  node("span", { className: "chip chip-channel", "data-testid": "channel", "data-channel": channel }, t(`channel_${channel}`));

/** The counselor's status: one holding text conversations says how many. */
const stateText = (person) =>
  person.state === "chatting"
    ? t("chatting_count").replace("{count}", String(person.conversations))
    : t(`state_${person.state}`);

function replaceRows(body, rows) {
  body.replaceChildren(...rows);
}

// ---- rendering ---------------------------------------------------------------------------

function render() {
  if (board === null) {
    return;
  }
  const focusedId = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.focusKey
    : null;

  // This instance sheds load: new callers are forwarded to the partner line.
  const instance = board.instance || {};
  el.shedding.hidden = !instance.shedding_load;
  el.shedding.textContent = t("shedding_load").replace("%(count)s", String(instance.calls_shed || 0));

  // Live calls.
  replaceRows(
    el.calls,
    board.calls.map((call) => {
      const mine = (call.monitors || []).find((m) => m.mine) || null;
      const others = (call.monitors || []).map((m) => `${m.name} (${t(`mode_${m.mode}`)})`).join(", ");
      const actions = node("div", { className: "monitor-actions" });
      // A text conversation has no phone leg: no listen, whisper or barge is offered for it.
      const modes = call.channel === "voice" ? MODES : [];
      if (call.channel !== "voice") {
        // A text is read along instead: its live transcript, a private note, taking it over.
        actions.append(node("span", { className: "hint", "data-testid": "no-monitor" }, t("text_not_monitorable")));
        if (call.state === "connected") {
          const read = node(
            "a",
            { className: "btn btn-secondary btn-small", "data-testid": "btn-read-along", href: `/supervisor/conversations/${encodeURIComponent(call.call_id)}` },
            t("read_along"),
          );
          read.dataset.focusKey = `${call.call_id}-read`;
          actions.append(read);
        }
      }
      for (const mode of modes) {
        const pressed = mine !== null && mine.mode === mode;
        const action = button(t(mode), `btn-${mode}`, () => command({ type: "monitor", call_id: call.call_id, mode }), {
          "aria-pressed": pressed ? "true" : "false",
          "aria-disabled": call.monitorable ? "false" : "true",
        });
        action.dataset.focusKey = `${call.call_id}-${mode}`;
        actions.append(action);
      }
      if (mine !== null) {
        const leave = button(t("leave"), "btn-leave", () => command({ type: "leave", monitor_id: mine.monitor_id }));
        leave.dataset.focusKey = `${call.call_id}-leave`;
        actions.append(leave);
      }
      const status = mine === null
        ? null
        : node(
          "span",
          { className: "monitor-status", "data-testid": "monitor-status", "data-mode": mine.mode, "data-status": mine.status, role: "status" },
          `${t(`mode_${mine.mode}`)} · ${t(`monitor_${mine.status}`)}`,
        );
      return node(
        "tr",
        {
          className: "call-row",
          "data-testid": "call-row",
          "data-call-id": call.call_id,
          "data-channel": call.channel,
          "data-state": call.state,
          "data-colour": call.colour || "",
          "data-flashing": call.flashing ? "true" : "false",
        },
        node(
          "td",
          {},
          node("span", { "data-testid": "call-line" }, call.line_name),
          " ",
          node("span", { className: "num", dir: "ltr", translate: false }, call.line_number),
          call.in_danger ? node("span", { className: "chip chip-danger" }, t("in_danger")) : null,
        ),
        node("td", {}, channelChip(call.channel)),
        node("td", { "data-testid": "call-counselor" }, call.counselor_name || t("nobody")),
        node("td", {}, call.connected_at ? timer(call.connected_at, "call-duration") : t(`call_${call.state}`)),
        node("td", {}, levelChip(call.crisis_level, call.colour, call.flashing)),
        node("td", {}, others || t("nobody")),
        node("td", {}, actions, status),
      );
    }),
  );
  el.callsEmpty.hidden = board.calls.length > 0;

  // Contacts by channel, then the queues (each line's waiting contacts by channel).
  replaceRows(
    el.channels,
    board.channels.map((row) =>
      node(
        "tr",
        { "data-testid": "channel-row", "data-channel": row.channel, "data-waiting": row.waiting, "data-live": row.live },
        node("td", {}, t(`channel_${row.channel}`)),
        node("td", { className: "num" }, String(row.waiting)),
        node("td", { className: "num" }, String(row.live)),
      ),
    ),
  );
  replaceRows(
    el.lines,
    board.lines.map((line) =>
      node(
        "tr",
        { "data-testid": "line-row", "data-line-id": line.line_id, "data-queue": line.queue_length },
        node("td", {}, line.name, " ", node("span", { className: "num", dir: "ltr" }, line.number)),
        node(
          "td",
          { className: "num", "data-testid": "queue-length", "data-in-danger": line.in_danger_waiting },
          String(line.queue_length),
          ...Object.entries(line.waiting_by_channel || {}).map(([channel, count]) =>
            node("span", { className: "by-channel", "data-testid": "waiting-channel", "data-channel": channel },
              ` · ${t(`channel_${channel}`)} ${count}`)),
          line.in_danger_waiting
            ? node("span", { className: "overdue-priority", "data-testid": "in-danger-waiting" },
                " · ", t("in_danger_waiting").replace("{count}", String(line.in_danger_waiting)))
            : "",
        ),
        node("td", {}, line.longest_wait_since ? timer(line.longest_wait_since, "longest-wait") : "—"),
        node(
          "td",
          { className: "num", "data-testid": "followups-overdue", "data-priority": line.followups_overdue_priority },
          line.followups_overdue
            ? node(
                "a",
                {
                  href: `/supervisor/followups?status=overdue&line=${line.line_id}`,
                  className: line.followups_overdue_priority ? "overdue-priority" : "",
                },
                String(line.followups_overdue),
              )
            : "0",
        ),
        node(
          "td",
          { className: "num", "data-testid": "voicemails-waiting" },
          line.voicemails_waiting
            ? node(
                "a",
                {
                  href: `/supervisor/voicemails?status=waiting&line=${line.line_id}`,
                  className: "overdue-priority",
                },
                String(line.voicemails_waiting),
                " · ",
                timer(line.oldest_voicemail_at, "oldest-voicemail"),
              )
            : "0",
        ),
      ),
    ),
  );

  // Help requests, and the alert for the ones addressed to this supervisor.
  const ack = (request) => {
    const action = button(t("ack"), "btn-ack-help", () => command({ type: "ack_help", help_id: request.help_id }));
    action.dataset.focusKey = `help-${request.help_id}`;
    return action;
  };
  replaceRows(
    el.help,
    board.help_requests.map((request) =>
      node(
        "tr",
        { className: "help-row", "data-testid": "help-row", "data-help-id": request.help_id, "data-for-me": request.for_me ? "true" : "false" },
        node("td", {}, request.counselor_name),
        node("td", {}, request.line_name),
        node("td", {}, timer(request.created_at, "help-waiting")),
        node("td", {}, ack(request)),
      ),
    ),
  );
  el.helpEmpty.hidden = board.help_requests.length > 0;
  const mine = board.help_requests.filter((request) => request.for_me);
  el.alerts.hidden = mine.length === 0;
  el.alertList.replaceChildren(
    ...mine.map((request) =>
      node(
        "li",
        { "data-testid": "help-alert", "data-help-id": request.help_id },
        node("strong", {}, request.counselor_name),
        ` · ${request.line_name} · `,
        timer(request.created_at, "help-alert-waiting"),
        ack(request),
      ),
    ),
  );

  // Escalations.
  replaceRows(
    el.escalations,
    board.escalations.map((escalation) =>
      node(
        "tr",
        { "data-testid": "escalation-row", "data-escalation-id": escalation.escalation_id, "data-status": escalation.status },
        node("td", {}, escalation.line_name),
        node("td", {}, levelChip(escalation.level, escalation.colour, escalation.level === "imminent")),
        node(
          "td",
          {},
          t(`escalation_${escalation.status}`),
          escalation.call_ended_time
            ? node("span", { className: "call-ended", "data-testid": "escalation-call-ended" },
                " · ", t("escalation_call_ended").replace("{time}", escalation.call_ended_time))
            : null,
        ),
        node(
          "td",
          {},
          escalation.step
            ? t("escalation_step")
              .replace("{step}", escalation.step)
              .replace("{steps}", escalation.steps)
              .replace("{round}", escalation.round)
            : t("escalation_not_paged"),
        ),
        node("td", {}, timer(escalation.created_at, "escalation-age")),
      ),
    ),
  );
  el.escalationsEmpty.hidden = board.escalations.length > 0;

  // Counselors.
  el.counts.replaceChildren(
    ...Object.entries(board.counselors_by_state).map(([state, count]) =>
      node("li", { className: "chip", "data-testid": "state-count", "data-state": state }, `${t(`state_${state}`)}: ${count}`),
    ),
  );
  replaceRows(
    el.counselors,
    board.counselors.map((person) =>
      node(
        "tr",
        { "data-testid": "counselor-row", "data-user-id": person.user_id, "data-state": person.state, "data-conversations": person.conversations },
        node("td", {}, person.name),
        node("td", { "data-testid": "counselor-state" }, stateText(person)),
        node("td", {}, person.since ? timer(person.since, "state-time") : "—"),
      ),
    ),
  );

  if (focusedId) {
    const again = document.querySelector(`[data-focus-key="${CSS.escape(focusedId)}"]`);
    if (again) {
      again.focus();
    }
  }
}

function tickTimers() {
  for (const cell of document.querySelectorAll(".timer[data-since]")) {
    const text = elapsed(cell.dataset.since);
    if (cell.textContent !== text) {
      cell.textContent = text;
    }
  }
}

function renderConnection(status) {
  el.conn.dataset.status = status;
  el.connText.textContent = t(`conn_${status}`);
}

function showError(message) {
  el.errorText.textContent = message;
  el.errorBox.hidden = false;
}


// ---- the socket ----------------------------------------------------------------------------

const live = new LiveSocket(config.ws_path || "/ws/board", {
  connecting(attempt) {
    renderConnection(attempt === 0 ? "connecting" : "reconnecting");
  },
  open() {
    live.resetBackoff();
    renderConnection("connected");
  },
  message(message) {
    if (message.type === "board") {
      serverClock.sync(message.server_time);
      board = message;
      render();
    } else if (message.type === "error" && typeof message.message === "string") {
      showError(message.message);
    }
  },
  close(event) {
    if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
      window.location.assign("/login");
      return false;
    }
    return true;
  },
  lost() {
    renderConnection("reconnecting");
  },
});

function command(message) {
  if (!live.send(message)) {
    showError(t("conn_reconnecting"));
  }
}

let lastTickAt = Date.now();

function tick() {
  const now = Date.now();
  const gap = now - lastTickAt;
  lastTickAt = now;
  tickTimers();
  live.heartbeat(gap);
}

if (el.conn && el.calls) {
  el.errorDismiss.addEventListener("click", () => {
    el.errorBox.hidden = true;
  });
  window.setInterval(tick, 1000);
  live.connect();
}
