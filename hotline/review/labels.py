"""Translated labels of what the supervisors' CSV exports name (and their pages too; the labels
only the pages show are in `agent_console/review/labels.py`)."""

from __future__ import annotations

from collections.abc import Callable

from hotline.notes.options import CALL_TYPES, LEVEL_LABELS

Gettext = Callable[[str], str]


def states(_: Gettext) -> dict[str, str]:
    return {
        "offline": _("Signed off"),
        "available": _("Available"),
        "offered": _("Call offered"),
        "on_call": _("On a call"),
        "wrap_up": _("Wrap-up"),
        "chatting": _("In conversations"),
        "break": _("On a break"),
        "away": _("Away"),
    }


def contact_channels(_: Gettext) -> dict[str, str]:
    """How the person reached the line (a call's `channel`)."""
    return {
        "voice": _("Phone call"),
        "sms": _("SMS"),
        "webchat": _("Web chat"),
        "wechat": _("WeChat"),
    }


def levels(_: Gettext) -> dict[str, str]:
    return {key: _(label) for key, label in LEVEL_LABELS.items()}


def call_types(_: Gettext) -> dict[str, str]:
    return {key: _(label) for key, label in CALL_TYPES.items()}


def escalation_statuses(_: Gettext) -> dict[str, str]:
    return {
        "paging": _("Paging"),
        "acknowledged": _("Acknowledged"),
        "joined": _("Responder joined"),
        "took_over": _("Responder took over"),
        "called_back": _("Responder called back"),
        "unacknowledged": _("Nobody acknowledged"),
        "resolved": _("Resolved"),
    }


def outcomes(_: Gettext) -> dict[str, str]:
    return {
        "safe_plan": _("Caller safe, plan agreed"),
        "emergency_services": _("Emergency services sent"),
        "referred": _("Referred to care"),
        "caller_disconnected": _("Caller disconnected"),
        "other": _("Other outcome"),
    }


def call_states(_: Gettext) -> dict[str, str]:
    return {
        "ringing": _("Ringing"),
        "ivr": _("In the menu"),
        "queued": _("Waiting"),
        "offered": _("Offered"),
        "connected": _("Connected"),
        "wrap_up": _("Wrap-up"),
        "completed": _("Completed"),
        "abandoned": _("Abandoned"),
        "overflow": _("Overflow"),
        "failed": _("Failed"),
    }
