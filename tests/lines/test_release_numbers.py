"""Numbers leave the phone network's routing to a line when the line no longer has them,
through the real twilio library against the simulator: a number taken off a line, or those of a
deactivated line, are un-pointed (their voice URL answers "not in service", their SMS, status
and fallback URLs cleared), a caller dialling one hears that it is not in service, and
re-activating the line points its numbers here again; the page shows the provider's answer."""

from __future__ import annotations

from typing import Any

from tests.factories import make_line
from tests.lines.test_calls import CALLER, says
from tests.lines.test_lines_page import FORM, _admin
from tests.stack import Stack

LOCAL, NATIONAL, OTHER = "+8657796525", "+8612356", "+8657711111"
NOT_IN_SERVICE = "/twilio/voice/not-in-service"


def _numbers(stack: Stack) -> dict[str, dict[str, Any]]:
    return {n["number"]: n for n in stack.simulator.list_numbers()}


def _answers(html: str) -> list[str]:
    """The sync answers as shown: `data-ok ... data-released ...` per number, in order."""
    return [chunk.split(">", 1)[0] for chunk in html.split('data-testid="sync-answer" ')[1:]]


def test_a_removed_number_is_released_and_answers_not_in_service(stack: Stack) -> None:
    make_line(stack.db, number=OTHER)  # another line, so this one may be deactivated later
    http, token = _admin(stack)
    made = http.post("/admin/lines", data={**FORM, "csrf_token": token})
    assert made.status_code == 200
    line_id = int(made.text.split('action="/admin/lines/', 1)[1].split('"', 1)[0])
    assert _numbers(stack)[NATIONAL]["voice_url"] == stack.url + "/twilio/voice/incoming"

    kept = http.post(
        f"/admin/lines/{line_id}", data={**FORM, "numbers": "0577 9652 5", "csrf_token": token}
    )
    assert kept.status_code == 200, kept.text[:600]
    assert _answers(kept.text) == ['data-ok="true" data-released="true"']
    assert "+8612356:" in kept.text and "not in service" in kept.text
    released = _numbers(stack)[NATIONAL]
    assert released["voice_url"] == stack.url + NOT_IN_SERVICE
    assert not released.get("sms_url") and not released.get("voice_fallback_url")
    assert _numbers(stack)[LOCAL]["voice_url"] == stack.url + "/twilio/voice/incoming"

    # A caller who dials the released number is told so, in both languages, and hung up on.
    heard = says(stack, stack.simulator.place_call(CALLER, NATIONAL))
    assert heard == ["您拨打的号码暂未开通服务。", "This number is not in service."]


def test_deactivating_releases_the_lines_numbers_and_activating_points_them_again(
    stack: Stack,
) -> None:
    make_line(stack.db, number=OTHER)
    line = make_line(stack.db, number=LOCAL, other_numbers=[NATIONAL])
    stack.dispatcher.sync_numbers()
    http, token = _admin(stack)
    done = http.post(
        f"/admin/lines/{line.id}/deactivate", data={"csrf_token": token, "confirm": "1"}
    )
    assert done.status_code == 200 and 'data-testid="inactive-badge"' in done.text
    assert _answers(done.text) == ['data-ok="true" data-released="true"'] * 2
    numbers = _numbers(stack)
    assert {numbers[n]["voice_url"] for n in (LOCAL, NATIONAL)} == {stack.url + NOT_IN_SERVICE}
    assert numbers[OTHER]["voice_url"] == stack.url + "/twilio/voice/incoming"
    heard = says(stack, stack.simulator.place_call(CALLER, LOCAL))
    assert heard[-1] == "This number is not in service."

    again = http.post(f"/admin/lines/{line.id}/activate", data={"csrf_token": token})
    assert again.status_code == 200 and "The line was activated." in again.text
    assert _answers(again.text) == ['data-ok="true" data-released="false"'] * 2
    numbers = _numbers(stack)
    assert {numbers[n]["voice_url"] for n in (LOCAL, NATIONAL)} == {
        stack.url + "/twilio/voice/incoming"
    }
    assert numbers[LOCAL]["sms_url"] == stack.url + "/twilio/sms/incoming"


def test_the_provider_refusing_a_release_is_shown(app_only: Stack) -> None:
    """app_only has no simulator: the provider does not answer, and the page says so."""
    make_line(app_only.db, number=OTHER)
    line = make_line(app_only.db, number=LOCAL)
    http, token = _admin(app_only)
    done = http.post(
        f"/admin/lines/{line.id}/deactivate", data={"csrf_token": token, "confirm": "1"}
    )
    assert done.status_code == 200
    assert _answers(done.text) == ['data-ok="false" data-released="true"']
    assert 'class="sync-error"' in done.text
