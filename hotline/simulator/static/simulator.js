// The simulator page: dial a line, hear (read) what the caller hears, press keys, hang up,
// and answer the simulated phones. Strings come translated from the server.
(function () {
  "use strict";

  const settings = JSON.parse(document.getElementById("sim-settings").textContent);
  const t = settings.strings;
  const api = settings.root + "/control";
  const POLL_MS = 500;
  // The control token comes in the URL fragment (/sim/#token=...), which never reaches the
  // server or its log; kept for the tab so the language links keep working.
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token")
    || window.sessionStorage.getItem("simulatorToken") || "";
  window.sessionStorage.setItem("simulatorToken", token);

  const $ = (id) => document.getElementById(id);
  const dialForm = $("dial-form");
  const hangupButton = $("hangup");
  const dialButton = $("dial");
  const keypad = $("keypad");
  const statusLine = $("call-status");
  const transcript = $("transcript");
  const lineSelect = $("line");

  let callSid = null;
  let pollTimer = null;

  async function request(method, path, body) {
    const options = {
      method: method,
      headers: { Accept: "application/json", "X-Simulator-Token": token },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(api + path, options);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const message = data && (data.message || JSON.stringify(data.detail)) || response.status;
      throw new Error(String(message));
    }
    return data;
  }

  function showError(error) {
    statusLine.textContent = t.error + error.message;
  }

  function setInCall(active) {
    hangupButton.disabled = !active;
    dialButton.disabled = active;
    keypad.querySelectorAll("button").forEach((button) => {
      button.disabled = !active;
    });
  }

  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString() : "";
  }

  function entryText(entry) {
    const detail = entry.detail || {};
    if (entry.kind === "webhook") {
      const status = detail.status === null ? (detail.error || "-") : detail.status;
      return detail.method + " " + entry.text + " \u2192 " + status;
    }
    if (entry.kind === "say" && detail.language) {
      return entry.text + " [" + detail.language + "]";
    }
    if (entry.kind === "conference" && detail.event) {
      return entry.text + " (" + detail.event + ")";
    }
    return entry.text;
  }

  function renderTranscript(call) {
    transcript.replaceChildren();
    call.transcript.forEach((entry) => {
      const item = document.createElement("li");
      item.className = "entry entry-" + entry.kind;
      const time = document.createElement("time");
      time.textContent = clock(entry.at);
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = t["kind_" + entry.kind] || entry.kind;
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = entryText(entry);
      item.append(time, kind, text);
      transcript.append(item);
    });
    transcript.scrollTop = transcript.scrollHeight;
  }

  function renderStatus(call) {
    let text = t.status + ": " + (t["status_" + call.status] || call.status);
    if (call.in_conference && call.conference) {
      text += " \u00b7 " + t.conference + ": " + call.conference;
    }
    if (["completed", "busy", "failed", "no-answer", "canceled"].includes(call.status)) {
      text += " \u00b7 " + t.call_over;
    }
    statusLine.textContent = text;
  }

  async function pollCall() {
    if (!callSid) {
      return;
    }
    try {
      const call = await request("GET", "/calls/" + callSid);
      renderTranscript(call);
      renderStatus(call);
      const over = ["completed", "busy", "failed", "no-answer", "canceled"].includes(call.status);
      setInCall(!over);
      if (over) {
        stopPolling();
        return;
      }
    } catch (error) {
      showError(error);
    }
    pollTimer = window.setTimeout(pollCall, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) {
      window.clearTimeout(pollTimer);
      pollTimer = null;
    }
  }

  dialForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    stopPolling();
    transcript.replaceChildren();
    statusLine.textContent = t.dialing;
    try {
      const call = await request("POST", "/calls", {
        from: $("caller-number").value.trim(),
        to: lineSelect.value,
      });
      callSid = call.sid;
      setInCall(true);
      pollCall();
    } catch (error) {
      showError(error);
    }
  });

  hangupButton.addEventListener("click", async () => {
    if (!callSid) {
      return;
    }
    try {
      await request("POST", "/calls/" + callSid + "/hangup");
    } catch (error) {
      showError(error);
    }
  });

  keypad.addEventListener("click", async (event) => {
    const key = event.target.closest("button[data-key]");
    if (!key || !callSid) {
      return;
    }
    try {
      await request("POST", "/calls/" + callSid + "/digits", { digits: key.dataset.key });
    } catch (error) {
      showError(error);
    }
  });

  // ---------------------------------------------------------------- simulated phones

  function legItem(leg, actions) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = leg.to + " \u2190 " + leg.from + (leg.conference ? " \u00b7 " + leg.conference : "");
    item.append(label);
    actions.forEach((action) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action.label;
      if (action.danger) {
        button.className = "danger";
      }
      button.addEventListener("click", async () => {
        try {
          await request("POST", "/calls/" + leg.sid + "/" + action.path);
          pollPhones();
        } catch (error) {
          showError(error);
        }
      });
      item.append(button);
    });
    return item;
  }

  function renderLegs(list, legs, actions, empty) {
    list.replaceChildren();
    if (!legs.length && empty) {
      const item = document.createElement("li");
      item.className = "hint";
      item.textContent = empty;
      list.append(item);
    }
    legs.forEach((leg) => list.append(legItem(leg, actions)));
  }

  function renderPhones(phones) {
    const list = $("phone-list");
    list.replaceChildren();
    phones.forEach((phone) => {
      const item = document.createElement("li");
      item.textContent = phone.number + ": " + (t["mode_" + phone.mode] || phone.mode);
      list.append(item);
    });
  }

  async function pollPhones() {
    try {
      const state = await request("GET", "/phones");
      renderLegs($("ringing"), state.ringing, [
        { label: t.answer, path: "answer" },
        { label: t.decline, path: "hangup", danger: true },
      ], t.no_ringing);
      renderLegs($("connected"), state.connected, [
        { label: t.hang_up, path: "hangup", danger: true },
      ], "");
      renderPhones(state.phones);
    } catch (error) {
      showError(error);
    }
  }

  $("phone-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await request("POST", "/phones", {
        number: $("phone-number").value.trim(),
        mode: $("phone-mode").value,
        answer_delay_s: Number($("phone-delay").value || 0),
      });
      pollPhones();
    } catch (error) {
      showError(error);
    }
  });

  async function refreshLines() {
    if (lineSelect.options.length) {
      return;
    }
    try {
      const numbers = await request("GET", "/numbers");
      numbers.forEach((number) => {
        const option = document.createElement("option");
        option.value = number.number;
        option.textContent = number.friendly_name === number.number
          ? number.number : number.friendly_name + " (" + number.number + ")";
        lineSelect.append(option);
      });
      $("no-lines").hidden = numbers.length > 0;
    } catch (error) {
      showError(error);
    }
  }

  statusLine.textContent = t.no_call;
  setInCall(false);
  refreshLines();
  pollPhones();
  window.setInterval(pollPhones, POLL_MS);
  window.setInterval(refreshLines, 5000);
})();
