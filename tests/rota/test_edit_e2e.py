"""In real Chromium, keyboard first: an admin creates a schedule, builds a daytime rotation of
two crisis workers (ordering them with the move buttons), sees the uncovered nights warned
about, adds a night layer that covers them, and the warning goes."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.rota.models import Rotation
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import make_user
from tests.rota.conftest import Api

TODAY = "2026-11-03"  # the clock: 10:00 in Shanghai


def _press(page: Page, test_id: str, nth: int = 0) -> None:
    """A button used from the keyboard: focused, then Enter."""
    button = page.get_by_test_id(test_id).nth(nth)
    button.focus()
    page.keyboard.press("Enter")


def _rotation(page: Page, name: str, layer: str, start: str, until: str, people: list[str]) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Layer (higher wins)").fill(layer)
    page.get_by_label("Shift length").select_option("daily")
    page.get_by_label("Hand-off time").fill("09:00")
    page.get_by_label("First hand-off on").fill(TODAY)
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("Until", exact=True).fill(until)
    for person in people:
        page.get_by_label("Add a person").select_option(label=person)
        _press(page, "member-add")
        expect(page.get_by_test_id("rotation-unsaved")).to_be_visible()
        # The focus comes back to the picker, and what was typed is kept.
        expect(page.get_by_label("Add a person")).to_be_focused()
        expect(page.get_by_label("Name")).to_have_value(name)


def test_create_a_schedule_see_its_gaps_and_cover_them(api: Api) -> None:
    make_user(api.db, "root", role=Role.admin)
    alice = make_user(api.db, "alice", role=Role.crisis)
    bob = make_user(api.db, "bob", role=Role.crisis)
    assert alice.id and bob.id

    with chromium() as browser:
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, api.url, "root")
        page.goto(f"{api.url}/rota?lang=en")
        expect(page.get_by_test_id("rota-missing")).to_have_text("No schedule has been set up yet.")
        _press(page, "rota-create-first")

        page.get_by_label("Name").fill("")
        page.get_by_label("Name").press("Enter")
        expect(page.get_by_test_id("error-name")).to_have_text("Required.")
        expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Name").fill("Crisis team")
        page.get_by_label("Name").press("Enter")
        expect(page.get_by_test_id("rota-done")).to_have_text(
            "The schedule is created. Add its rotations."
        )
        expect(page.get_by_test_id("rota-gaps")).to_be_visible()  # nobody at all yet

        _press(page, "rotation-new")
        _rotation(page, "Days", "1", "09:00", "21:00", ["Alice", "Bob"])
        members = page.get_by_test_id("rotation-member")
        expect(members).to_have_count(2)
        _press(page, "member-up", 1)  # Bob first
        expect(members.nth(0)).to_have_attribute("data-user", str(bob.id))
        expect(page.get_by_test_id("member-down").nth(0)).to_be_focused()
        page.get_by_label("Name").press("Enter")  # Enter in a field saves
        expect(page.get_by_test_id("rota-done")).to_have_text("The rotation is added.")

        # Every night from 21:00 to 09:00 is uncovered, and said so.
        gaps = page.get_by_test_id("rota-gap")
        expect(gaps).to_have_count(14)
        expect(gaps.first).to_contain_text("21:00")
        expect(gaps.first).to_contain_text("nobody on call")
        _press(page, "rota-back")
        expect(page.get_by_test_id("rota-gap")).to_have_count(14)
        expect(page.get_by_test_id("rota-gap-count")).to_have_text("Gaps: 14")

        # A night layer covers them.
        _press(page, "rota-edit")
        _press(page, "rotation-new")
        _rotation(page, "Nights", "2", "21:00", "09:00", ["Alice"])
        _press(page, "rotation-submit")
        expect(page.get_by_test_id("rota-done")).to_have_text("The rotation is added.")
        expect(page.get_by_test_id("rota-gap")).to_have_count(0)
        expect(page.get_by_test_id("rota-no-gaps")).to_be_visible()
        _press(page, "rota-back")
        expect(page.get_by_test_id("rota-gaps")).to_have_count(0)
        expect(page.get_by_test_id("rota-gap-count")).to_have_count(0)
        # Only the refused form's page (answered 422 with its errors), no CSP violation.
        assert len(errors) == 1 and "status of 422" in errors[0], errors

    with api.db.session() as session:
        rotations = session.exec(select(Rotation).order_by(Rotation.layer)).all()
        assert [(r.name, r.member_ids) for r in rotations] == [
            ("Days", [bob.id, alice.id]),
            ("Nights", [alice.id]),
        ]
