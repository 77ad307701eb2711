"""Translated names of follow-up statuses, outcomes and closing reasons, and the notices shown
after an action. (The error messages are `FollowUpError.messages`.)"""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def statuses(_: Gettext) -> dict[str, str]:
    return {
        "overdue": _("Overdue"),
        "scheduled": _("Scheduled"),
        "completed": _("Completed"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
    }


def outcomes(_: Gettext) -> dict[str, str]:
    return {
        "reached": _("Reached the caller"),
        "no_answer": _("No answer"),
        "voicemail": _("Voicemail"),
        "wrong_number": _("Wrong number or not the caller"),
        "declined": _("Caller declined"),
        "referred": _("Reached and referred"),
    }


def close_reasons(_: Gettext) -> dict[str, str]:
    return {
        **outcomes(_),
        "attempts": _("Three attempts without reaching the caller"),
        "expired": _("More than 48 hours past due"),
        "cancelled": _("Cancelled by a supervisor"),
        "called_in": _("The caller rang the line again and talked with a counselor"),
    }


def windows(_: Gettext) -> dict[str, str]:
    return {"24h": _("within 24 hours"), "72h": _("within 72 hours"), "7d": _("within 7 days")}


def all_labels(_: Gettext) -> dict[str, dict[str, str]]:
    return {
        "statuses": statuses(_),
        "outcomes": outcomes(_),
        "close_reasons": close_reasons(_),
        "windows": windows(_),
    }


def notice(_: Gettext, code: str) -> str | None:
    """The message shown after an action, chosen by a fixed code in the redirect."""
    return {
        "claimed": _("The follow-up is yours now."),
        "released": _("The follow-up is back on the queue."),
        "completed": _("Attempt logged: the caller was reached, the follow-up is completed."),
        "failed": _("Attempt logged: the follow-up is closed as failed."),
        "logged": _("Attempt logged: the follow-up stays open."),
        "cancelled": _("The follow-up is cancelled."),
        "referral": _("The referral is updated."),
    }.get(code)
