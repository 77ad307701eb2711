"""A supervisor's monitor leg (listen, whisper, barge from the live board) rings where routing
would: their browser phone when they chose it for this shift, so a supervisor with no number
monitors from the console's phone panel, which answers and hangs up that leg as it does a
counselor's (simulator mode: the app's adapter)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role, User
from hotline.board import service as board
from hotline.board.models import CallMonitor, MonitorMode, MonitorStatus
from hotline.calls.models import Call
from hotline.db import Database
from hotline.routing import service as routing
from hotline.routing.models import PhoneMode
from hotline.simulator.console_client import ConsoleClient
from tests.board.helpers import BoardClient, my_monitor
from tests.board.test_monitor import LINE, legs, supervisor_leg, take_call
from tests.browser import chromium
from tests.calls import connected_call
from tests.console.test_console_e2e import sign_in
from tests.factories import PASSWORD, make_line, make_user
from tests.softphone.test_simulated_leg import Panel
from tests.stack import Stack, running_stack


@pytest.fixture
def people_stack(database_url: str) -> Iterator[Stack]:
    """A browser phone rings until it is answered (a person's wait, in real seconds)."""
    with running_stack(database_url, gather_time_scale=1.0) as stack:
        yield stack


def phoneless_supervisor(db: Database, username: str) -> User:
    user = make_user(db, username, role=Role.supervisor)
    with db.session() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.endpoint = ""  # a supervisor who gave no number
        session.add(stored)
    user.endpoint = ""
    return user


def start(stack: Stack, user: User, call_id: int) -> CallMonitor:
    with stack.db.session() as session:
        monitor = board.start_monitor(
            session=session,
            user=user,
            call_id=call_id,
            mode=MonitorMode.listen,
            now=stack.clock.now(),
        )
        session.expunge(monitor)
        return monitor


def choose(stack: Stack, user: User, mode: PhoneMode) -> None:
    with stack.db.session() as session:
        routing.set_phone_mode(session=session, user=user, mode=mode, now=stack.clock.now())


def test_no_number_monitors_only_with_the_browser(app_only: Stack) -> None:
    """The service: refused with neither a phone nor the browser; with the browser the monitor
    is theirs, shown to their console, and where calls ring stays put until it is over."""
    stack = app_only
    make_line(stack.db, number=LINE)
    sue = phoneless_supervisor(stack.db, "sue")
    call_id, _ = connected_call(stack, "CA" + "1" * 32, "alice")
    with pytest.raises(board.BoardError) as refused:
        start(stack, sue, call_id)
    assert refused.value.code == "no_endpoint"
    with stack.db.session() as session:  # the refusal wrote nothing
        assert session.exec(select(CallMonitor)).first() is None

    choose(stack, sue, PhoneMode.browser)
    monitor = start(stack, sue, call_id)
    assert monitor.status == MonitorStatus.dialing
    with stack.db.session() as session:
        shown = board.monitor_of(session=session, user_id=sue.id or 0)
        assert routing.endpoint_for(session=session, user=sue) == f"client:user-{sue.id}"
    assert shown == {
        "monitor_id": monitor.id,
        "call_id": call_id,
        "mode": "listen",
        "status": "dialing",
    }
    # Not while the leg is being rung at the browser: it would not be where they expect.
    with pytest.raises(routing.RoutingError) as busy:
        choose(stack, sue, PhoneMode.phone)
    assert busy.value.code == "phone_mode_busy"

    with stack.db.session() as session:
        board.stop_monitor(
            session=session, user=sue, monitor_id=monitor.id or 0, now=stack.clock.now()
        )
        assert board.monitor_of(session=session, user_id=sue.id or 0) is None
    choose(stack, sue, PhoneMode.phone)  # over: they may change it again
    with pytest.raises(board.BoardError):
        start(stack, sue, call_id)


def own_monitor(snapshot: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = snapshot.get("monitor") or {}
    return found


def test_the_browser_phone_answers_the_monitor_leg_and_leaves(people_stack: Stack) -> None:
    """Over the wire: the board asks, the simulator rings `client:user-<id>` from the line's
    number, the console's adapter answers it into the conference (muted: listen), a switch to
    whisper changes that same leg, and hanging it up leaves the call, which goes on."""
    stack = people_stack
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    sue = phoneless_supervisor(stack.db, "sue")
    stack.dispatcher.sync_numbers()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    console = ConsoleClient(stack.url, "sue", PASSWORD)
    panel = Panel(console)
    supervisor = BoardClient(stack.url, "sue", PASSWORD)
    call_id, caller = take_call(stack, counselor)
    supervisor.wait(lambda b: any(c["call_id"] == call_id and c["monitorable"] for c in b["calls"]))
    supervisor.send("monitor", call_id=call_id, mode="listen")
    assert "browser phone" in supervisor.wait_error("no_endpoint")["message"]

    console.send("set_phone_mode", mode="browser")
    console.wait(lambda s: s["agent"]["phone_mode"] == "browser")
    assert panel.post("ready").status_code == 204
    supervisor.send("monitor", call_id=call_id, mode="listen")
    dialing = console.wait(lambda s: own_monitor(s).get("status") == "dialing")
    assert own_monitor(dialing)["call_id"] == call_id and dialing["agent"]["state"] == "offline"
    stack.simulator.wait_for(lambda: panel.leg() == "ringing")
    [leg] = stack.simulator.list_calls(to=f"client:user-{sue.id}")
    assert leg["from"] == LINE and supervisor_leg(stack, caller) is None  # not in until answered

    assert panel.post("answer").status_code == 204
    supervisor.wait(lambda b: (my_monitor(b, call_id) or {}).get("status") == "joined")
    console.wait(lambda s: own_monitor(s).get("status") == "joined")
    listening = stack.simulator.wait_for(lambda: supervisor_leg(stack, caller))
    assert listening["call_sid"] == leg["sid"] and listening["label"] == f"supervisor:{sue.id}"
    assert listening["muted"] is True and listening["heard_by"] == []
    assert panel.leg() == "connected"
    with stack.db.session() as session:
        call_monitor = session.exec(select(CallMonitor)).one()
        assert call_monitor.leg_sid == leg["sid"] and call_monitor.status == MonitorStatus.joined
        counselor_leg = session.get(Call, call_id).counselor_call_sid  # type: ignore[union-attr]

    # Where calls ring stays put while the leg is theirs.
    console.send("set_phone_mode", mode="phone")
    stack.simulator.wait_for(lambda: console.errors or console.next_snapshot(0.1) and None)
    assert [e["code"] for e in console.errors] == ["phone_mode_busy"]

    # Whisper: the same browser leg now coaches the counselor.
    supervisor.send("monitor", call_id=call_id, mode="whisper")
    whispering = stack.simulator.wait_for(
        lambda: (found := supervisor_leg(stack, caller)) and found["coaching"] and found
    )
    assert whispering["call_sid"] == leg["sid"] and whispering["heard_by"] == [counselor_leg]

    # The panel hangs up: the supervisor has left; the caller and the counselor go on.
    assert panel.post("hangup").status_code == 204
    supervisor.wait(lambda b: my_monitor(b, call_id) is None)
    console.wait(lambda s: s.get("monitor") is None)
    stack.simulator.wait_for(lambda: panel.leg() == "none")
    assert set(legs(stack, caller)) == {caller, counselor_leg}
    with stack.db.session() as session:
        ended = session.exec(select(CallMonitor)).one()
        assert ended.status == MonitorStatus.ended and ended.joined_at is not None
    for client in (counselor, console, supervisor):
        client.close()


def test_a_supervisor_with_no_number_listens_in_from_the_console_phone(
    people_stack: Stack,
) -> None:
    """In Chromium: the supervisor's console (browser phone chosen) and their live board, two
    tabs of one sign-in; Listen on the board rings the console's phone panel, which answers and
    later hangs up."""
    stack = people_stack
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    sue = phoneless_supervisor(stack.db, "sue")
    stack.dispatcher.sync_numbers()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    with chromium() as browser:
        context = browser.new_context()
        console = context.new_page()
        errors: list[str] = []
        console.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        console.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(console, stack.url, "sue")
        expect(console.get_by_test_id("conn-status")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        console.get_by_test_id("phone-mode-browser").click()
        state = console.get_by_test_id("phone-state")
        expect(state).to_have_attribute("data-state", "ready", timeout=10_000)

        live_board = context.new_page()
        live_board.on("pageerror", lambda e: errors.append(str(e)))
        live_board.goto(stack.url + "/supervisor/board")
        expect(live_board.get_by_test_id("board-conn")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        call_id, caller = take_call(stack, counselor)
        row = live_board.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]')
        expect(row).to_be_visible(timeout=10_000)
        row.get_by_test_id("btn-listen").click()
        status = row.get_by_test_id("monitor-status")
        expect(status).to_have_attribute("data-status", "dialing", timeout=10_000)

        expect(state).to_have_attribute("data-state", "ringing", timeout=10_000)
        expect(state).to_have_text("Ringing: answer to join the call you chose on the live board.")
        console.get_by_test_id("btn-phone-answer").click()
        expect(state).to_have_attribute("data-state", "connected", timeout=10_000)
        expect(status).to_have_attribute("data-status", "joined", timeout=10_000)
        leg = stack.simulator.wait_for(lambda: supervisor_leg(stack, caller))
        assert leg["muted"] is True
        assert stack.simulator.get_call(leg["call_sid"])["to"] == f"client:user-{sue.id}"
        console.screenshot(path=str(stack.extra.get("shots", "/tmp")) + "/monitor-browser.png")

        console.get_by_test_id("btn-phone-hangup").click()
        expect(row.get_by_test_id("monitor-status")).to_have_count(0, timeout=10_000)
        expect(state).to_have_attribute("data-state", "ready", timeout=10_000)
        stack.simulator.wait_for_status(leg["call_sid"], "completed")
        assert caller in legs(stack, caller) and supervisor_leg(stack, caller) is None
        assert errors == []
    counselor.close()
