"""The caller hangs up while the counselor's phone is still ringing for their call: the offer is
withdrawn and the counselor is available again. A missed offer they did not cause never sets
them away (only their own phone failing, or an offer they let lapse, does).

A regression guard: in this order (the caller's callbacks before any about the counselor's leg)
the simulator shows no defect today; see the mend report for the orderings not covered."""

from __future__ import annotations

from hotline.calls.models import Call, CallState
from hotline.routing.models import AgentState, AgentStatus
from hotline.simulator.console_client import ConsoleClient
from tests.factories import PASSWORD, make_line, make_user
from tests.stack import ACCOUNT_SID, Stack, running_stack

LINE = "+8657796525"
PHONE = "+8613900008888"


def agent_state(stack: Stack, user_id: int) -> tuple[AgentState, str | None]:
    with stack.db.session() as session:
        status = session.get(AgentStatus, user_id)
        assert status is not None
        return status.state, status.reason


def call_state(stack: Stack, call_id: int) -> CallState | None:
    with stack.db.session() as session:
        call = session.get(Call, call_id)
        return call.state if call is not None else None


def test_a_caller_hanging_up_while_the_counselors_phone_rings_leaves_them_available(
    database_url: str,
) -> None:
    # A manual phone rings "for ever" (no answer) until the caller's hang-up cancels it.
    with running_stack(database_url, gather_time_scale=1000.0) as stack:
        make_line(stack.db, number=LINE)
        stack.dispatcher.sync_numbers()
        carol = make_user(stack.db, "carol", endpoint=PHONE)
        assert carol.id is not None
        stack.simulator.set_phone(PHONE, "manual")
        console = ConsoleClient(stack.url, "carol", PASSWORD)
        console.send("set_state", state="available", reason=None)
        console.state("available")
        caller = stack.simulator.place_call("+8613800000004", LINE, digits="1")
        call_id = console.offer()["call_id"]
        console.send("accept", call_id=call_id)
        console.wait(lambda s: (s["call"] or {}).get("state") == "connecting")

        def ringing_leg() -> str | None:
            ringing = stack.simulator.phones()["ringing"]
            return next((c["sid"] for c in ringing if c["to"] == PHONE), None)

        leg = stack.simulator.wait_for(ringing_leg)
        stack.simulator.hangup(caller)
        # Her leg is ended under her, and every callback about it is in.
        stack.simulator.wait_for_status(leg, "canceled", "completed", "no-answer", "failed")
        stack.simulator.wait_for(lambda: call_state(stack, call_id) == CallState.abandoned)
        console.wait(lambda s: s["call"] is None)
        stack.clock.advance(120)  # past any offer or connect deadline
        stack.dispatcher.tick()
        assert agent_state(stack, carol.id) == (AgentState.available, None)
        console.close()


def test_the_cancelled_leg_reported_before_the_callers_hang_up_does_not_set_them_away(
    database_url: str,
) -> None:
    """Twilio sends the callbacks of one moment in any order: the counselor's leg `canceled`
    (the conference ended as the caller left) may come in before the caller's own. It is the
    caller's doing, never a missed offer of the counselor's."""
    with running_stack(database_url, gather_time_scale=1000.0) as stack:
        make_line(stack.db, number=LINE)
        stack.dispatcher.sync_numbers()
        carol = make_user(stack.db, "carol", endpoint=PHONE)
        assert carol.id is not None
        stack.simulator.set_phone(PHONE, "manual")
        console = ConsoleClient(stack.url, "carol", PASSWORD)
        console.send("set_state", state="available", reason=None)
        console.state("available")
        caller = stack.simulator.place_call("+8613800000006", LINE, digits="1")
        call_id = console.offer()["call_id"]
        console.send("accept", call_id=call_id)

        def ringing_leg() -> str | None:
            ringing = stack.simulator.phones()["ringing"]
            return next((c["sid"] for c in ringing if c["to"] == PHONE), None)

        leg = stack.simulator.wait_for(ringing_leg)
        # The leg's `canceled` first, as Twilio may deliver it: the caller has not been heard of.
        path = f"/twilio/participant/status?call_id={call_id}&user_id={carol.id}"
        cancelled = {"CallSid": leg, "CallStatus": "canceled", "AccountSid": ACCOUNT_SID}
        assert stack.webhook(path, cancelled).status_code == 200
        assert agent_state(stack, carol.id) == (AgentState.on_call, None)
        assert call_state(stack, call_id) == CallState.offered
        stack.simulator.hangup(caller)
        stack.simulator.wait_for(lambda: call_state(stack, call_id) == CallState.abandoned)
        console.wait(lambda s: s["call"] is None)
        assert agent_state(stack, carol.id) == (AgentState.available, None)
        console.close()
