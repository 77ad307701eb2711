"""A line's prompts page (`/admin/lines/{line_id}/prompts`): what a caller hears, per language.

Admins edit the greeting and hold prompt (text, or an uploaded recording), the "in danger now"
key and prompt, the recording-consent prompt, the hold music and the queue announcements, and
see the TwiML each language gets. The rules and the audit log are in `hotline.lines.prompts`;
this parses the form (multipart, for the files), checks the CSRF token and renders. A refused
form shows the page again with the reason next to each field, having changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from agent_console.kit.render import remember_locale, render, translator
from hotline.auth.deps import RequirePageRole, check_csrf
from hotline.auth.models import Role, User
from hotline.config import Settings
from hotline.db import SessionDep
from hotline.i18n import N_, gettext_for
from hotline.lines import prompts as rules
from hotline.lines.models import Line
from hotline.lines.prompts import PromptError, PromptForm, Upload
from hotline.telephony import prompts as twiml

router = APIRouter(tags=["admin"])
Admin = Annotated[User, Depends(RequirePageRole(Role.admin))]
LANGUAGE_LABELS = {"zh_CN": "中文", "en": "English"}
SAVED = N_("The prompts were saved.")
UNCHANGED = N_("Nothing was changed.")


async def _read_form(request: Request) -> FormData:
    """The multipart form (read here, so the page route itself stays a plain function)."""
    return await request.form(max_files=20, max_fields=200)


Submitted = Annotated[FormData, Depends(_read_form)]


def _line(session: Session, line_id: int) -> Line:
    line = session.get(Line, line_id)
    if line is None:
        raise PromptError("not_found", 404)
    return line


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.public_base_url.rstrip("/")


def _preview(request: Request, session: Session, line: Line) -> dict[str, Any]:
    """The TwiML the phone network gets: the welcome menu (in the line's first language, before
    the caller chooses), then per language entering the queue and one pass of the wait loop
    (with an example announcement)."""
    assert line.id is not None
    base = _base_url(request)
    audio = {
        key: f"{base}/twilio/prompts/{row.token}"
        for key, row in rules.recordings(session=session, line_id=line.id).items()
    }
    per_language: dict[str, dict[str, str]] = {}
    for lang in line.languages:
        example = twiml.announcement(lang, 2, 240) if line.announce_position else []
        per_language[lang] = {
            "queue": twiml.queue(
                call_sid="CA" + "0" * 32,
                lang=lang,
                in_danger=False,
                hold_url=f"{base}/twilio/voice/hold?lang={lang}",
                conference_status_url=f"{base}/twilio/conference/status",
                after_url=f"{base}/twilio/voice/after?lang={lang}",
                record=line.recording,
                consent=twiml.consent_prompt(line, lang),
            ),
            "hold": twiml.hold(line, lang, audio=audio, announcement=example),
        }
    return {
        "welcome": twiml.welcome(line, f"{base}/twilio/voice/gather", audio),
        "languages": per_language,
    }


def _defaults(line: Line) -> dict[str, dict[str, str]]:
    """What is said when a text is left empty: shown as each field's placeholder."""
    blank = Line.model_validate(
        {
            **line.model_dump(),
            "greetings": {},
            "hold_prompts": {},
            "danger_prompts": {},
            "consent_prompts": {},
        }
    )
    found: dict[str, dict[str, str]] = {}
    for lang in line.languages:
        _ = gettext_for(lang)
        found[lang] = {
            "greeting": twiml.default_greeting(line, lang),
            "hold": twiml.hold_prompt(None, lang),
            "danger": twiml.danger_prompt(blank, lang),
            "consent": twiml.consent_prompt(blank, lang),
        }
    return found


def _page(
    request: Request,
    session: Session,
    user: User,
    line: Line,
    *,
    form: PromptForm | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    _ = translator(request, user)
    assert line.id is not None
    done = request.query_params.get("done") or ""
    notice = {"saved": SAVED, "unchanged": UNCHANGED}.get(done)
    return render(
        request,
        "line_prompts.html",
        user=user,
        line=line,
        values=form or rules.form_of(line),
        errors=errors or {},
        error=error,
        notice=_(notice) if notice else None,
        recordings={
            "-".join(filter(None, key)): row
            for key, row in rules.recordings(session=session, line_id=line.id).items()
        },
        defaults=_defaults(line),
        preview=_preview(request, session, line),
        languages=LANGUAGE_LABELS,
        text_kinds=rules.TEXT_KINDS,
        audio_kinds=rules.AUDIO_KINDS,
        limits={"min": rules.ANNOUNCE_MIN_S, "max": rules.ANNOUNCE_MAX_S},
        status_code=status_code,
    )


@router.get("/admin/lines/{line_id}/prompts", include_in_schema=False)
def prompts_page(request: Request, line_id: int, user: Admin, session: SessionDep) -> Response:
    remember_locale(request)
    return _page(request, session, user, _line(session, line_id))


def _text(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _parse(line: Line, data: FormData) -> tuple[PromptForm, list[Upload]]:
    form = PromptForm(
        texts={
            kind: {lang: _text(data, f"{kind}-{lang}") for lang in line.languages}
            for kind in rules.TEXT_KINDS
        },
        danger_key=_text(data, "danger_key").strip(),
        callback_key=_text(data, "callback_key").strip(),
        announce_position=_text(data, "announce_position") == "1",
        announce_every_s=_text(data, "announce_every_s"),
        hold_music_url=_text(data, "hold_music_url").strip(),
        remove={name for name in data.getlist("remove") if isinstance(name, str)},
    )
    uploads: list[Upload] = []
    for name in rules.upload_fields(line):
        value = data.get(name)
        if isinstance(value, UploadFile) and value.filename:
            # One byte past the limit is enough to refuse it; never the whole of a huge file.
            uploads.append(Upload(field=name, data=value.file.read(rules.MAX_AUDIO_BYTES + 1)))
    return form, uploads


def _errors(codes: dict[str, str], _: Callable[[str], str]) -> dict[str, str]:
    failure = PromptError("invalid")
    return {name: failure.text_for(code, _) for name, code in codes.items()}


@router.post("/admin/lines/{line_id}/prompts", include_in_schema=False)
def save_prompts(
    request: Request, line_id: int, user: Admin, session: SessionDep, data: Submitted
) -> Response:
    check_csrf(request, _text(data, "csrf_token") or None)
    line = _line(session, line_id)
    form, uploads = _parse(line, data)
    _ = translator(request, user)
    try:
        changed = rules.save(
            session=session,
            line=line,
            form=form,
            uploads=uploads,
            actor=user,
            now=_now(request),
            ip=request.client.host if request.client else None,
        )
    except PromptError as failure:
        return _page(
            request,
            session,
            user,
            line,
            form=form,
            errors=_errors(failure.errors, _),
            error=failure.message(_),
            status_code=failure.status,
        )
    done = "saved" if changed else "unchanged"
    return RedirectResponse(f"/admin/lines/{line_id}/prompts?done={done}", status_code=303)
