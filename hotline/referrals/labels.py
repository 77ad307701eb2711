"""Translated names of referral statuses and where a move was made from."""

from __future__ import annotations

from collections.abc import Callable

from hotline.i18n import N_
from hotline.notes.options import REFERRAL_KINDS

Gettext = Callable[[str], str]

STATUS_LABELS = {
    "suggested": N_("Suggested"),
    "accepted": N_("Accepted by the caller"),
    "contacted": N_("Service contacted"),
    "appointment_made": N_("Appointment made"),
    "attended": N_("Attended"),
    "declined": N_("Declined"),
    "not_reachable": N_("Not reachable"),
}
VIA_LABELS = {
    "note": N_("from the note"),
    "follow_up": N_("from a follow-up"),
    "review": N_("from the review"),
    "green_channel": N_("green channel"),
}


def statuses(_: Gettext) -> dict[str, str]:
    return {key: _(label) for key, label in STATUS_LABELS.items()}


def vias(_: Gettext) -> dict[str, str]:
    return {key: _(label) for key, label in VIA_LABELS.items()}


def all_labels(_: Gettext) -> dict[str, dict[str, str]]:
    return {
        "kinds": {key: _(label) for key, label in REFERRAL_KINDS.items()},
        "statuses": statuses(_),
        "vias": vias(_),
    }
