"""The Lines page (`/admin/lines`) over real HTTP, on both databases: lines created and edited
with overnight hours, holidays and several numbers; bad input shown next to the field with
nothing saved; the provider's answer after a save; deactivation confirmed, the only line refused;
every change in the audit log; nobody but an admin gets in."""

from __future__ import annotations

import json

import httpx
from sqlmodel import select

from hotline.audit.models import AuditEvent
from hotline.auth.models import Role
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.simulator.console_client import csrf_from
from tests.factories import PASSWORD, make_line, make_user
from tests.security.helpers import client, post_login
from tests.stack import Stack

FORM = {
    "name": "Wenzhou line",
    "numbers": "0577 9652 5\n12356",
    "languages": "zh_CN, en",
    "timezone": "Asia/Shanghai",
    "always_open": "",
    **{f"hours_{day}": "20:00-08:00" for day in lines.WEEKDAYS},
    "special_days": "2026-12-25 closed",
    "after_hours_action": "forward",
    "max_queue_wait_s": "240",
    "overflow_action": "voicemail",
    "partner_number": "0577 0000 0",
    "recording": "1",
    "local_prefixes": "+86577, 0577",
    "retention_days": "2000",
    "escalation_policy_id": "",
}


def _admin(stack: Stack) -> tuple[httpx.Client, str]:
    make_user(stack.db, "root", role=Role.admin)
    http = client(stack)
    assert post_login(http, "root", PASSWORD).status_code == 303
    return http, csrf_from(http.get("/admin/lines?lang=en").text)


def _lines(stack: Stack) -> list[Line]:
    with stack.db.session() as session:
        found = list(session.exec(select(Line).order_by(Line.id)))  # type: ignore[arg-type]
        for line in found:
            session.expunge(line)
        return found


def _audit(stack: Stack) -> list[str]:
    with stack.db.session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.object_type == "line").order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
        return [row.detail or "" for row in rows]


def _changes(*details: str) -> dict[str, dict[str, object]]:
    """The before and after of one change, over its audit rows (300 characters each)."""
    merged: dict[str, dict[str, object]] = {}
    for detail in details:
        for side, values in json.loads(detail.split(": ", 1)[1]).items():
            merged.setdefault(side, {}).update(values)
    return merged


def test_create_a_line_with_overnight_hours_a_holiday_and_two_numbers(stack: Stack) -> None:
    http, token = _admin(stack)
    made = http.post("/admin/lines", data={**FORM, "csrf_token": token})
    assert made.status_code == 200, made.text[:800]
    assert made.text.count('data-testid="sync-answer" data-ok="true"') == 2
    (line,) = _lines(stack)
    assert line.number == "+8657796525" and line.timezone == "Asia/Shanghai"
    assert line.opening_hours == {day: [["20:00", "08:00"]] for day in lines.WEEKDAYS}
    assert line.special_days == {"2026-12-25": []}
    assert line.partner_number == "+8657700000" and line.recording
    assert (line.max_queue_wait_s, line.overflow_action, line.retention_days) == (
        240,
        "voicemail",
        2000,
    )
    assert line.local_prefixes == ["+86577", "0577"] and line.languages == ["zh_CN", "en"]
    with stack.db.session() as session:
        assert lines.numbers_of(session=session, line=line) == ["+8657796525", "+8612356"]
        assert lines.get_by_number(session=session, number="+8612356") is not None
    # The provider now sends both numbers here.
    pointed = {n["number"]: n["voice_url"] for n in stack.simulator.list_numbers()}
    assert pointed["+8612356"] == stack.url + "/twilio/voice/incoming"
    assert pointed["+8657796525"] == stack.url + "/twilio/voice/incoming"

    listed = http.get("/admin/lines").text
    assert "+8657796525, +8612356" in listed and "Wenzhou line" in listed
    assert 'data-testid="line-open">Closed' in listed  # 11:00 in Shanghai
    created = _audit(stack)
    assert all(row.startswith("created (admin page)") and len(row) <= 300 for row in created)
    after = _changes(*created)["after"]
    assert after["numbers"] == ["+8657796525", "+8612356"]
    assert after["opening_hours"] == "mon-sun 20:00-08:00"
    assert after["special_days"] == "2026-12-25 closed" and after["retention_days"] == 2000


def test_bad_input_is_shown_next_to_each_field_and_nothing_is_saved(app_only: Stack) -> None:
    http, token = _admin(app_only)
    bad = {
        **FORM,
        "numbers": "call me",
        "timezone": "Mars/Olympus",
        "hours_tue": "8am-5pm",
        "special_days": "Christmas closed",
        "retention_days": "100",
        "max_queue_wait_s": "soon",
        "partner_number": "nobody",
        "languages": "klingon",
        "local_prefixes": "abc",
        "escalation_policy_id": "999",
        "after_hours_action": "sing",
        "csrf_token": token,
    }
    refused = http.post("/admin/lines", data=bad)
    assert refused.status_code == 422
    for name in (
        "numbers",
        "timezone",
        "hours_tue",
        "special_days",
        "retention_days",
        "max_queue_wait_s",
        "partner_number",
        "languages",
        "local_prefixes",
        "escalation_policy_id",
        "after_hours_action",
    ):
        assert f'data-testid="error-{name}"' in refused.text, name
    assert "at least 1095 days" in refused.text
    assert 'value="Mars/Olympus"' in refused.text  # what was typed is kept
    never = http.post(
        "/admin/lines",
        data={**FORM, **{f"hours_{d}": "" for d in lines.WEEKDAYS}, "special_days": ""}
        | {"csrf_token": token},
    )
    assert never.status_code == 422 and 'data-testid="error-hours_mon"' in never.text
    assert _lines(app_only) == [] and _audit(app_only) == []


