"""Translated names of voicemail outcomes and statuses, and the pages' messages."""

from __future__ import annotations

from hotline.i18n import Gettext


def outcomes(_: Gettext) -> dict[str, str]:
    return {
        "called_back": _("Called back and reached"),
        "escalated": _("Passed to the crisis team"),
        "no_way_to_reach": _("No way to reach the caller"),
        "no_action_needed": _("Nothing to act on (empty or silent)"),
    }


def statuses(_: Gettext) -> dict[str, str]:
    return {"waiting": _("Waiting"), "handled": _("Handled")}


def message(_: Gettext, code: str) -> str | None:
    """After an action: a fixed code in the redirect, never text from the request."""
    return {
        "handled": _("The voicemail is marked handled."),
        "already": _("Someone else already handled this voicemail."),
        "bad_outcome": _("Choose what was done."),
    }.get(code)
