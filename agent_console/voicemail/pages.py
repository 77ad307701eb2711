"""The supervisors' voicemail list: play each message (through the authenticated proxy,
`hotline/voicemail/api.py`), and mark it handled with what was done. Every view, playback and
handling is in the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from agent_console.dialback import views as dialback_views
from agent_console.kit.render import remember_locale, render, translator
from agent_console.voicemail import labels
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import User
from hotline.db import SessionDep
from hotline.lines.models import Line
from hotline.query_filters import choice_filter, id_filter, page_filter
from hotline.voicemail import service as voicemails
from hotline.voicemail.models import VoicemailOutcome
from hotline.voicemail.service import PAGE_SIZE, STATUSES, VoicemailError, VoicemailFilter

router = APIRouter(tags=["voicemail"])
Handler = Annotated[User, Depends(RequirePageRole(*voicemails.HANDLERS))]
LIST_KEYS = ("line", "status")


def _local(value: datetime | None, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if value else ""


@router.get("/supervisor/voicemails", include_in_schema=False)
def voicemails_page(request: Request, user: Handler, session: SessionDep) -> Response:
    """Every line's voicemails, the oldest waiting first; filtered by line and status."""
    remember_locale(request)
    params = request.query_params
    page = page_filter(params)
    flt = VoicemailFilter(
        line_id=id_filter(params, "line"), status=choice_filter(params, "status", STATUSES)
    )
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
        dialback_config=dialback_views.config(_),
        base_query=urlencode(
            [(k, v) for k, v in params.multi_items() if k not in ("page", "done")]
        ),
    )


@router.post("/supervisor/voicemails/{voicemail_id}/handle", include_in_schema=False)
def handle_voicemail(
    voicemail_id: int,
    request: Request,
    user: Handler,
    session: SessionDep,
    outcome: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Mark it handled; back to the list with what happened (no such voicemail: 404)."""
    check_csrf(request, csrf_token)
    if outcome not in VoicemailOutcome.__members__:
        return RedirectResponse("/supervisor/voicemails?done=bad_outcome", status_code=303)
    try:
        voicemails.handle(
            session=session,
            voicemail_id=voicemail_id,
            user=user,
            outcome=VoicemailOutcome(outcome),
            now=request.app.state.clock.now(),
        )
    except VoicemailError as failure:
        if failure.code != "handled":
            raise
        # Someone else was first (nothing was written): the list says so.
        return RedirectResponse("/supervisor/voicemails?done=already", status_code=303)
    record_request(
        request,
        action=AuditAction.edit,
        object_type="voicemail",
        object_id=voicemail_id,
        user=user,
        detail=f"handled {outcome}",
        session=session,
    )
    return RedirectResponse("/supervisor/voicemails?done=handled", status_code=303)
