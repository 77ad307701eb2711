"""Translated labels only the supervisors' pages show (the escalation timeline, the note's
options, the QA form), with those the CSV exports share (`hotline.review.labels`)."""

from __future__ import annotations

from sqlmodel import Session

from hotline.i18n import Gettext
from hotline.notes import choices as note_choices
from hotline.notes.models import ChoiceKind
from hotline.notes.options import (
    AGE_BANDS,
    GENDERS,
    PROTECTIVE_FACTOR_LABELS,
    REFERRAL_KINDS,
)
from hotline.review import labels as shared


def note_options(_: Gettext) -> dict[str, dict[str, str]]:
    return {
        "age_bands": {key: _(label) for key, label in AGE_BANDS.items()},
        "genders": {key: _(label) for key, label in GENDERS.items()},
        "protective_factors": {key: _(label) for key, label in PROTECTIVE_FACTOR_LABELS.items()},
        "referral_kinds": {key: _(label) for key, label in REFERRAL_KINDS.items()},
        "followup_within": {"24h": _("24 hours"), "72h": _("72 hours"), "7d": _("7 days")},
        "screener_questions": screener_questions(_),
    }


def note_choices_of(*, session: Session, zh: bool) -> dict[str, dict[str, str]]:
    """The population groups and interventions as admins keep them, retired ones included."""
    return {
        "population_groups": note_choices.labels(
            session=session, kind=ChoiceKind.population_group, zh=zh
        ),
        "interventions": note_choices.labels(session=session, kind=ChoiceKind.intervention, zh=zh),
    }


def screener_questions(_: Gettext) -> dict[str, str]:
    """The screener's questions in the order the counselor asks them (as the note words them)."""
    return {
        "imminent": _("Imminent danger now (attempt in progress, or means at hand and intent now)"),
        "q1_wish_dead": _(
            "Have you wished you were dead or wished you could go to sleep and not wake up?"
        ),
        "q2_suicidal_thoughts": _("Have you actually had any thoughts of killing yourself?"),
        "q3_method": _("Have you been thinking about how you might do this?"),
        "q4_intent": _("Have you had these thoughts and had some intention of acting on them?"),
        "q5_plan": _(
            "Have you started to work out or worked out the details of how to kill yourself? "
            "Do you intend to carry out this plan?"
        ),
        "q6_behaviour": _(
            "Have you ever done anything, started to do anything, or prepared to do anything "
            "to end your life?"
        ),
        "q6_within_3_months": _("Was this within the past 3 months?"),
    }


def timeline_kinds(_: Gettext) -> dict[str, str]:
    return {
        "triggered": _("Escalation triggered"),
        "level_raised": _("Crisis level raised"),
        "page": _("Paged"),
        "alarm_page": _("Supervisor alarmed"),
        "page_sent": _("Page delivered to the provider"),
        "page_retry": _("Page retried"),
        "page_failed": _("Page failed"),
        "page_unanswered": _("Paging call not answered"),
        "nobody_on_call": _("Nobody on call for this step"),
        "page_skipped": _("Not paged: cannot answer"),
        "alarm": _("Nobody acknowledged: supervisor alarm"),
        "acknowledged": _("Acknowledged"),
        "join_requested": _("Joining the call"),
        "joined": _("Responder joined the call"),
        "took_over": _("Responder took over the call"),
        "called_back": _("Responder called the caller back"),
        "supervisor_alerted": _("Imminent danger: supervisor on duty alerted"),
        "rescue_requested": _("Emergency services requested"),
        "rescue_dispatched": _("Emergency services dispatched"),
        "rescue_confirmed": _("Emergency services reached the caller"),
        "rescue_failed": _("Emergency services could not reach the caller"),
        "resolved": _("Resolved"),
        "caller_left": _("The caller's call ended"),
        "join_too_late": _("Responder's phone joined after the caller had gone: hung up"),
        "number_revealed": _("Revealed the caller's number for rescue"),
    }


def rescue_stages(_: Gettext) -> dict[str, str]:
    return {
        "requested": _("Emergency services requested"),
        "dispatched": _("Dispatched"),
        "confirmed": _("Contact with the caller confirmed"),
        "failed": _("Contact failed"),
    }


def emergency_services(_: Gettext) -> dict[str, str]:
    return {"110": _("110 police"), "120": _("120 ambulance"), "119": _("119 fire")}


def skip_reasons(_: Gettext) -> dict[str, str]:
    """Why a person on call was not paged (hotline.escalation.service.skip_reason)."""
    return {
        "account_disabled": _("account disabled"),
        "role_cannot_acknowledge": _("role may not acknowledge escalations"),
    }


def channels(_: Gettext) -> dict[str, str]:
    return {"console": _("Console"), "sms": _("SMS"), "voice": _("Voice call")}


def page_statuses(_: Gettext) -> dict[str, str]:
    return {
        "queued": _("Queued"),
        "sending": _("Sending"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "answered": _("Answered"),
    }


def criteria(_: Gettext) -> dict[str, str]:
    """The QA form's criteria (see hotline.review.models.QA_CRITERIA)."""
    return {
        "rapport": _("Rapport and listening"),
        "risk_assessment": _("Risk assessment"),
        "intervention": _("Intervention and safety planning"),
        "documentation": _("Documentation"),
    }


def senders(_: Gettext) -> dict[str, str]:
    """Who wrote a message of a text conversation, as its transcript names them."""
    return {
        "person": _("The person"),
        "counselor": _("Counselor"),
        "line": _("The line (automatic)"),
        "supervisor": _("Supervisor"),
    }


def all_labels(_: Gettext) -> dict[str, dict[str, str]]:
    return {
        "states": shared.states(_),
        "levels": shared.levels(_),
        "call_types": shared.call_types(_),
        "statuses": shared.escalation_statuses(_),
        "outcomes": shared.outcomes(_),
        "kinds": timeline_kinds(_),
        "channels": channels(_),
        "skip_reasons": skip_reasons(_),
        "page_statuses": page_statuses(_),
        "call_states": shared.call_states(_),
        "contact_channels": shared.contact_channels(_),
        "senders": senders(_),
        "criteria": criteria(_),
        "rescue_stages": rescue_stages(_),
        "emergency_services": emergency_services(_),
        **note_options(_),
    }
