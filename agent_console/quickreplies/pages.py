"""A line's quick replies (`/admin/quick-replies`): the list by line, a reply's page (add, edit,
retire, bring back) and moving one up or down.

Admins only. The rules and the audit log are in `hotline.quickreplies.service`; these routes
parse forms, check the CSRF token and render. A refused form shows the page again with the
reason next to each field (422), having changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from agent_console.kit.render import remember_locale, render, translator
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.db import SessionDep
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.quickreplies import service as quick
from hotline.quickreplies.models import QuickReply
from hotline.quickreplies.service import QuickReplyError

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
CsrfToken = Annotated[str | None, Form()]
Text = Annotated[str, Form()]
BASE = "/admin/quick-replies"
LANGUAGES = {"zh_CN": N_("Chinese"), "en": N_("English")}
NOTICES = {
    "created": N_("Created."),
    "saved": N_("The changes were saved."),
    "deactivated": N_("Retired: counselors are no longer offered it."),
    "activated": N_("Active again: counselors are offered it."),
    "moved": N_("The order was changed."),
}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _notice(request: Request, _: Callable[[str], str]) -> str | None:
    done = request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


def _lines(session: Session) -> list[Line]:
    return list(session.exec(select(Line).order_by(col(Line.id))))


def _languages(_: Callable[[str], str]) -> dict[str, str]:
    return {code: _(name) for code, name in LANGUAGES.items()}


@router.get(BASE, include_in_schema=False)
def quick_replies_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    _ = translator(request, user)
    lines = _lines(session)
    rows = quick.listed(session=session)
    by_line = [(line, [row for row in rows if row.line_id == line.id]) for line in lines]
    return render(
        request,
        "quick_replies.html",
        user=user,
        by_line=by_line,
        languages=_languages(_),
        notice=_notice(request, _),
    )


def _values(reply: QuickReply | None, line_id: str = "") -> dict[str, Any]:
    if reply is None:
        return {"line_id": line_id, "title": "", "text": "", "language": "zh_CN", "sort": "0"}
    return {
        "line_id": str(reply.line_id),
        "title": reply.title,
        "text": reply.text,
        "language": reply.language,
        "sort": str(reply.sort),
    }


def _page(
    request: Request,
    user: User,
    session: Session,
    reply: QuickReply | None,
    *,
    values: dict[str, Any] | None = None,
    failure: QuickReplyError | None = None,
) -> Response:
    _ = translator(request, user)
    line_hint = request.query_params.get("line") or ""
    return render(
        request,
        "quick_reply.html",
        user=user,
        reply=reply,
        lines=_lines(session),
        languages=_languages(_),
        values=values or _values(reply, line_hint),
        errors={f: failure.text_for(c, _) for f, c in failure.errors.items()} if failure else {},
        error=failure.message(_) if failure else None,
        notice=_notice(request, _),
        status_code=failure.status if failure else 200,
    )


@router.get(BASE + "/new", include_in_schema=False)
def new_quick_reply_page(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _page(request, user, session, None)


@router.get(BASE + "/{reply_id}", include_in_schema=False)
def quick_reply_page(request: Request, reply_id: int, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _page(request, user, session, quick.get(session=session, reply_id=reply_id))


@router.post(BASE, include_in_schema=False)
def create_quick_reply(
    request: Request,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    line_id: Text = "",
    title: Text = "",
    text: Text = "",
    language: Text = "",
    sort: Text = "0",
) -> Response:
    check_csrf(request, csrf_token)
    values = {"line_id": line_id, "title": title, "text": text, "language": language, "sort": sort}
    try:
        fields = quick.check(session=session, **values)
        created = quick.create(
            session=session, fields=fields, actor=user, now=_now(request), ip=_ip(request)
        )
    except QuickReplyError as failure:
        return _page(request, user, session, None, values=values, failure=failure)
    return RedirectResponse(f"{BASE}/{created.id}?done=created", status_code=303)


@router.post(BASE + "/{reply_id}", include_in_schema=False)
def edit_quick_reply(
    request: Request,
    reply_id: int,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
    line_id: Text = "",
    title: Text = "",
    text: Text = "",
    language: Text = "",
    sort: Text = "0",
) -> Response:
    check_csrf(request, csrf_token)
    reply = quick.get(session=session, reply_id=reply_id)
    values = {"line_id": line_id, "title": title, "text": text, "language": language, "sort": sort}
    try:
        fields = quick.check(session=session, **values)
        quick.update(
            session=session,
            reply=reply,
            fields=fields,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
    except QuickReplyError as failure:
        return _page(request, user, session, reply, values=values, failure=failure)
    return RedirectResponse(f"{BASE}/{reply_id}?done=saved", status_code=303)


@router.post(BASE + "/{reply_id}/{action}", include_in_schema=False)
def quick_reply_action(
    request: Request,
    reply_id: int,
    action: str,
    user: Admin,
    session: SessionDep,
    csrf_token: CsrfToken = None,
) -> Response:
    """`deactivate`, `activate`, `up` or `down` (anything else is not found)."""
    check_csrf(request, csrf_token)
    reply = quick.get(session=session, reply_id=reply_id)
    if action in ("activate", "deactivate"):
        active = action == "activate"
        quick.set_active(
            session=session,
            reply=reply,
            active=active,
            actor=user,
            now=_now(request),
            ip=_ip(request),
        )
        done = "activated" if active else "deactivated"
        return RedirectResponse(f"{BASE}/{reply_id}?done={done}", status_code=303)
    quick.move(
        session=session,
        reply=reply,
        direction=action,
        actor=user,
        now=_now(request),
        ip=_ip(request),
    )
    return RedirectResponse(f"{BASE}?done=moved#reply-{reply_id}", status_code=303)
