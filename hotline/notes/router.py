"""Call-note API for the console (JSON); see docs/notes-api.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.clock import Clock
from hotline.db import Database
from hotline.followups import service as followups
from hotline.i18n import gettext_for
from hotline.notes import options
from hotline.notes import service as notes
from hotline.notes.models import IssueCategory, ReferralResource
from hotline.notes.schemas import AddendumCreate, NoteSubmit, NoteUpdate
from hotline.risk.triage import COLOURS, FLASHING, PROTECTIVE_FACTORS, RiskLevel

router = APIRouter(prefix="/api", tags=["notes"])


def _translator(request: Request, user: User) -> Callable[[str], str]:
    chosen = request.session.get("locale")
    return gettext_for(chosen if isinstance(chosen, str) else user.locale)


def error_message(_: Callable[[str], str], code: str) -> str:
    messages = {
        "required": _("Required."),
        "not_asked": _("Not asked on this branch of the screener; leave it empty."),
        "not_an_option": _("Choose one of the listed options."),
        "not_a_phone_number": _("Enter a phone number (digits, spaces, + and -)."),
        "extra_forbidden": _("Unknown field."),
        "string_too_long": _("This text is too long."),
        "less_than_equal": _("Enter a number from 0 to 10."),
        "greater_than_equal": _("Enter a number from 0 to 10."),
        "forbidden": _("You do not have access to this note."),
        "no_note": _("This call has no note yet."),
        "submitted": _("This note is submitted and can no longer change; add an addendum."),
        "stale": _("This note was changed elsewhere; your changes were merged again."),
        "not_submitted": _("Submit the note before adding an addendum."),
        "invalid": _("Some fields need attention."),
        "not_found": _("There is no such call."),
        "risk_not_counselling": _(
            "The risk screening says moderate risk or higher: record this call as counselling"
            " (about themselves or someone else), not as this type."
        ),
    }
    return messages.get(code, _("This value is not valid."))


def _fail(
    request: Request, user: User, error: notes.NoteError, note: dict[str, Any] | None = None
) -> JSONResponse:
    _ = _translator(request, user)
    body: dict[str, Any] = {
        "detail": error_message(_, error.code),
        "code": error.code,
        "errors": {path: error_message(_, code) for path, code in error.errors.items()},
    }
    if note is not None:
        body["note"] = note
    return JSONResponse(body, status_code=error.status)


def _deps(request: Request) -> tuple[Database, Clock]:
    return request.app.state.db, request.app.state.clock


def _audit(
    request: Request,
    session: Session,
    user: User,
    action: AuditAction,
    object_type: str,
    call_id: int,
    detail: str | None = None,
) -> None:
    """Views, submissions and addenda of a record are audited; draft autosaves (every few
    seconds, by the note's own counselor) are not."""
    record_request(
        request,
        action=action,
        object_type=object_type,
        object_id=call_id,
        user=user,
        detail=detail,
        session=session,
    )


def _call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise HTTPException(status_code=404, detail="no such call")
    return call


@router.get("/notes/options")
def note_options(request: Request, user: CurrentUser) -> dict[str, Any]:
    _ = _translator(request, user)
    zh = (request.session.get("locale") or user.locale) == "zh_CN"
    db, _clock = _deps(request)

    def listed(choices: dict[str, str]) -> list[dict[str, str]]:
        return [{"code": code, "label": _(label)} for code, label in choices.items()]

    with db.session() as session:
        categories = list(
            session.exec(
                select(IssueCategory)
                .where(col(IssueCategory.active))
                .order_by(col(IssueCategory.sort), col(IssueCategory.id))
            )
        )
        resources = list(
            session.exec(
                select(ReferralResource)
                .where(col(ReferralResource.active))
                .order_by(col(ReferralResource.kind), col(ReferralResource.name))
            )
        )

    def label(category: IssueCategory) -> str:
        return category.label_zh if zh else category.label_en

    return {
        "call_types": [
            {"code": code, "label": _(text), "counselling": code in options.COUNSELLING_TYPES}
            for code, text in options.CALL_TYPES.items()
        ],
        "age_bands": listed(options.AGE_BANDS),
        "genders": listed(options.GENDERS),
        "population_groups": listed(options.POPULATION_GROUPS),
        "interventions": listed(options.INTERVENTIONS),
        "protective_factors": [
            {"code": code, "label": _(options.PROTECTIVE_FACTOR_LABELS[code])}
            for code in PROTECTIVE_FACTORS
        ],
        "levels": [
            {
                "code": level.value,
                "label": _(options.LEVEL_LABELS[level.value]),
                "colour": COLOURS[level],
                "flashing": level in FLASHING,
            }
            for level in RiskLevel
        ],
        "categories": [
            {
                "id": top.id,
                "code": top.code,
                "label": label(top),
                "children": [
                    {"id": c.id, "code": c.code, "label": label(c)}
                    for c in categories
                    if c.parent_id == top.id
                ],
            }
            for top in categories
            if top.parent_id is None
        ],
        "referrals": [
            {
                "id": r.id,
                "kind": r.kind,
                "kind_label": _(options.REFERRAL_KINDS.get(r.kind, r.kind)),
                "name": r.name,
                "phone": r.phone,
                "region": r.region,
            }
            for r in resources
        ],
    }


@router.get("/notes/unfinished")
def unfinished_notes(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The signed-in user's notes still to submit (docs/notes-api.md)."""
    db, _clock = _deps(request)
    with db.session() as session:
        found = notes.unfinished(session=session, user=user)
    return {"data": found, "count": len(found)}


@router.get("/calls/{call_id}/note", response_model=None)
def get_note(call_id: int, request: Request, user: CurrentUser) -> dict[str, Any] | JSONResponse:
    db, clock = _deps(request)
    try:
        with db.session() as session:
            note = notes.open_note(
                session=session, call=_call(session, call_id), user=user, now=clock.now()
            )
            _audit(request, session, user, AuditAction.view, "note", call_id)
            return notes.public(session=session, note=note)
    except notes.NoteError as error:
        return _fail(request, user, error)


@router.put("/calls/{call_id}/note", response_model=None, dependencies=[CsrfChecked])
def save_note(
    call_id: int, body: NoteUpdate, request: Request, user: CurrentUser
) -> dict[str, Any] | JSONResponse:
    db, clock = _deps(request)
    now = clock.now()
    try:
        with db.session() as session:
            note = notes.update_draft(
                session=session,
                call=_call(session, call_id),
                user=user,
                version=body.version,
                changes=body.fields,
                now=now,
            )
            result = notes.public(session=session, note=note)
    except notes.NoteError as error:
        return _fail(request, user, error, _current(db, call_id) if error.status == 409 else None)
    if note.escalated_at == now:
        request.app.state.dispatcher.kick()  # page the crisis team now, not at the next tick
    return result


@router.post("/calls/{call_id}/note/submit", response_model=None, dependencies=[CsrfChecked])
def submit_note(
    call_id: int, body: NoteSubmit, request: Request, user: CurrentUser
) -> dict[str, Any] | JSONResponse:
    db, clock = _deps(request)
    try:
        with db.session() as session:
            call = _call(session, call_id)
            note = notes.submit(
                session=session, call=call, user=user, version=body.version, now=clock.now()
            )
            _audit(request, session, user, AuditAction.edit, "note", call_id, "submitted")
            met = followups.close_on_call_in(
                session=session,
                call=call,
                call_type=notes.fields_of(note).call_type,
                user=user,
                secret=request.app.state.settings.secret_key,
                now=clock.now(),
            )
            for follow_up in met:
                record_request(
                    request,
                    action=AuditAction.edit,
                    object_type="follow_up",
                    object_id=follow_up.id,
                    user=user,
                    detail=f"{followups.CALLED_IN} on call {call_id}",
                    session=session,
                )
            return notes.public(session=session, note=note)
    except notes.NoteError as error:
        return _fail(request, user, error, _current(db, call_id) if error.status == 409 else None)


@router.post("/calls/{call_id}/note/addenda", response_model=None, dependencies=[CsrfChecked])
def add_addendum(
    call_id: int, body: AddendumCreate, request: Request, user: CurrentUser
) -> dict[str, Any] | JSONResponse:
    db, clock = _deps(request)
    try:
        with db.session() as session:
            note = notes.add_addendum(
                session=session,
                call=_call(session, call_id),
                user=user,
                text=body.text,
                now=clock.now(),
            )
            _audit(request, session, user, AuditAction.edit, "note", call_id, "addendum")
            return notes.public(session=session, note=note)
    except notes.NoteError as error:
        return _fail(request, user, error)


@router.get("/calls/{call_id}/history", response_model=None)
def caller_history(
    call_id: int, request: Request, user: CurrentUser
) -> dict[str, Any] | JSONResponse:
    db, clock = _deps(request)
    settings = request.app.state.settings
    try:
        with db.session() as session:
            found = notes.history(
                session=session,
                call=_call(session, call_id),
                user=user,
                secret=settings.secret_key,
                now=clock.now(),
                note_due_s=settings.note_due_s,
            )
            _audit(request, session, user, AuditAction.view, "caller_history", call_id)
            return {"data": found, "count": len(found)}
    except notes.NoteError as error:
        return _fail(request, user, error)


def _current(db: Database, call_id: int) -> dict[str, Any] | None:
    with db.session() as session:
        note = notes.note_of(session=session, call_id=call_id)
        return notes.public(session=session, note=note) if note else None
