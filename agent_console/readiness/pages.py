"""The admin home page: the readiness panel (`hotline.readiness`), red/amber/green with fixes.

A page of its own for now (the admin pages are being built next to it); it reads only. In twilio
mode it asks the phone network where the numbers point, within the request's read-only session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from agent_console.kit.render import remember_locale, render, translator
from hotline import readiness
from hotline.auth.deps import RequirePageRole
from hotline.auth.models import Role, User
from hotline.db import SessionDep

router = APIRouter(tags=["readiness"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]


@router.get("/admin", include_in_schema=False)
def admin_home(request: Request, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    settings = request.app.state.settings
    telephony = request.app.state.telephony if settings.telephony_mode == "twilio" else None
    findings = readiness.check(session, settings, request.app.state.clock.now(), telephony)
    gettext = translator(request, user)
    order = {readiness.Level.red: 0, readiness.Level.amber: 1, readiness.Level.green: 2}
    rows = [
        {
            "level": f.level.value,
            "code": f.code,
            "subject": f.subject,
            "message": f.text(gettext),
            "fix": f.fix_text(gettext),
        }
        for f in sorted(findings, key=lambda f: order[f.level])
    ]
    return render(
        request,
        "admin_home.html",
        user=user,
        findings=rows,
        overall=readiness.worst(findings).value,
    )
