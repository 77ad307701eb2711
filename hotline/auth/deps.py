"""Who is signed in, what they may do, and CSRF tokens for forms.

The one family of user dependencies: `CurrentUser` (JSON: 401 without a session), `PageUser`
(a page: off to sign in), and `RequireRole(...)` / `RequirePageRole(...)` for a role check on top
(403). Every route names its user through these; the access matrix (tests/access) is built from
them. The user found is also kept on `request.state.user`, for the error handlers' language.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from sqlmodel import Session
from starlette.requests import HTTPConnection

from hotline.auth import sessions
from hotline.auth.models import Role, User
from hotline.db import request_session

# The cookie names a server-side session (hotline/auth/sessions.py); it carries no user id.
SESSION_ID = "sid"
SESSION_CSRF = "csrf"
# Between a correct password and the second factor: only who is signing in, and since when.
# Such a session has no user and no role: everything but the second-factor pages treats it as
# signed out.
SESSION_PENDING = "pending_uid"
SESSION_PENDING_AT = "pending_at"
PENDING_MAX_AGE_S = 300
# The language chosen on the sign-in page; the only thing that survives the session renewal.
SESSION_LOCALE = "locale"


def _renew(request: Request) -> None:
    """A fresh session (no fixation), keeping only the chosen language."""
    locale = request.session.get(SESSION_LOCALE)
    request.session.clear()
    if isinstance(locale, str):
        request.session[SESSION_LOCALE] = locale


def _lifetime(conn: HTTPConnection) -> sessions.Lifetime:
    settings = conn.app.state.settings
    return sessions.Lifetime(
        idle=timedelta(seconds=settings.session_idle_s),
        absolute=timedelta(seconds=settings.session_max_age_s),
    )


def user_from_connection(conn: HTTPConnection) -> User | None:
    """The signed-in user for an HTTP request or a websocket, if their session is still live."""
    token = conn.session.get(SESSION_ID)
    if not isinstance(token, str):
        return None
    with request_session(conn) as session:
        return sessions.resolve(
            session=session,
            token=token,
            now=conn.app.state.clock.now(),
            lifetime=_lifetime(conn),
        )


def session_check(conn: HTTPConnection) -> Callable[[], bool]:
    """For an open socket (blocking, for the thread pool): is its session still live? Each check
    counts as activity, so an open console keeps its session from going idle."""
    return lambda: user_from_connection(conn) is not None


def current_user(request: Request) -> User:
    user = user_from_connection(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in required")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def sign_in_redirect() -> HTTPException:
    """A page asked for without a session: the browser is sent to the sign-in page."""
    return HTTPException(status_code=303, detail="sign in required", headers={"Location": "/login"})


def page_user(request: Request) -> User:
    """The signed-in user of a page (HTML); without a session, off to sign in."""
    user = user_from_connection(request)
    if user is None:
        raise sign_in_redirect()
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(page_user)]


def forbidden() -> HTTPException:
    return HTTPException(status_code=403, detail="not allowed for your role")


class RequireRole:
    """A JSON route for these roles only: `Annotated[User, Depends(RequireRole(Role.admin))]`."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, user: CurrentUser) -> User:
        if user.role not in self.roles:
            raise forbidden()
        return user


class RequirePageRole(RequireRole):
    """A page for these roles only: without a session off to sign in, a wrong role 403."""

    def __call__(self, user: PageUser) -> User:
        if user.role not in self.roles:
            raise forbidden()
        return user


def require_role(*roles: Role) -> Any:
    """`user: User = require_role(...)`, the older spelling of `Depends(RequireRole(...))`."""
    return Depends(RequireRole(*roles))


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get(SESSION_CSRF)
    # Bytes: compare_digest refuses non-ASCII str, and a forged token may be anything.
    if (
        not expected
        or not submitted
        or not secrets.compare_digest(expected.encode(), submitted.encode())
    ):
        raise HTTPException(status_code=403, detail="invalid or missing CSRF token")


def sign_in(request: Request, user: User, *, session: Session) -> None:
    """Start a server-side session: its row is written in `session` (the request's)."""
    _renew(request)  # a fresh session at sign-in: no fixation
    token = sessions.start(session=session, user=user, now=request.app.state.clock.now())
    request.session[SESSION_ID] = token
    csrf_token(request)


def begin_second_factor(request: Request, user: User, *, now: datetime) -> None:
    """The password was right; the session waits for the second factor (no privileges yet)."""
    _renew(request)
    request.session[SESSION_PENDING] = user.id
    request.session[SESSION_PENDING_AT] = now.timestamp()
    csrf_token(request)


def pending_user_id(request: Request, *, now: datetime) -> int | None:
    """Whose second factor this session waits for, if it started less than 5 minutes ago."""
    user_id = request.session.get(SESSION_PENDING)
    started = request.session.get(SESSION_PENDING_AT)
    if not isinstance(user_id, int) or not isinstance(started, int | float):
        return None
    if not 0 <= now.timestamp() - started <= PENDING_MAX_AGE_S:
        return None
    return user_id


def sign_out(request: Request, *, session: Session) -> None:
    """End this browser's session on the server too (in `session`, the request's): a copy of
    the cookie is worth nothing."""
    token = request.session.get(SESSION_ID)
    if isinstance(token, str):
        sessions.end(session=session, token=token, now=request.app.state.clock.now())
    _renew(request)


def require_csrf_header(
    request: Request, x_csrf_token: Annotated[str | None, Header()] = None
) -> None:
    """JSON requests that change state carry the session's CSRF token in X-CSRF-Token."""
    check_csrf(request, x_csrf_token)


CsrfChecked = Depends(require_csrf_header)
