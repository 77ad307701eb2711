"""Call-note API for the console (JSON); see docs/notes-api.md."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from sqlmodel import Session

from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import CsrfChecked, CurrentUser
from hotline.auth.models import User
from hotline.calls.models import Call
from hotline.cases import service as cases
from hotline.db import SessionDep
from hotline.errors import request_gettext
from hotline.followups import service as followups
from hotline.notes import service as notes
from hotline.notes.models import CallNote
from hotline.notes.schemas import (
    AddendumCreate,
    CallerHistory,
    NoteOptions,
    NoteOut,
    NoteSubmit,
    NoteUpdate,
    UnfinishedNotes,
)
from hotline.routing.engine import DispatcherDep

router = APIRouter(prefix="/api", tags=["notes"])


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


def _with_note(session: Session, call_id: int, error: notes.NoteError) -> notes.NoteError:
    """A conflict answers with the note as it stands, for the console to merge into. Rolled
    back first, so it is the note as stored (not a draft this request was about to create)."""
    if error.status == 409:
        session.rollback()
        error.note = notes.current(session=session, call_id=call_id)
    return error


def _follow_case(request: Request, session: Session, user: User, call: Call) -> None:
    """The caller's case follows the note's level: opened at high risk, its tier moved."""
    found = cases.of_call(session=session, call=call)
    before = (found.status.value, found.tier.value) if found is not None else None
    case = cases.follow_note(
        session=session,
        call=call,
        user=user,
        secret=request.app.state.settings.secret_key,
        now=request.app.state.clock.now(),
    )
    after = (case.status.value, case.tier.value) if case is not None else None
    if case is not None and after != before:
        record_request(
            request,
            action=AuditAction.edit,
            object_type="case",
            object_id=case.id,
            user=user,
            detail=f"from the note on call {call.id}: {before} -> {after}",
            session=session,
        )


def _out(session: Session, note: CallNote) -> NoteOut:
    return NoteOut.model_validate(notes.public(session=session, note=note))


@router.get("/notes/options")
def note_options(request: Request, user: CurrentUser, session: SessionDep) -> NoteOptions:
    zh = (request.session.get("locale") or user.locale) == "zh_CN"
    return notes.choices(session=session, _=request_gettext(request), zh=zh)


@router.get("/notes/unfinished")
def unfinished_notes(user: CurrentUser, session: SessionDep) -> UnfinishedNotes:
    """The signed-in user's notes still to submit (docs/notes-api.md)."""
    found = notes.unfinished(session=session, user=user)
    return UnfinishedNotes.model_validate({"data": found, "count": len(found)})


@router.get("/calls/{call_id}/note")
def get_note(call_id: int, request: Request, user: CurrentUser, session: SessionDep) -> NoteOut:
    call = notes.call_of(session=session, call_id=call_id)
    note = notes.open_note(session=session, call=call, user=user, now=request.app.state.clock.now())
    _audit(request, session, user, AuditAction.view, "note", call_id)
    return _out(session, note)


@router.put("/calls/{call_id}/note", dependencies=[CsrfChecked])
def save_note(
    call_id: int,
    body: NoteUpdate,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    after_commit: BackgroundTasks,
) -> NoteOut:
    now = request.app.state.clock.now()
    call = notes.call_of(session=session, call_id=call_id)
    try:
        note = notes.update_draft(
            session=session,
            call=call,
            user=user,
            version=body.version,
            changes=body.fields,
            now=now,
        )
    except notes.NoteError as error:
        raise _with_note(session, call_id, error) from None
    _follow_case(request, session, user, call)
    if note.escalated_at == now:
        # Page the crisis team now, not at the next tick: once the escalation is committed.
        after_commit.add_task(dispatcher.kick)
    return _out(session, note)


@router.post("/calls/{call_id}/note/submit", dependencies=[CsrfChecked])
def submit_note(
    call_id: int, body: NoteSubmit, request: Request, user: CurrentUser, session: SessionDep
) -> NoteOut:
    now = request.app.state.clock.now()
    call = notes.call_of(session=session, call_id=call_id)
    try:
        note = notes.submit(session=session, call=call, user=user, version=body.version, now=now)
    except notes.NoteError as error:
        raise _with_note(session, call_id, error) from None
    _audit(request, session, user, AuditAction.edit, "note", call_id, "submitted")
    _follow_case(request, session, user, call)
    met = followups.close_on_call_in(
        session=session,
        call=call,
        call_type=notes.fields_of(note).call_type,
        user=user,
        secret=request.app.state.settings.secret_key,
        now=now,
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
    return _out(session, note)


@router.post("/calls/{call_id}/note/addenda", dependencies=[CsrfChecked])
def add_addendum(
    call_id: int, body: AddendumCreate, request: Request, user: CurrentUser, session: SessionDep
) -> NoteOut:
    note = notes.add_addendum(
        session=session,
        call=notes.call_of(session=session, call_id=call_id),
        user=user,
        text=body.text,
        now=request.app.state.clock.now(),
    )
    _audit(request, session, user, AuditAction.edit, "note", call_id, "addendum")
    return _out(session, note)


@router.get("/calls/{call_id}/history")
def caller_history(
    call_id: int, request: Request, user: CurrentUser, session: SessionDep
) -> CallerHistory:
    settings = request.app.state.settings
    found = notes.history(
        session=session,
        call=notes.call_of(session=session, call_id=call_id),
        user=user,
        secret=settings.secret_key,
        now=request.app.state.clock.now(),
        note_due_s=settings.note_due_s,
    )
    _audit(request, session, user, AuditAction.view, "caller_history", call_id)
    return CallerHistory.model_validate({"data": found, "count": len(found)})
