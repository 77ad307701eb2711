"""Sign-in pages: password, second factor, recovery codes, sign-out.

Each form works in the request's unit of work (`SessionDep`): the attempt counted, the audit
entry and the server-side session started or ended commit together, before the answer goes out.
A refusal (a wrong password, a lock-out) answers with a page instead of raising, so what it
counted towards the lock-out is kept."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from agent_console.kit.qr import qr_data_uri
from agent_console.kit.render import remember_locale, render, translator
from hotline.audit.models import AuditAction
from hotline.audit.service import record_request
from hotline.auth import service as auth
from hotline.auth.deps import (
    PageUser,
    begin_second_factor,
    check_csrf,
    pending_user_id,
    sign_in,
    sign_out,
    user_from_connection,
)
from hotline.auth.models import AttemptOutcome, Role, User
from hotline.db import SessionDep
from hotline.routing import service as routing
from hotline.routing.models import AgentState

router = APIRouter(tags=["sign-in"])

# Where each role works: after sign-in, and at "/".
LANDING = {Role.supervisor: "/supervisor/board", Role.admin: "/admin"}


def landing(user: User) -> str:
    """Counselors and the crisis team take calls in the console; the others have their home."""
    return LANDING.get(user.role, "/console")


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    user = user_from_connection(request)
    return RedirectResponse(landing(user) if user else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    remember_locale(request)
    return render(request, "login.html", error=None)


def _limits(request: Request) -> auth.Limits:
    settings = request.app.state.settings
    return auth.Limits(
        max_failures=settings.login_max_failures,
        max_failures_per_ip=settings.login_max_failures_per_ip,
        window=timedelta(seconds=settings.login_window_s),
        lockout=timedelta(seconds=settings.login_lockout_s),
    )


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _attempted(
    request: Request,
    session: Session,
    *,
    username: str,
    step: str,
    outcome: AttemptOutcome,
    now: datetime,
    user: User | None = None,
    detail: str | None = None,
) -> None:
    """Count a sign-in attempt (for the lock-out) and write it to the audit log."""
    auth.record_attempt(
        session=session, username=username, ip=_ip(request), step=step, outcome=outcome, now=now
    )
    record_request(
        request,
        action=AuditAction.sign_in
        if outcome is AttemptOutcome.success
        else AuditAction.sign_in_failed,
        object_type="session",
        user=user,
        username=None if user is not None else username,
        detail=detail,
        session=session,
    )


def _locked_page(request: Request) -> Response:
    _ = translator(request)
    message = _("Too many sign-in attempts. Wait a few minutes, then try again.")
    return render(request, "login.html", status_code=429, error=message)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    settings = request.app.state.settings
    now = request.app.state.clock.now()
    ip = _ip(request)
    # A refusal answers with a page (never raises), so the attempt it counts is committed.
    if auth.locked_until(
        session=session, username=username, ip=ip, limits=_limits(request), now=now
    ):
        _attempted(
            request,
            session,
            username=username,
            step="password",
            outcome=AttemptOutcome.locked,
            now=now,
            detail="locked out",
        )
        return _locked_page(request)
    user = auth.authenticate(session=session, username=username, password=password)
    if user is None:
        _attempted(
            request,
            session,
            username=username,
            step="password",
            outcome=AttemptOutcome.failed,
            now=now,
        )
        _ = translator(request)
        return render(
            request, "login.html", status_code=401, error=_("Wrong username or password.")
        )
    if auth.needs_totp(user, settings.totp_roles):
        # Not a success yet: only the second factor ends the failure count.
        begin_second_factor(request, user, now=now)
        return RedirectResponse("/login/totp", status_code=303)
    _attempted(
        request,
        session,
        username=username,
        step="password",
        outcome=AttemptOutcome.success,
        now=now,
        user=user,
    )
    sign_in(request, user, session=session)
    return RedirectResponse(landing(user), status_code=303)


def _pending(request: Request, session: Session) -> User | None:
    user_id = pending_user_id(request, now=request.app.state.clock.now())
    user = session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.active else None


def _totp_page(
    request: Request,
    session: Session,
    user: User,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if auth.totp_enrolled(user):
        return render(request, "totp.html", status_code=status_code, error=error, enrol=None)
    secret = auth.start_totp_enrolment(session=session, user=user)
    uri = auth.provisioning_uri(user=user, issuer=request.app.state.settings.totp_issuer)
    enrol = {"secret": secret, "uri": uri, "qr": qr_data_uri(uri)}
    return render(request, "totp.html", status_code=status_code, error=error, enrol=enrol)


@router.get("/login/totp")
def totp_page(request: Request, session: SessionDep) -> Response:
    user = _pending(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return _totp_page(request, session, user)


@router.post("/login/totp")
def totp_submit(
    request: Request,
    code: Annotated[str, Form(max_length=16)],
    session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    now = request.app.state.clock.now()
    _ = translator(request)
    user = _pending(request, session)
    if user is None:
        sign_out(request, session=session)
        return RedirectResponse("/login", status_code=303)
    # A refusal answers with a page (never raises), so the attempt it counts is committed.
    if auth.locked_until(
        session=session, username=user.username, ip=_ip(request), limits=_limits(request), now=now
    ):
        _attempted(
            request,
            session,
            username=user.username,
            step="totp",
            outcome=AttemptOutcome.locked,
            now=now,
            user=user,
            detail="locked out (second factor)",
        )
        sign_out(request, session=session)
        return _locked_page(request)
    enrolling = not auth.totp_enrolled(user)
    check = auth.confirm_totp if enrolling else auth.verify_totp
    passed = check(session=session, user=user, code=code, now=now)
    recovered = False
    if not passed and not enrolling:
        recovered = passed = auth.use_recovery_code(session=session, user=user, code=code, now=now)
    _attempted(
        request,
        session,
        username=user.username,
        step="totp",
        outcome=AttemptOutcome.success if passed else AttemptOutcome.failed,
        now=now,
        user=user,
        detail=("totp enrolled" if enrolling else "recovery code" if recovered else "totp")
        if passed
        else "wrong second-factor code",
    )
    if not passed:
        return _totp_page(
            request,
            session,
            user,
            status_code=401,
            error=_("That code is not right. Try the next one."),
        )
    sign_in(request, user, session=session)
    # A new enrolment goes on to make recovery codes, for the day the phone is lost.
    return RedirectResponse(
        "/account/recovery-codes" if enrolling else landing(user), status_code=303
    )


@router.get("/account/recovery-codes")
def recovery_codes_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    remember_locale(request)
    return render(
        request,
        "recovery_codes.html",
        user=user,
        home=landing(user),
        enrolled=auth.totp_enrolled(user),
        left=auth.recovery_codes_left(session=session, user=user),
        codes=None,
    )


def _password_confirmed(
    request: Request, session: Session, user: User, password: str
) -> str | None:
    """Re-check the password before a sensitive change (a stolen session alone is not enough);
    a wrong one counts towards the sign-in lock-out. None if confirmed, else why not."""
    now = request.app.state.clock.now()
    if auth.locked_until(
        session=session,
        username=user.username,
        ip=_ip(request),
        limits=_limits(request),
        now=now,
    ):
        return "locked"
    if auth.verify_password(user.password_hash, password):
        return None
    auth.record_attempt(
        session=session,
        username=user.username,
        ip=_ip(request),
        step="reauth",
        outcome=AttemptOutcome.failed,
        now=now,
    )
    return "wrong"


@router.post("/account/recovery-codes")
def recovery_codes_create(
    request: Request,
    session: SessionDep,
    user: PageUser,
    csrf_token: Annotated[str, Form()] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    refused = (
        _password_confirmed(request, session, user, password) if auth.totp_enrolled(user) else None
    )
    if refused is not None:
        # Answered with a page, not raised: the failed attempt it counted is committed.
        _ = translator(request, user)
        return render(
            request,
            "recovery_codes.html",
            status_code=429 if refused == "locked" else 401,
            user=user,
            enrolled=True,
            left=auth.recovery_codes_left(session=session, user=user),
            codes=None,
            error=_("Too many sign-in attempts. Wait a few minutes, then try again.")
            if refused == "locked"
            else _("Wrong password. New recovery codes need your password."),
        )
    if not auth.totp_enrolled(user):
        _ = translator(request, user)
        return render(
            request,
            "recovery_codes.html",
            status_code=409,
            user=user,
            enrolled=False,
            left=0,
            codes=None,
            error=_("Your account has no two-step sign-in, so it needs no recovery codes."),
        )
    codes = auth.new_recovery_codes(session=session, user=user, now=request.app.state.clock.now())
    record_request(
        request,
        action=AuditAction.edit,
        object_type="recovery_codes",
        object_id=user.id,
        user=user,
        detail=f"created {len(codes)}",
        session=session,
    )
    response = render(
        request,
        "recovery_codes.html",
        user=user,
        home=landing(user),
        enrolled=True,
        left=len(codes),
        codes=codes,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    user = user_from_connection(request)
    if user is not None:
        # Nobody should be offered calls once they have left; mid-call they stay as they are.
        with contextlib.suppress(routing.RoutingError):
            routing.set_presence(
                session=session,
                user=user,
                state=AgentState.offline,
                reason=None,
                now=request.app.state.clock.now(),
            )
        record_request(
            request, action=AuditAction.sign_out, object_type="session", user=user, session=session
        )
    sign_out(request, session=session)
    return RedirectResponse("/login", status_code=303)
