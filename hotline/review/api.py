"""The supervisors' review data as files: the CSV exports of the shift log, the escalation log and
the call list; a call's recording (the playback proxy); and Twilio's recording status callback.

The pages that link here are `agent_console/review/pages.py`. Every export and playback is
written to the audit log in the request's unit of work. An export asked for without a session is
a 401 (a download, not a page to sign in from); a recording is played from its call's page, so
without a session it sends the browser to sign in, as the page does.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequirePageRole, RequireRole
from hotline.auth.models import User
from hotline.config import Settings
from hotline.csv_export import csv_response
from hotline.db import SessionDep
from hotline.errors import request_gettext, request_locale
from hotline.review import labels, listing, playback
from hotline.review import service as review
from hotline.review.models import CallRecording
from hotline.telephony.service import answer_webhook, seconds
from hotline.telephony.signature import SignedForm, require

log = logging.getLogger(__name__)
router = APIRouter(tags=["review"])
Exporter = Annotated[User, Depends(RequireRole(*review.REVIEWERS))]
Listener = Annotated[User, Depends(RequirePageRole(*review.REVIEWERS))]
EXPORT_BATCH = 500


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


@router.get("/supervisor/shifts.csv", include_in_schema=False)
def shifts_csv(request: Request, user: Exporter, session: SessionDep) -> Response:
    """The shift log as filtered, one line per person and day, and the period's total."""
    _ = request_gettext(request)
    params = request.query_params
    query = listing.shift_query(params, session=session, now=_now(request))
    rows = listing.shift_rows(query, session=session, now=_now(request))  # 422: a bad period
    record_request(
        request,
        action=AuditAction.export,
        object_type="shift_log",
        user=user,
        detail=listing.filters_text(params, listing.SHIFT_KEYS) + " csv",
        session=session,
    )
    state_labels = labels.states(_)
    header = [
        _("Day"),
        _("Person"),
        _("First sign-in"),
        _("Last sign-out"),
        _("Sign-ins"),
        _("Sign-outs"),
        _("Went offline"),
        *[_("Seconds: %(state)s") % {"state": state_labels[s]} for s in review.STATES],
        _("Calls handled"),
        _("Notes submitted"),
        _("Notes overdue"),
        _("Offers missed"),
    ]
    tz = query.tz
    lines: list[list[Any]] = [
        [
            r.day.isoformat(),
            r.name,
            listing.iso(r.first_sign_in, tz),
            listing.iso(r.last_sign_out, tz),
            r.sign_ins,
            r.sign_outs,
            r.went_offline,
            *[round(r.seconds.get(s, 0.0)) for s in review.STATES],
            r.calls_handled,
            r.notes_submitted,
            r.notes_overdue,
            r.offers_missed,
        ]
        for r in rows
    ]
    # The last line sums the whole filtered period (every person and day above).
    totals = review.shift_totals(rows)
    lines.append(
        [
            _("Total"),
            "",
            "",
            "",
            totals.sign_ins,
            totals.sign_outs,
            totals.went_offline,
            *[round(totals.seconds.get(s, 0.0)) for s in review.STATES],
            totals.calls_handled,
            totals.notes_submitted,
            totals.notes_overdue,
            totals.offers_missed,
        ]
    )
    return csv_response("shift-log", header, lines, now=_now(request))