def test_a_number_of_another_line_is_refused(app_only: Stack) -> None:
    make_line(app_only.db, number="+8612356")
    http, token = _admin(app_only)
    refused = http.post("/admin/lines", data={**FORM, "csrf_token": token})
    assert refused.status_code == 422
    assert "The number +8612356 already reaches another line." in refused.text
    assert len(_lines(app_only)) == 1


def test_edit_is_audited_before_and_after_and_the_provider_error_is_shown(
    app_only: Stack,
) -> None:
    """app_only has no simulator: the provider does not answer, and the page says so."""
    line = make_line(app_only.db, number="+8657796525")
    http, token = _admin(app_only)
    page = http.get(f"/admin/lines/{line.id}")
    assert page.status_code == 200 and f'href="/admin/lines/{line.id}/prompts"' in page.text
    saved = http.post(
        f"/admin/lines/{line.id}",
        data={**FORM, "numbers": "+8657796525\n12356", "csrf_token": token},
    )
    assert saved.status_code == 200, saved.text[:800]
    assert 'data-testid="sync-answer" data-ok="false"' in saved.text  # the new number, refused
    assert "+8612356" in saved.text
    edited = _audit(app_only)
    assert all(row.startswith("edited (admin page)") and len(row) <= 300 for row in edited)
    changes = _changes(*edited)
    assert changes["before"]["numbers"] == ["+8657796525"]
    assert changes["after"]["numbers"] == ["+8657796525", "+8612356"]
    assert changes["before"]["opening_hours"] == "24h"
    assert changes["after"]["opening_hours"] == "mon-sun 20:00-08:00"
    assert changes["after"]["special_days"] == "2026-12-25 closed"
    assert "name" in changes["after"] and "timezone" not in changes["after"]


def test_the_preview_now_and_at_a_chosen_time(app_only: Stack) -> None:
    line = make_line(
        app_only.db,
        number="+8657796525",
        languages=["en"],
        opening_hours={day: [["20:00", "08:00"]] for day in lines.WEEKDAYS},
        special_days={"2026-12-25": []},
        partner_number="+8657700000",
    )
    http, _ = _admin(app_only)
    # The fake clock: Monday 2026-11-23 03:00 UTC, 11:00 in Shanghai: closed.
    now = http.get(f"/admin/lines/{line.id}").text
    assert 'data-testid="now-decision" data-open="false" data-action="forward"' in now
    assert "Forwards to: +8657700000" in now
    night = http.get(f"/admin/lines/{line.id}", params={"at": "2026-11-28T03:00"}).text
    assert 'data-testid="at-decision" data-open="true" data-action="open"' in night
    assert "2026-11-28 03:00" in night and "Welcome to the Line +8657796525" in night
    holiday = http.get(f"/admin/lines/{line.id}", params={"at": "2026-12-25T23:00"}).text
    assert 'data-testid="at-decision" data-open="false"' in holiday
    assert 'data-testid="at-special"' in holiday


def test_deactivate_confirms_refuses_the_only_line_and_reactivates(app_only: Stack) -> None:
    only = make_line(app_only.db, number="+8657796525")
    http, token = _admin(app_only)
    refused = http.post(f"/admin/lines/{only.id}/deactivate", data={"csrf_token": token})
    assert refused.status_code == 409 and "only active line" in refused.text
    other = make_line(app_only.db, number="+8612356")
    asked = http.post(f"/admin/lines/{other.id}/deactivate", data={"csrf_token": token})
    assert asked.status_code == 200 and 'data-testid="deactivate-warning"' in asked.text
    assert "+8612356" in asked.text
    assert all(line.active for line in _lines(app_only))  # nothing yet
    done = http.post(
        f"/admin/lines/{other.id}/deactivate",
        data={"csrf_token": token, "confirm": "1"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and 'data-testid="inactive-badge"' in done.text
    assert [line.active for line in _lines(app_only)] == [True, False]
    with app_only.db.session() as session:
        assert lines.get_by_number(session=session, number="+8612356") is None
    again = http.post(
        f"/admin/lines/{other.id}/activate", data={"csrf_token": token}, follow_redirects=True
    )
    assert again.status_code == 200 and "The line was activated." in again.text
    deactivated, activated = _audit(app_only)
    assert deactivated.startswith("deactivated (admin page)")
    assert _changes(deactivated) == {"before": {"active": True}, "after": {"active": False}}
    assert activated.startswith("activated (admin page)")


def test_only_admins_get_in(app_only: Stack) -> None:
    line = make_line(app_only.db)
    for role in (Role.counselor, Role.crisis, Role.supervisor):
        make_user(app_only.db, role.value, role=role)
        http = client(app_only)
        assert post_login(http, role.value, PASSWORD).status_code == 303
        assert http.get("/admin/lines").status_code == 403
        assert http.get(f"/admin/lines/{line.id}").status_code == 403
        token = csrf_from(http.get("/login?lang=en").text)
        posted = http.post(f"/admin/lines/{line.id}", data={**FORM, "csrf_token": token})
        assert posted.status_code == 403
    assert _audit(app_only) == []


def test_a_lines_page_gives_its_web_chat_address_and_qr_code(app_only: Stack) -> None:
    line = make_line(app_only.db, number="+8657796525")
    http, _ = _admin(app_only)
    page = http.get(f"/admin/lines/{line.id}").text
    address = f"{app_only.settings.public_base_url.rstrip('/')}/chat/{line.id}"
    assert f'href="{address}" data-testid="webchat-url"' in page
    assert 'src="data:image/svg+xml' in page and 'data-testid="webchat-qr"' in page
    assert 'data-testid="webchat"' not in http.get("/admin/lines/new").text
