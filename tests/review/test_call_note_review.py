"""Call review shows what the supervisor is asked to score: the screener's answers, intensity and
hopelessness, protective factors, referrals, region and groups, the difficult flag, follow-up
consent and timing (never the callback number). Over real HTTP, on both databases."""

from __future__ import annotations

import html
from datetime import timedelta

from hotline.auth.models import Role
from hotline.notes.models import ReferralResource
from tests.factories import make_line, make_user
from tests.review import drive
from tests.review.test_pages import client_for
from tests.stack import Stack

CALLBACK = "+8613812345670"


def test_the_review_page_shows_every_scored_part_of_the_note(quiet_app: Stack) -> None:
    stack = quiet_app
    db, now = stack.db, stack.clock.now()
    line = make_line(db)
    alice = make_user(db, "alice")
    make_user(db, "boss", role=Role.supervisor)
    with db.session() as session:
        clinic = ReferralResource(kind="psychiatric_clinic", name="Wenzhou Kangning Hospital")
        session.add(clinic)
        session.flush()
        clinic_id = clinic.id
    call_id = drive.whole_call(db, line, alice, "CA1", now - timedelta(hours=1), 300, 10)
    drive.write_note(
        db,
        alice,
        call_id,
        now - timedelta(minutes=50),
        submit=False,
        profile={"region": "Lucheng district", "population_groups": ["student", "unemployed"]},
        screener={
            "q1_wish_dead": True,
            "q2_suicidal_thoughts": True,
            "q3_method": False,
            "q4_intent": False,
            "q5_plan": False,
            "q6_behaviour": True,
            "q6_within_3_months": False,
            "intensity": 7,
            "hopelessness": 4,
            "protective_factors": ["future_plans", "faith"],
        },
        referrals=[{"resource_id": clinic_id, "date": "2026-11-25", "comment": "Tuesday slot"}],
        follow_up={
            "wanted": True,
            "consent": True,
            "callback_number": CALLBACK,
            "within": "72h",
            "plan": "Ask how the appointment went",
        },
        difficult=True,
    )
    page = html.unescape(client_for(stack, "boss").get(f"/supervisor/calls/{call_id}?lang=en").text)

    def shown(testid: str) -> str:
        start = page.index(f'data-testid="{testid}"')
        return page[start : page.index("</dd>", start)]

    assert "Lucheng district" in shown("note-region")
    assert "Student" in shown("note-groups") and "Unemployed" in shown("note-groups")
    assert "Yes" in shown("note-difficult")
    referral = shown("note-referrals")
    assert "Wenzhou Kangning Hospital" in referral and "Psychiatric clinic" in referral
    assert "2026-11-25" in referral and "Tuesday slot" in referral
    assert "Yes" in shown("note-followup-wanted") and "Yes" in shown("note-followup-consent")
    assert "72 hours" in shown("note-followup-within")
    assert ">7<" in shown("note-intensity") + "<" and ">4<" in shown("note-hopelessness") + "<"
    factors = shown("note-protective-factors")
    assert "Has plans for the future" in factors and "Faith or beliefs" in factors
    answers = {
        question: shown(f'screener-answer" data-question="{question}').rsplit("<dd>", 1)[1]
        for question in ("q1_wish_dead", "q3_method", "q6_within_3_months", "imminent")
    }
    assert answers == {
        "q1_wish_dead": "Yes",
        "q3_method": "No",
        "q6_within_3_months": "No",
        "imminent": "Not asked",
    }
    assert "Have you wished you were dead" in page
    # The number is for the person working the follow-up, never on the review page.
    assert CALLBACK not in page and "345670" not in page
