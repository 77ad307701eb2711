"""The "call back as the line" button that the follow-up and voicemail pages show: its
configuration block (the states' words, in the reader's language). The number is never on a
page: the button asks the server to place the call (hotline/dialback/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def config(_: Callable[[str], str]) -> dict[str, Any]:
    return {
        "strings": {
            "requested": _("Waiting for the line to place the call…"),
            "dialling": _("Dialling…"),
            "ringing": _("Ringing…"),
            "connecting": _("Answered: putting you through to your phone…"),
            "connected": _("Connected"),
            "ended": _("The call has ended."),
            "no_answer": _("No answer."),
            "busy": _("The line was busy."),
            "failed": _("The call could not be placed."),
            "machine": _("An answering machine picked up: nobody was reached."),
            "canceled": _("The call was cancelled."),
            "error": _("Something went wrong. Please try again."),
        }
    }
