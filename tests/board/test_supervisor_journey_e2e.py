"""The supervisor's round in one Chromium session (issue 5, "done when"): a simulated call
appears on the live board (next to another line's overdue follow-up), the supervisor whispers to
the counselor, sees the counselor's escalation on the board, opens it in the escalation log, and
exports the month's report, which counts the call.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from playwright.sync_api import expect

from hotline.auth.models import Role
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.simulator.console_client import ConsoleClient
from hotline.voicemail.models import Voicemail
from tests.board.test_monitor import LINE, SUPERVISOR_PHONE, supervisor_leg, take_call
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import PASSWORD, make_line, make_user
from tests.followups.drive import bare_follow_up
from tests.notes.test_api import NoteClient
from tests.stack import Stack


def test_the_supervisors_round(stack: Stack, tmp_path: Path) -> None:
    line = make_line(stack.db, number=LINE)
    alice = make_user(stack.db, "alice")
    make_user(stack.db, "sam", role=Role.supervisor, endpoint=SUPERVISOR_PHONE)
    # Another line has a high-risk caller's follow-up an hour past due.
    other = make_line(stack.db, number="+8612356")
    assert other.id is not None
    with stack.db.session() as session:
        late = bare_follow_up(
            session,
            alice,
            other.id,
            "late",
            stack.clock.now() - timedelta(hours=1),
            FollowUpStatus.scheduled,
        )
        follow_up = session.get(FollowUp, late)
        assert follow_up is not None
        follow_up.priority = True
        # ...and a voicemail nobody has handled yet, left half an hour ago.
        session.add(
            Voicemail(
                call_id=follow_up.call_id,
                line_id=other.id,
                recorded_at=stack.clock.now() - timedelta(minutes=30),
            )
        )
    stack.dispatcher.sync_numbers()
    counselor = ConsoleClient(stack.url, "alice", PASSWORD)
    month = stack.clock.now().astimezone(ZoneInfo(line.timezone)).strftime("%Y-%m")
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, stack.url, "sam")
        page.get_by_test_id("nav-board").click()
        page.wait_for_url(re.compile(r"/supervisor/board"))
        expect(page.get_by_test_id("board-conn")).to_have_attribute(
            "data-status", "connected", timeout=10_000
        )
        line_row = page.locator(f'[data-testid="line-row"][data-line-id="{line.id}"]')
        expect(line_row.get_by_test_id("followups-overdue")).to_have_text("0")
        other_row = page.locator(f'[data-testid="line-row"][data-line-id="{other.id}"]')
        overdue = other_row.get_by_test_id("followups-overdue").locator("a.overdue-priority")
        expect(overdue).to_have_text("1")
        expect(overdue).to_have_attribute(
            "href", f"/supervisor/followups?status=overdue&line={other.id}"
        )
        expect(line_row.get_by_test_id("voicemails-waiting")).to_have_text("0")
        unheard = other_row.get_by_test_id("voicemails-waiting").locator("a")
        expect(unheard).to_contain_text("1 · 30:")
        expect(unheard).to_have_attribute(
            "href", f"/supervisor/voicemails?status=waiting&line={other.id}"
        )

        # 1. The call appears on the board, and the supervisor whispers to the counselor.
        call_id, caller = take_call(stack, counselor)
        row = page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]')
        expect(row).to_be_visible(timeout=10_000)
        row.get_by_test_id("btn-whisper").click()
        expect(row.get_by_test_id("monitor-status")).to_have_attribute(
            "data-status", "joined", timeout=10_000
        )
        leg = supervisor_leg(stack, caller)
        assert leg is not None and leg["coaching"] is True

        # 2. The counselor escalates; the board shows it, and the escalation log has it.
        escalated = NoteClient(stack, "alice").post(
            f"/api/calls/{call_id}/escalate", {"reason": "Says they have a plan tonight"}
        )
        assert escalated.status_code == 200, escalated.text
        escalation_id = escalated.json()["id"]
        on_board = page.locator(
            f'[data-testid="escalation-row"][data-escalation-id="{escalation_id}"]'
        )
        expect(on_board).to_be_visible(timeout=10_000)
        page.get_by_test_id("nav-escalations").click()
        page.wait_for_url(re.compile(r"/supervisor/escalations"))
        logged = page.locator(f'[data-testid="escalation-row"][data-id="{escalation_id}"]')
        expect(logged).to_have_attribute("data-open", "true")
        logged.get_by_test_id("escalation-link").click()
        page.wait_for_url(re.compile(rf"/supervisor/escalations/{escalation_id}$"))
        expect(page.get_by_test_id("escalation-detail")).to_contain_text(f"#{call_id}")
        expect(page.get_by_test_id("timeline-entry").first).to_be_visible()

        # 3. The month's report, as the health commission gets it.
        page.get_by_test_id("nav-stats").click()
        page.wait_for_url(re.compile(r"/supervisor/stats"))
        page.get_by_test_id("report-month").fill(month)
        page.get_by_test_id("report-line").select_option(str(line.id))
        with page.expect_download() as info:
            page.get_by_test_id("report-xlsx").click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        context.close()
    counselor.close()
    assert errors == []
    sheet = load_workbook(target).active
    assert sheet is not None
    values = {row[1]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Month"] == month
    assert values["Calls received"] == 1 and values["Calls handled"] == 1
    assert values["Escalations to the crisis team"] == 1
