"""In Chromium: an admin adds a green-channel psychiatric hospital from the admin home, by
keyboard, and the counselor who takes the next call finds it among the note's referral choices,
marked as a green channel; likewise a population group added on the taxonomy page is offered in
the note's form, and recorded when ticked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hotline.auth.models import Role
from hotline.notes.models import CallNote, ReferralResource
from tests.browser import chromium
from tests.console.test_console_e2e import sign_in
from tests.factories import PASSWORD, make_line, make_user
from tests.notes.test_note_e2e import LINE, saved, take_call
from tests.stack import Stack

HOSPITAL = "Wenzhou Kangning Hospital"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_new_green_channel_hospital_is_offered_in_the_note(stack: Stack, tmp_path: Path) -> None:
    make_line(stack.db, number=LINE)
    make_user(stack.db, "alice")
    make_user(stack.db, "root", role=Role.admin)
    stack.dispatcher.sync_numbers()
    with chromium() as browser:
        admin = browser.new_context().new_page()
        errors: list[str] = []
        admin.on("pageerror", lambda e: errors.append(str(e)))
        admin.goto(stack.url + "/login?lang=en")
        admin.get_by_label(re.compile("user", re.I)).fill("root")
        admin.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
        admin.get_by_role("button", name=re.compile("sign in", re.I)).click()
        admin.wait_for_url(re.compile(r"/(console|admin)"))
        admin.goto(stack.url + "/admin")
        admin.get_by_test_id("link-resources").click()
        admin.wait_for_url(re.compile(r"/admin/resources$"))
        admin.get_by_test_id("new-resource").click()

        # Keyboard only: labels find the fields, Tab moves, Space ticks, Enter submits.
        admin.get_by_label("Name of the service").fill(HOSPITAL)
        admin.get_by_label("Kind").select_option("psychiatric_clinic")
        admin.get_by_label("Phone").fill("0577-8888 0000")
        admin.get_by_label("Phone").press("Tab")
        expect(admin.get_by_label("Green channel")).to_be_focused()
        admin.keyboard.press("Space")
        expect(admin.get_by_label("Green channel")).to_be_checked()
        admin.get_by_label("Region").fill("Wenzhou")
        admin.get_by_label("Hours").fill("24 hours")
        admin.get_by_label("Hours").press("Enter")
        expect(admin.get_by_test_id("notice")).to_contain_text("Created")
        admin.get_by_role("link", name="Back to referral resources").click()
        row = admin.get_by_test_id("resource-row").filter(has_text=HOSPITAL)
        expect(row.get_by_test_id("resource-green")).to_contain_text("Yes")
        admin.screenshot(path=str(tmp_path / "resources.png"), full_page=True)

        # A population group, added on the taxonomy page by keyboard.
        admin.goto(stack.url + "/admin")
        admin.get_by_test_id("link-taxonomy").click()
        admin.wait_for_url(re.compile(r"/admin/taxonomy$"))
        admin.get_by_test_id("new-population_group").click()
        admin.get_by_label("Entry code").fill("veteran")
        admin.get_by_label("Label in Chinese").fill("退役军人")
        admin.get_by_label("Label in English").fill("Veteran")
        admin.get_by_label("Order").fill("5")
        admin.get_by_label("Order").press("Enter")
        expect(admin.get_by_test_id("notice")).to_contain_text("Created")
        admin.get_by_role("link", name="Back to the taxonomy").click()
        group = admin.get_by_test_id("population-groups").locator('[data-code="veteran"]')
        expect(group).to_contain_text("Veteran")

        counselor = browser.new_context().new_page()
        counselor.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(counselor, stack.url, "alice")
        counselor.get_by_test_id("btn-available").click()
        expect(counselor.get_by_test_id("agent-state")).to_have_attribute("data-state", "available")
        take_call(counselor, stack)
        counselor.get_by_test_id("btn-add-referral").click()
        choice = counselor.locator("#note-referrals select option", has_text=HOSPITAL)
        expect(choice).to_have_count(1)
        expect(choice).to_have_attribute("data-green-channel", "true")
        expect(choice).to_contain_text("Green channel")
        expect(choice).to_contain_text("+8657788880000")
        counselor.locator("#note-referrals select").select_option(choice.get_attribute("value"))
        veteran = counselor.locator("#note-population-groups").get_by_label("Veteran")
        expect(veteran).to_have_count(1)
        veteran.check()
        saved(counselor)
        assert errors == []

    with stack.db.session() as session:
        hospital = session.exec(
            select(ReferralResource).where(ReferralResource.name == HOSPITAL)
        ).one()
        assert hospital.green_channel and hospital.phone == "+8657788880000"
        note = session.exec(select(CallNote)).one()
        assert note.profile["population_groups"] == ["veteran"]
