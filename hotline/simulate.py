"""`hotline simulate`: simulated callers through the simulator, simulated counselors on websockets.

Against a running server (`hotline demo`): each caller thread places calls one after another,
presses 1 at the menu and waits; each counselor signs in, goes available, accepts offers, talks
for `talk_s`, hangs up and finishes wrap-up. The caller's wait is measured from dialling to the
moment the simulator shows a counselor in the caller's conference.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hotline.simulator.client import SimulatorControl, SimulatorControlError
from hotline.simulator.console_client import ConsoleClient, csrf_from

POLL_S = 0.05
# Written by `hotline demo` in its working directory while it runs, so that `hotline simulate`
# started in the same directory finds its port and the simulator's control token.
DEMO_ADDRESS = Path(".hotline-demo.json")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# What a simulated counselor records of a simulated call: nobody spoke, so no risk to assess.
SIMULATED_CALL_TYPE = "information"


class NoServer(RuntimeError):
    """Nothing answers at the address, or it is not a hotline with its simulator."""


@dataclass
class DemoAddress:
    base_url: str
    sim_token: str

    def write(self, path: Path = DEMO_ADDRESS) -> None:
        path.write_text(json.dumps({"base_url": self.base_url, "sim_token": self.sim_token}))
        os.chmod(path, 0o600)  # the token controls the simulator: for this user only

    def remove(self, path: Path = DEMO_ADDRESS) -> None:
        path.unlink(missing_ok=True)

    @classmethod
    def read(cls, path: Path = DEMO_ADDRESS) -> DemoAddress | None:
        try:
            data = json.loads(path.read_text())
            return cls(base_url=str(data["base_url"]), sim_token=str(data["sim_token"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def resolve_address(base_url: str | None, sim_token: str) -> DemoAddress:
    """What was given wins; else the running demo's file; else the demo's default port."""
    found = DemoAddress.read()
    return DemoAddress(
        base_url=base_url or (found.base_url if found else DEFAULT_BASE_URL),
        sim_token=sim_token or (found.sim_token if found else ""),
    )


class NoteWriter:
    """Submits the note of each simulated call, as a counselor must, so the demo's counts of
    unfinished notes stay true."""

    def __init__(self, console: ConsoleClient) -> None:
        self.http = console.http
        self.headers = {"X-CSRF-Token": csrf_from(self.http.get("/console").text)}

    def submit(self, call_id: int) -> None:
        opened = self.http.get(f"/api/calls/{call_id}/note").json()
        saved = self.http.put(
            f"/api/calls/{call_id}/note",
            json={"version": opened["version"], "fields": {"call_type": SIMULATED_CALL_TYPE}},
            headers=self.headers,
        ).json()
        self.http.post(
            f"/api/calls/{call_id}/note/submit",
            json={"version": saved["version"]},
            headers=self.headers,
        )


def counselor_bot(
    console: ConsoleClient, stop: threading.Event, talk_s: float = 0.0, write_notes: bool = False
) -> None:
    """Accept every offer, hang up after `talk_s` once connected, submit the note if asked and
    finish wrap-up at once."""
    notes = NoteWriter(console) if write_notes else None
    console.send("set_state", state="available", reason=None)
    done: set[tuple[str, int]] = set()
    connected_at: dict[int, float] = {}
    while not stop.is_set():
        snap = console.next_snapshot(timeout=0.1) or console.last
        if snap is None:
            continue
        offer, call = snap["offer"], snap["call"]
        if offer and ("accept", offer["call_id"]) not in done:
            done.add(("accept", offer["call_id"]))
            console.send("accept", call_id=offer["call_id"])
        elif call and call["state"] == "connected" and ("hangup", call["call_id"]) not in done:
            started = connected_at.setdefault(call["call_id"], time.monotonic())
            if time.monotonic() - started >= talk_s:
                done.add(("hangup", call["call_id"]))
                console.send("hangup", call_id=call["call_id"])
        elif call and call["state"] == "wrap_up" and ("wrap", call["call_id"]) not in done:
            done.add(("wrap", call["call_id"]))
            if notes is not None:
                notes.submit(call["call_id"])
            console.send("finish_wrap_up", call_id=call["call_id"])


@dataclass
class CallOutcome:
    outcome: str  # answered | abandoned | overflowed
    wait_s: float | None


def _counselor_in(conference: dict[str, Any] | None, caller_sid: str) -> bool:
    if not conference:
        return False
    return any(
        e.get("event") == "participant-join" and e.get("call_sid") != caller_sid
        for e in conference.get("events", [])
    )


def _overflowed(call: dict[str, Any]) -> bool:
    return any(
        "/twilio/voice/overflow" in str(entry.get("detail", {}).get("url", ""))
        for entry in call.get("transcript", [])
    )


def one_call(
    control: SimulatorControl, line: str, patience_s: float, timeout_s: float
) -> CallOutcome:
    caller = f"+86138{random.randrange(10**8):08d}"
    started = time.monotonic()
    sid = control.place_call(caller, line, digits="1")
    wait_s: float | None = None
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        call = control.get_call(sid)
        if wait_s is None:
            try:
                conference = control.get_conference(sid)
            except Exception:  # not created yet: the caller is still in the menu
                conference = None
            if _counselor_in(conference, sid):
                wait_s = time.monotonic() - started
        if call.get("status") in {"completed", "failed", "busy", "no-answer", "canceled"}:
            if wait_s is not None:
                return CallOutcome("answered", wait_s)
            return CallOutcome("overflowed" if _overflowed(call) else "abandoned", None)
        if wait_s is None and time.monotonic() - started > patience_s:
            control.hangup(sid)
        time.sleep(POLL_S)
    control.hangup(sid)
    return CallOutcome("answered" if wait_s is not None else "abandoned", wait_s)


def _line_numbers(control: SimulatorControl, base_url: str) -> list[str]:
    try:
        numbers = [n["number"] for n in control.list_numbers()]
    except httpx.TransportError:
        raise NoServer(f"no server answers at {base_url}") from None
    except SimulatorControlError as error:
        if error.status in (401, 403):
            raise NoServer(
                f"the simulator at {base_url}/sim refused the control token "
                "(give the one `hotline demo` printed: --sim-token)"
            ) from None
        raise NoServer(f"{base_url} has no simulator (HTTP {error.status})") from None
    if not numbers:
        raise NoServer(f"the simulator at {base_url}/sim knows no line numbers")
    return numbers


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def run(
    *,
    base_url: str,
    calls: int,
    concurrency: int,
    counselors: list[str],
    password: str,
    sim_token: str,
    lines: list[str] | None = None,
    talk_s: float = 1.0,
    patience_s: float = 600.0,
    timeout_s: float = 900.0,
) -> dict[str, Any]:
    control = SimulatorControl(base_url.rstrip("/") + "/sim", sim_token)
    numbers = lines or _line_numbers(control, base_url)
    stop = threading.Event()
    consoles = [ConsoleClient(base_url, name, password) for name in counselors]
    bots = [
        threading.Thread(target=counselor_bot, args=(c, stop, talk_s, True), daemon=True)
        for c in consoles
    ]
    for bot in bots:
        bot.start()
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = list(
                pool.map(
                    lambda i: one_call(control, numbers[i % len(numbers)], patience_s, timeout_s),
                    range(calls),
                )
            )
    finally:
        stop.set()
        for bot in bots:
            bot.join(timeout=5)
        for console in consoles:
            console.send("set_state", state="offline", reason=None)
            console.close()
    waits = [o.wait_s for o in outcomes if o.wait_s is not None]
    return {
        "offered": calls,
        "answered": sum(o.outcome == "answered" for o in outcomes),
        "abandoned": sum(o.outcome == "abandoned" for o in outcomes),
        "overflowed": sum(o.outcome == "overflowed" for o in outcomes),
        "wait_s_mean": round(statistics.fmean(waits), 3) if waits else None,
        "wait_s_p95": round(p95(waits), 3) if waits else None,
    }
