"""The browser phone against the simulator: routing rings `client:<identity>`, the console's
adapter answers and drops that leg (the simulator's token never leaves the server), and a leg
that drops mid-call leaves the caller in their conference, first in the queue, offered again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from hotline.calls.models import PRIORITY_IN_DANGER, Call, CallState
from hotline.i18n import gettext_for
from hotline.simulator.console_client import ConsoleClient, csrf_from
from tests.factories import PASSWORD, make_line
from tests.softphone.test_routing import without_phone
from tests.stack import SIM_TOKEN, Stack, running_stack

LINE = "+8657796525"
CALLER = "+8613812345678"
DROPPED = (
    "We lost the connection to your counselor. Please stay on the line: we are "
    "connecting you again."
)


@pytest.fixture
def people_stack(database_url: str) -> Iterator[Stack]:
    """The app and the simulator, with a person's wait in real seconds (a browser phone rings
    until it is answered, as a manual phone does)."""
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        yield stack


class Panel:
    """What the console's phone panel sends: the adapter's routes, with the CSRF header."""

    def __init__(self, console: ConsoleClient) -> None:
        self.http = console.http
        self.csrf = csrf_from(self.http.get("/console").text)

    def post(self, path: str) -> httpx.Response:
        return self.http.post(f"/api/phone/sim/{path}", headers={"X-CSRF-Token": self.csrf})

    def leg(self) -> str:
        response = self.http.get("/api/phone/sim/leg")
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        state: str = response.json()["state"]
        return state


def the_call(stack: Stack) -> Call:
    with stack.db.session() as session:
        call = session.exec(select(Call)).one()
        session.expunge(call)
        return call


def said(stack: Stack, call_sid: str) -> list[str]:
    transcript = stack.simulator.get_call(call_sid)["transcript"]
    return [entry["text"] for entry in transcript if entry["kind"] == "say"]


def caller_participant(stack: Stack, call_sid: str) -> dict[str, Any]:
    conference = stack.simulator.get_conference(call_sid)
    found: dict[str, Any] = next(p for p in conference["participants"] if p["call_sid"] == call_sid)
    return found


def take_offer(stack: Stack, console: ConsoleClient, panel: Panel) -> dict[str, Any]:
    offer = console.offer()
    console.send("accept", call_id=offer["call_id"])
    stack.simulator.wait_for(lambda: panel.leg() == "ringing")
    assert panel.post("answer").status_code == 204
    return console.wait(lambda s: (s["call"] or {}).get("state") == "connected")


def test_the_browser_leg_is_answered_dropped_and_offered_again(people_stack: Stack) -> None:
    stack = people_stack
    make_line(stack.db, number=LINE)
    nobody = without_phone(stack.db, "nophone")
    stack.dispatcher.sync_numbers()
    console = ConsoleClient(stack.url, "nophone", PASSWORD)
    panel = Panel(console)
    console.state("offline")
    console.send("set_state", state="available", reason=None)  # no number, phone mode "phone"
    stack.simulator.wait_for(lambda: console.errors or console.next_snapshot(0.1) and None)
    assert [e["code"] for e in console.errors] == ["no_phone"]

    console.send("set_phone_mode", mode="browser")
    console.wait(lambda s: s.get("agent", {}).get("phone_mode") == "browser")
    assert panel.post("ready").status_code == 204
    assert panel.leg() == "none"
    assert panel.post("answer").json()["code"] == "no_leg"  # nothing rings yet
    console.send("set_state", state="available", reason=None)
    console.state("available")

    caller = stack.simulator.place_call(CALLER, LINE, digits="1")
    connected = take_offer(stack, console, panel)
    assert connected["agent"]["state"] == "on_call" and panel.leg() == "connected"
    legs = stack.simulator.list_calls(to=f"client:user-{nobody.id}")
    assert len(legs) == 1 and legs[0]["answered"] and legs[0]["in_conference"]
    call = the_call(stack)
    assert call.state == CallState.connected and call.counselor_call_sid == legs[0]["sid"]

    # The network goes: the browser leg leaves the conference on its own.
    assert panel.post("hangup").status_code == 204
    console.wait(lambda s: s["agent"]["state"] == "wrap_up")
    stack.simulator.wait_for(lambda: the_call(stack).state == CallState.queued)
    dropped = the_call(stack)
    assert dropped.counselor_id is None and dropped.priority > PRIORITY_IN_DANGER
    held = stack.simulator.get_call(caller)
    assert held["status"] == "in-progress" and held["in_conference"]  # not left, not cut off
    # They are told once, in their language, then hear the hold music until someone is back.
    told = gettext_for("zh_CN")(DROPPED)
    stack.simulator.wait_for(lambda: said(stack, caller).count(told) == 1)
    assert caller_participant(stack, caller)["hold"] is True

    # They come back: the same caller, first in the queue, rings the browser phone again.
    console.send("finish_wrap_up", call_id=call.id)
    again = take_offer(stack, console, panel)
    assert again["call"]["call_id"] == call.id
    legs = stack.simulator.list_calls(to=f"client:user-{nobody.id}")
    assert len(legs) == 2 and the_call(stack).counselor_call_sid not in (None, legs[0]["sid"])
    assert stack.simulator.get_call(caller)["status"] == "in-progress"
    # Off hold again: the caller and the browser phone hear each other.
    new_leg = the_call(stack).counselor_call_sid
    stack.simulator.wait_for(lambda: new_leg in caller_participant(stack, caller)["hears"])
    assert caller_participant(stack, caller)["hold"] is False
    assert said(stack, caller).count(told) == 1  # said once, not on every pass of the music

    console.send("hangup", call_id=call.id)
    console.state("wrap_up")
    stack.simulator.wait_for(lambda: panel.leg() == "none")
    console.close()


def test_the_adapter_is_the_users_own_and_the_token_stays_on_the_server(
    people_stack: Stack,
) -> None:
    stack = people_stack
    make_line(stack.db, number=LINE)
    without_phone(stack.db, "nophone")
    other = without_phone(stack.db, "other")
    console = ConsoleClient(stack.url, "nophone", PASSWORD)
    panel = Panel(console)
    page = console.http.get("/console").text
    assert SIM_TOKEN not in page
    for path in ("ready", "answer", "hangup"):  # CSRF-checked like every state change
        assert console.http.post(f"/api/phone/sim/{path}").status_code == 403
    # Another user's ringing leg is not this user's to answer.
    stack.simulator.set_phone(f"client:user-{other.id}", "manual")
    assert panel.post("ready").status_code == 204
    assert panel.leg() == "none" and panel.post("hangup").json()["code"] == "no_leg"
    console.close()