def _every_escalation(session: Session, flt: review.EscalationFilter) -> list[dict[str, Any]]:
    """Every matching row, not only the page on screen."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        rows, total = review.escalation_log(
            session=session, flt=flt, limit=EXPORT_BATCH, offset=offset
        )
        found += rows
        offset += EXPORT_BATCH
        if offset >= total or not rows:
            return found


@router.get("/supervisor/escalations.csv", include_in_schema=False)
def escalations_csv(request: Request, user: Exporter, session: SessionDep) -> Response:
    _ = request_gettext(request)
    params = request.query_params
    flt, tz = listing.escalation_filter(params, session=session)
    found = _every_escalation(session, flt)
    record_request(
        request,
        action=AuditAction.export,
        object_type="escalation_log",
        user=user,
        detail=listing.filters_text(params, listing.ESCALATION_KEYS) + " csv",
        session=session,
    )
    levels, statuses, outcomes = (
        labels.levels(_),
        labels.escalation_statuses(_),
        labels.outcomes(_),
    )
    header = [
        _("Escalation"),
        _("Call"),
        _("Line"),
        _("Crisis level"),
        _("Status"),
        _("Triggered at"),
        _("Triggered by"),
        _("Acknowledged by"),
        _("Acknowledged at"),
        _("Seconds to acknowledge"),
        _("Joined at"),
        _("Seconds to join"),
        _("Resolved by"),
        _("Resolved at"),
        _("Outcome"),
        _("Call ended at"),
    ]
    return csv_response(
        "escalation-log",
        header,
        (
            [
                r["id"],
                r["call_id"],
                r["line_name"],
                levels.get(r["level"], r["level"]),
                statuses.get(r["status"], r["status"]),
                listing.iso(r["created_at"], tz),
                r["triggered_by"],
                r["acknowledged_by"],
                listing.iso(r["acknowledged_at"], tz),
                None if r["seconds_to_ack"] is None else round(r["seconds_to_ack"]),
                listing.iso(r["joined_at"], tz),
                None if r["seconds_to_join"] is None else round(r["seconds_to_join"]),
                r["resolved_by"],
                listing.iso(r["resolved_at"], tz),
                outcomes.get(r["outcome"] or "", r["outcome"]),
                listing.iso(r["call_ended_at"], tz),
            ]
            for r in found
        ),
        now=_now(request),
    )


def _every_call(session: Session, flt: review.CallFilter) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        rows, total = review.call_search(
            session=session, flt=flt, limit=EXPORT_BATCH, offset=offset
        )
        found += rows
        offset += EXPORT_BATCH
        if offset >= total or not rows:
            return found


@router.get("/supervisor/calls.csv", include_in_schema=False)
def calls_csv(request: Request, user: Exporter, session: SessionDep) -> Response:
    _ = request_gettext(request)
    params = request.query_params
    flt, tz = listing.call_filter(params, session=session)
    found = _every_call(session, flt)
    category_names = dict(listing.categories(session, request_locale(request)))
    record_request(
        request,
        action=AuditAction.export,
        object_type="call_list",
        user=user,
        detail=listing.filters_text(params, listing.CALL_KEYS) + " csv",
        session=session,
    )
    call_states, call_types, levels = (
        labels.call_states(_),
        labels.call_types(_),
        labels.levels(_),
    )
    header = [
        _("Call"),
        _("Time"),
        _("Line"),
        _("Counselor"),
        _("Status"),
        _("Talk time (seconds)"),
        _("Call type"),
        _("Crisis level"),
        _("Categories"),
        _("Note"),
        _("Note overdue"),
        _("Reviewed"),
        _("Marked for review"),
    ]
    yes, no = _("Yes"), _("No")
    return csv_response(
        "calls",
        header,
        (
            [
                r["id"],
                listing.iso(r["created_at"], tz),
                r["line_name"],
                r["counselor"],
                call_states.get(r["state"], r["state"]),
                None if r["seconds"] is None else round(r["seconds"]),
                call_types.get(r["call_type"] or "", r["call_type"]),
                levels.get(r["crisis_level"] or "", r["crisis_level"]),
                "; ".join(category_names.get(c, str(c)) for c in r["categories"]),
                {"draft": _("Draft"), "submitted": _("Submitted")}.get(r["note_status"] or "", ""),
                yes if r["overdue"] else no,
                yes if r["reviewed"] else no,
                yes if r["marked"] else no,
            ]
            for r in found
        ),
        now=_now(request),
    )


# --- recordings -------------------------------------------------------------------------------


@router.post("/twilio/recording/status")
def recording_status(request: Request, params: SignedForm) -> Response:
    """Twilio's recording status callback: keep the URL of a completed recording of a call.

    Only a recording at Twilio's API (or the simulator) is kept: playback sends the account's
    credentials to that URL, so a signed callback must not be able to point them elsewhere.
    Like every webhook it answers once per distinct request (`answer_webhook`, which holds the
    webhook's own unit of work with its receipt)."""
    require(params, "RecordingSid", "RecordingUrl")
    settings: Settings = request.app.state.settings
    if not review.recording_url_allowed(
        params["RecordingUrl"],
        account_sid=settings.twilio_account_sid,
        sources=review.recording_sources(settings),
    ):
        log.warning(
            "recording callback refused: RecordingUrl on host %s is not an allowed recording",
            review.url_host(params["RecordingUrl"]),
        )
        raise HTTPException(status_code=400, detail="RecordingUrl is not an allowed recording")

    def handle(session: Session) -> str:
        if params.get("RecordingStatus", "completed") == "completed":
            review.store_recording(
                session=session,
                conference_sid=params.get("ConferenceSid"),
                call_sid=params.get("CallSid"),
                recording_sid=params["RecordingSid"],
                url=params["RecordingUrl"],
                duration_s=seconds(params.get("RecordingDuration")),
                now=_now(request),
            )
        return ""

    return answer_webhook(
        request, params, handle, db=request.app.state.db, clock=request.app.state.clock
    )


@router.get("/supervisor/calls/{call_id}/recordings/{recording_id}", include_in_schema=False)
def play_recording(
    call_id: int, recording_id: int, request: Request, user: Listener, session: SessionDep
) -> Response:
    """The recording's audio, fetched from the provider with the account's credentials once this
    playback's audit entry is committed (`playback.stream`)."""
    recording = session.get(CallRecording, recording_id)
    if recording is None or recording.call_id != call_id:
        raise HTTPException(status_code=404, detail="no such recording")
    record_request(
        request,
        action=AuditAction.view,
        object_type="recording",
        object_id=recording_id,
        user=user,
        detail=f"call {call_id}",
        session=session,
    )
    return playback.stream(request, recording.url, what=f"recording {recording_id}")
