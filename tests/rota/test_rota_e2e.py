"""In real Chromium, on the rota page: an admin puts a replacement on call for a window, and a
crisis worker's swap request is accepted by the colleague; the calendar shows both."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Locator, Page, expect

from hotline.auth.models import Role
from hotline.rota import service as rota
from hotline.rota.models import ShiftKind
from hotline.rota.schemas import RotationCreate, ScheduleCreate
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_user
from tests.rota.conftest import Api


def _open_rota(page: Page, api: Api, schedule_id: int) -> None:
    page.goto(f"{api.url}/rota/{schedule_id}?lang=en")
    expect(page.get_by_test_id("rota-title")).to_have_text("Crisis team")


def _shift(page: Page, day: str, user_id: int, source: str) -> Locator:
    row = page.locator(f'[data-testid="rota-day"][data-date="{day}"]')
    return row.locator(f'[data-testid="rota-shift"][data-user="{user_id}"][data-source="{source}"]')


def test_override_and_swap_from_the_rota_page(api: Api) -> None:
    admin = make_user(api.db, "admin", role=Role.admin)
    alice = make_user(api.db, "alice", role=Role.crisis)
    bob = make_user(api.db, "bob", role=Role.crisis)
    carol = make_user(api.db, "carol", role=Role.crisis)
    assert admin.id and alice.id and bob.id and carol.id
    with api.db.session() as session:
        schedule = rota.create_schedule(session=session, data=ScheduleCreate(name="Crisis team"))
        assert schedule.id is not None
        schedule_id = schedule.id
        rota.add_rotation(
            session=session,
            schedule_id=schedule_id,
            data=RotationCreate(
                name="days",
                shift=ShiftKind.daily,
                handoff_time="09:00",
                start_date=date(2026, 11, 2),
                member_ids=[alice.id, bob.id],
            ),
        )
    today = "2026-11-03"  # 10:00 in Shanghai: bob's day (09:00 to 09:00)

    with chromium() as browser:
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, api.url, "admin")
        _open_rota(page, api, schedule_id)
        expect(_shift(page, today, bob.id, "rotation")).to_have_attribute("data-now", "true")

        form = page.get_by_test_id("override-form")
        form.get_by_test_id("override-kind-replace").check()
        form.get_by_label("Who comes on call").select_option(str(carol.id))
        form.get_by_label("Who goes off call").select_option(str(bob.id))
        form.get_by_label("From (local time)").fill(f"{today}T12:00")
        form.get_by_label("Until (local time)").fill(f"{today}T11:00")  # before the start
        form.get_by_test_id("override-submit").click()
        error = page.get_by_test_id("error-override-end_at")
        expect(error).to_have_text("The end must be after the start.")
        expect(page.get_by_label("Until (local time)")).to_have_attribute("aria-invalid", "true")
        # What was typed is kept; correct the end and save.
        expect(page.get_by_label("Who comes on call")).to_have_value(str(carol.id))
        page.get_by_label("Until (local time)").fill(f"{today}T14:00")
        page.get_by_test_id("override-submit").click()
        expect(page.get_by_test_id("rota-done")).to_have_text("The override is saved.")
        replacement = _shift(page, today, carol.id, "override")
        expect(replacement).to_contain_text("12:00–14:00")
        expect(replacement).to_contain_text("Override")
        expect(_shift(page, today, bob.id, "rotation").first).to_contain_text("09:00–12:00")
        expect(page.get_by_test_id("override-row")).to_have_count(1)

        # Bob asks alice to take the rest of his morning; alice accepts on her page.
        bob_page = browser.new_context().new_page()
        sign_in(bob_page, api.url, "bob")
        _open_rota(bob_page, api, schedule_id)
        swap = bob_page.get_by_test_id("swap-form")
        swap.get_by_test_id("swap-submit").click()
        expect(bob_page.get_by_test_id("error-swap-shift")).to_have_text("Required.")
        bob_page.get_by_label("Your shift", exact=True).select_option(
            index=1
        )  # 3 Nov 10:00 – 12:00
        bob_page.get_by_label("Colleague").select_option(str(alice.id))
        bob_page.get_by_test_id("swap-submit").click()
        expect(bob_page.get_by_test_id("rota-done")).to_have_text("Your swap request is sent.")
        expect(bob_page.get_by_test_id("swap-row")).to_contain_text("Bob asks Alice to take")
        expect(bob_page.get_by_test_id("swap-withdraw")).to_be_visible()
        expect(bob_page.get_by_test_id("swap-accept")).to_have_count(0)  # not his to answer

        alice_page = browser.new_context().new_page()
        sign_in(alice_page, api.url, "alice")
        _open_rota(alice_page, api, schedule_id)
        expect(_shift(alice_page, today, alice.id, "swap")).to_have_count(0)
        alice_page.get_by_test_id("swap-row").get_by_test_id("swap-accept").click()
        expect(alice_page.get_by_test_id("rota-done")).to_have_text(
            "You accepted the swap: the shift is yours."
        )
        expect(alice_page.get_by_test_id("swaps-none")).to_be_visible()
        taken = _shift(alice_page, today, alice.id, "swap")
        expect(taken).to_contain_text("10:00–12:00")
        expect(taken).to_contain_text("Swap")
        expect(taken).to_have_attribute("data-now", "true")
        expect(alice_page.get_by_test_id("rota-now")).to_have_text("Alice")
        # Only the refused form's page (answered 422 with its errors), no CSP violation.
        assert len(errors) == 1 and "status of 422" in errors[0], errors
