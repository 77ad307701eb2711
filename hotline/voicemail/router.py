"""The supervisors' voicemail list: play each message (through the authenticated proxy), and
mark it handled with what was done. Every view, playback and handling is in the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import check_csrf, page_user
from hotline.auth.models import User
from hotline.db import Database
from hotline.lines.models import Line
from hotline.query_filters import choice_filter, id_filter, page_filter
from hotline.review import playback
from hotline.voicemail import labels
from hotline.voicemail import service as voicemails
from hotline.voicemail.models import VoicemailOutcome
from hotline.voicemail.service import PAGE_SIZE, STATUSES, VoicemailError, VoicemailFilter

router = APIRouter(tags=["voicemail"])
LIST_KEYS = ("line", "status")


def _handler(request: Request) -> User:
    user = page_user(request)
    if user.role not in voicemails.HANDLERS:
        raise HTTPException(status_code=403, detail="not allowed for your role")
    return user


Handler = Annotated[User, Depends(_handler)]


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _local(value: datetime | None, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if value else ""


@router.get("/supervisor/voicemails", include_in_schema=False)
def voicemails_page(request: Request, user: Handler) -> Response:
    """Every line's voicemails, the oldest waiting first; filtered by line and status."""
    remember_locale(request)
    params = request.query_params
    page = page_filter(params)
    flt = VoicemailFilter(
        line_id=id_filter(params, "line"), status=choice_filter(params, "status", STATUSES)
    )
    with _db(request).session() as session:
        rows, total = voicemails.search(
            session=session, flt=flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        lines = session.exec(select(Line).order_by(col(Line.name))).all()
        kept = {k: params[k] for k in LIST_KEYS if params.get(k)}
        record_request(
            request,
            action=AuditAction.view,
            object_type="voicemail_list",
            user=user,
            detail=urlencode(kept) or None,
            session=session,
        )
    _ = translator(request, user)
    return render(
        request,
        "supervisor_voicemails.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        params=params,
        lines=lines,
        status_keys=list(STATUSES),
        statuses=labels.statuses(_),
        outcomes=labels.outcomes(_),
        notice=labels.message(_, params.get("done", "")),
        when=_local,
        base_query=urlencode(
            [(k, v) for k, v in params.multi_items() if k not in ("page", "done")]
        ),
    )


@router.get("/supervisor/voicemails/{voicemail_id}/audio", include_in_schema=False)
def voicemail_audio(voicemail_id: int, request: Request, user: Handler) -> Response:
    """The message itself, fetched from the provider with the account's credentials."""
    with _db(request).session() as session:
        url = voicemails.audio_url(session=session, voicemail_id=voicemail_id)
        if url is None:
            raise HTTPException(status_code=404, detail="no such voicemail")
        record_request(
            request,
            action=AuditAction.view,
            object_type="voicemail",
            object_id=voicemail_id,
            user=user,
            detail="played",
            session=session,
        )
    return playback.stream(request, url, what=f"voicemail {voicemail_id}")


@router.post("/supervisor/voicemails/{voicemail_id}/handle", include_in_schema=False)
def handle_voicemail(
    voicemail_id: int,
    request: Request,
    user: Handler,
    outcome: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if outcome not in VoicemailOutcome.__members__:
        return RedirectResponse("/supervisor/voicemails?done=bad_outcome", status_code=303)
    try:
        with _db(request).session() as session:
            voicemails.handle(
                session=session,
                voicemail_id=voicemail_id,
                user=user,
                outcome=VoicemailOutcome(outcome),
                now=request.app.state.clock.now(),
            )
            record_request(
                request,
                action=AuditAction.edit,
                object_type="voicemail",
                object_id=voicemail_id,
                user=user,
                detail=f"handled {outcome}",
                session=session,
            )
    except VoicemailError as failure:
        if failure.code == "handled":
            return RedirectResponse("/supervisor/voicemails?done=already", status_code=303)
        raise HTTPException(status_code=failure.status, detail=failure.code) from failure
    return RedirectResponse("/supervisor/voicemails?done=handled", status_code=303)
