"""A callback number is stored only when the caller consented to be called back, and then only
encrypted: without consent the server drops it, whatever a client sends."""

from __future__ import annotations

from sqlmodel import select

from hotline.notes import service as notes
from hotline.notes.models import CallNote
from tests.notes.test_api import CALLBACK, start
from tests.stack import Stack


def stored_number(stack: Stack) -> tuple[str, str]:
    with stack.db.session() as session:
        note = session.exec(select(CallNote)).one()
        raw = session.connection().exec_driver_sql("SELECT sensitive FROM call_notes").scalar()
        return notes.fields_of(note).follow_up.callback_number, str(raw)


def test_a_callback_number_is_kept_only_with_consent_and_encrypted(app_only: Stack) -> None:
    call_id, alice = start(app_only)
    version = alice.get(f"/api/calls/{call_id}/note").json()["version"]
    without = alice.put(
        call_id, version, follow_up={"wanted": True, "consent": False, "callback_number": CALLBACK}
    )
    assert without.status_code == 200, without.text
    assert without.json()["follow_up"]["callback_number"] == ""
    assert stored_number(app_only)[0] == ""

    unwanted = alice.put(
        call_id,
        without.json()["version"],
        follow_up={"wanted": False, "consent": True, "callback_number": CALLBACK},
    )
    assert unwanted.json()["follow_up"]["callback_number"] == ""
    assert stored_number(app_only)[0] == ""

    consented = alice.put(
        call_id,
        unwanted.json()["version"],
        follow_up={"wanted": True, "consent": True, "callback_number": CALLBACK},
    )
    assert consented.json()["follow_up"]["callback_number"] == CALLBACK
    number, raw = stored_number(app_only)
    assert number == CALLBACK
    assert CALLBACK not in raw and CALLBACK.lstrip("+") not in raw  # encrypted at rest

    # Consent withdrawn: the number is dropped at once.
    withdrawn = alice.put(
        call_id,
        consented.json()["version"],
        follow_up={"wanted": True, "consent": False, "callback_number": CALLBACK},
    )
    assert withdrawn.json()["follow_up"]["callback_number"] == ""
    assert stored_number(app_only)[0] == ""
