"""The case's words for pages and the console: tiers, statuses, the safety plan's sections, and
the strings the console's case module shows (given to it through the page's configuration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotline.cases.schemas import SECTIONS
from hotline.i18n import N_

TIER_LABELS = {"green": N_("Green"), "yellow": N_("Yellow"), "red": N_("Red")}
STATUS_LABELS = {"open": N_("Open"), "closed": N_("Closed")}
SECTION_LABELS = {
    "warning_signs": N_("Warning signs"),
    "coping_strategies": N_("Internal coping strategies"),
    "distractions": N_("People and social settings that distract"),
    "people_to_ask": N_("People I can ask for help"),
    "professionals": N_("Professionals and services I can contact"),
    "safe_environment": N_("Making the environment safe"),
    "reasons_for_living": N_("Reasons for living"),
}


def console_config(_: Callable[[str], str]) -> dict[str, Any]:
    """The `case` part of the console's configuration block (read by static/case.js)."""
    return {
        "sections": list(SECTIONS),
        "strings": {
            "tier_green": _("Green"),
            "tier_yellow": _("Yellow"),
            "tier_red": _("Red"),
            "closed": _("Closed"),
            "frequent_caller": _("Frequent caller"),
            "care_plan": _("{minutes} min a contact"),
            "safeguarding": _("Safeguarding concern"),
            "preferred": _("Preferred counselor: {name}"),
            "language": _("Language: {language}"),
            "plan_version": _("Safety plan version {version}, by {author}"),
            "no_plan": _("No safety plan yet."),
            "saved": _("Safety plan saved (version {version})."),
            "opened": _("Case opened."),
            "error_generic": _("Something went wrong. Please try again."),
        },
    }
