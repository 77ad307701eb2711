"""What a caller hears on a line, as its prompts page and the webhooks share it.

Per language of the line: the greeting and the hold prompt (text said by `<Say>`, or an uploaded
recording played instead), the "in danger now" prompt and the recording-consent prompt (text);
per line: the danger key, hold music (an uploaded file or a URL), and whether a waiting caller
hears their place in the queue and the expected wait every N seconds.

Uploads are checked by their bytes, not by the name or type the browser claims (MP3 or WAV, at
most `MAX_AUDIO_BYTES`), kept in `prompt_audio` and served at `/twilio/prompts/{token}`: the
phone network fetches them without a session, so the token is random and replaced at each upload.
Every change is audited with what changed, before and after (a recording by its type and size).
"""

from __future__ import annotations

import json
import secrets
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth.models import User
from hotline.calls.models import Call, CallState, Channel
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.lines.prompt_models import PromptAudio

TEXT_KINDS = ("greeting", "hold", "danger", "consent")
AUDIO_KINDS = ("greeting", "hold")  # prompts a recording may replace; plus the music
MUSIC = "music"
MAX_TEXT = 500
MAX_AUDIO_BYTES = 5 * 1024 * 1024
ANNOUNCE_MIN_S, ANNOUNCE_MAX_S = 30, 300
# The overflow action (`Line.overflow_action`) that offers a callback; its key is the line's
# `callback_key` (1 unless set).
OVERFLOW_CALLBACK = "callback"
CALLBACK_KEY = "1"
# The expected wait is the median wait of the calls answered in this window; fewer answered
# calls than this and nothing is said (a guess from one call would mislead).
WAIT_WINDOW = timedelta(hours=1)
WAIT_MIN_SAMPLES = 3
TEXT_COLUMNS = {
    "greeting": "greetings",
    "hold": "hold_prompts",
    "danger": "danger_prompts",
    "consent": "consent_prompts",
}


class PromptError(DomainError):
    """A prompts form that is refused; `errors` names the fields at fault."""

    status = 422
    messages: ClassVar[dict[str, str]] = {
        "not_found": N_("There is no such line."),
        "invalid": N_("Some fields need correcting."),
        "too_long": N_("At most 500 characters."),
        "bad_key": N_("Choose one digit, 0 to 9."),
        "key_taken": N_("This digit chooses a language on this line: choose another one."),
        "key_is_danger": N_('This is the "in danger now" key: choose another digit.'),
        "bad_interval": N_("Enter a number of seconds from 30 to 300."),
        "bad_url": N_("Enter an address starting with https:// (or http://)."),
        "bad_audio": N_("Upload an MP3 or WAV file."),
        "audio_too_big": N_("The file is too big: at most 5 MB."),
        "empty_audio": N_("The file is empty."),
    }


@dataclass(frozen=True)
class Upload:
    """A file sent with the form: which field, and its bytes."""

    field: str  # "audio-greeting-zh_CN", "audio-hold-en", "music_file"
    data: bytes


@dataclass
class PromptForm:
    """The form as typed (strings), also what the page shows again after a refusal."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> language -> text
    danger_key: str = "9"
    callback_key: str = CALLBACK_KEY
    announce_position: bool = False
    announce_every_s: str = "60"
    hold_music_url: str = ""
    remove: set[str] = field(default_factory=set)  # "greeting-zh_CN", "hold-en", "music"


def form_of(line: Line) -> PromptForm:
    return PromptForm(
        texts={kind: dict(getattr(line, TEXT_COLUMNS[kind])) for kind in TEXT_KINDS},
        danger_key=line.danger_key,
        callback_key=line.callback_key,
        announce_position=line.announce_position,
        announce_every_s=str(line.announce_every_s),
        hold_music_url=line.hold_music_url or "",
    )


def sniff(data: bytes) -> str | None:
    """audio/mpeg or audio/wav from the file's first bytes; None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _check_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= 500


def check(line: Line, form: PromptForm, uploads: Iterable[Upload]) -> dict[str, str]:
    """The field -> error code of everything wrong (empty: the form may be saved)."""
    errors: dict[str, str] = {}
    for kind in TEXT_KINDS:
        for lang, text in form.texts.get(kind, {}).items():
            if len(text) > MAX_TEXT:
                errors[f"{kind}-{lang}"] = "too_long"
    key = form.danger_key
    if not (len(key) == 1 and key.isascii() and key.isdigit()):
        errors["danger_key"] = "bad_key"
    elif 1 <= int(key) <= len(line.languages) and len(line.languages) > 1:
        errors["danger_key"] = "key_taken"
    callback = form.callback_key
    if not (len(callback) == 1 and callback.isascii() and callback.isdigit()):
        errors["callback_key"] = "bad_key"
    elif callback == key:
        errors["callback_key"] = "key_is_danger"
    every = form.announce_every_s.strip()
    if not (every.isascii() and every.isdigit() and ANNOUNCE_MIN_S <= int(every) <= ANNOUNCE_MAX_S):
        errors["announce_every_s"] = "bad_interval"
    if form.hold_music_url and not _check_url(form.hold_music_url):
        errors["hold_music_url"] = "bad_url"
    for upload in uploads:
        if not upload.data:
            errors[upload.field] = "empty_audio"
        elif len(upload.data) > MAX_AUDIO_BYTES:
            errors[upload.field] = "audio_too_big"
        elif sniff(upload.data) is None:
            errors[upload.field] = "bad_audio"
    return errors


def _audio_key(upload_field: str) -> tuple[str, str]:
    """ "audio-greeting-zh_CN" -> ("greeting", "zh_CN"); "music_file" -> ("music", "")."""
    if upload_field == "music_file":
        return MUSIC, ""
    _, kind, lang = upload_field.split("-", 2)
    return kind, lang


def upload_fields(line: Line) -> list[str]:
    """The file fields the form may send for this line."""
    return [f"audio-{kind}-{lang}" for kind in AUDIO_KINDS for lang in line.languages] + [
        "music_file"
    ]


def recordings(*, session: Session, line_id: int) -> dict[tuple[str, str], PromptAudio]:
    """(kind, language) -> the uploaded recording; the music under (MUSIC, "")."""
    rows = session.exec(select(PromptAudio).where(PromptAudio.line_id == line_id))
    return {(row.kind, row.language): row for row in rows}


def audio_by_token(*, session: Session, token: str) -> PromptAudio | None:
    if not token or len(token) > 64:
        return None
    return session.exec(select(PromptAudio).where(PromptAudio.token == token)).first()


def _describe(audio: PromptAudio | None) -> str | None:
    return f"{audio.content_type} {audio.size} B" if audio is not None else None


def _settings(line: Line) -> dict[str, Any]:
    """The line's prompt settings, one entry per field and per language ("hold_prompts.en")."""
    values: dict[str, Any] = {
        f"{TEXT_COLUMNS[kind]}.{lang}": getattr(line, TEXT_COLUMNS[kind]).get(lang)
        for kind in TEXT_KINDS
        for lang in sorted({*line.languages, *getattr(line, TEXT_COLUMNS[kind])})
    }
    values.update(
        danger_key=line.danger_key,
        callback_key=line.callback_key,
        announce_position=line.announce_position,
        announce_every_s=line.announce_every_s,
        hold_music_url=line.hold_music_url,
    )
    return values


def save(
    *,
    session: Session,
    line: Line,
    form: PromptForm,
    uploads: list[Upload],
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> list[str]:
    """Check and apply the form; raise `PromptError` (nothing changed) if anything is wrong.
    Returns the names of what changed (also in the audit log, with before and after)."""
    errors = check(line, form, uploads)
    if errors:
        raise PromptError("invalid", errors=errors)
    assert line.id is not None
    before = _settings(line)
    for kind in TEXT_KINDS:
        typed = form.texts.get(kind, {})
        kept = {lang: typed[lang].strip() for lang in line.languages if typed.get(lang, "").strip()}
        setattr(line, TEXT_COLUMNS[kind], kept)
    line.danger_key = form.danger_key
    line.callback_key = form.callback_key
    line.announce_position = form.announce_position
    line.announce_every_s = int(form.announce_every_s.strip())
    line.hold_music_url = form.hold_music_url.strip() or None
    after = _settings(line)
    changes = {
        key: (before.get(key), after.get(key))
        for key in {*before, *after}
        if before.get(key) != after.get(key)
    }
    changes.update(_apply_audio(session=session, line=line, form=form, uploads=uploads, now=now))
    session.add(line)
    session.flush()
    if changes:
        _audit(session=session, line=line, changes=changes, actor=actor, now=now, ip=ip)
    return sorted(changes)


def _apply_audio(
    *, session: Session, line: Line, form: PromptForm, uploads: list[Upload], now: datetime
) -> dict[str, tuple[Any, Any]]:
    assert line.id is not None
    existing = recordings(session=session, line_id=line.id)
    changes: dict[str, tuple[Any, Any]] = {}
    for name in sorted(form.remove):
        kind, _, lang = name.partition("-")
        key = (kind, lang)
        old = existing.pop(key, None)
        if old is not None:
            session.delete(old)
            changes[f"audio {'-'.join(filter(None, key))}"] = (_describe(old), None)
    session.flush()
    for upload in uploads:
        kind, lang = _audio_key(upload.field)
        old = existing.pop((kind, lang), None)
        if old is not None:
            session.delete(old)
            session.flush()
        new = PromptAudio(
            token=secrets.token_urlsafe(32),
            line_id=line.id,
            kind=kind,
            language=lang,
            content_type=sniff(upload.data) or "",
            size=len(upload.data),
            data=upload.data,
            uploaded_at=now,
        )
        session.add(new)
        changes[f"audio {'-'.join(filter(None, (kind, lang)))}"] = (_describe(old), _describe(new))
    return changes


def _audit(
    *,
    session: Session,
    line: Line,
    changes: Mapping[str, tuple[Any, Any]],
    actor: User,
    now: datetime,
    ip: str | None,
) -> None:
    """One entry per changed field, so that each fits the log's detail whole (long texts are
    cut to their first 100 characters)."""

    def short(value: Any) -> Any:
        return value[:100] + "…" if isinstance(value, str) and len(value) > 100 else value

    for name in sorted(changes):
        old, new = changes[name]
        detail = "prompts: " + json.dumps(
            {"field": name, "before": short(old), "after": short(new)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        record(
            session=session,
            now=now,
            action=AuditAction.edit,
            object_type="line_prompts",
            object_id=line.id,
            user=actor,
            detail=detail,
            ip=ip,
        )


# --- what a waiting caller is told ------------------------------------------------------------

WAITING = (CallState.queued, CallState.offered)


def queue_position(*, session: Session, call: Call) -> int | None:
    """1 for the next caller to be offered, in the order routing offers them (priority, then
    arrival; `hotline.routing.service.offer_next`), among the waiting calls of the line. A call
    already being offered to someone counts as ahead. None: not waiting in the queue."""
    if call.state != CallState.queued or call.queued_at is None:
        return None
    offered = col(Call.state) == CallState.offered
    before_in_order = and_(
        col(Call.state) == CallState.queued,
        or_(
            col(Call.priority) > call.priority,
            and_(
                col(Call.priority) == call.priority,
                or_(
                    col(Call.queued_at) < call.queued_at,
                    and_(col(Call.queued_at) == call.queued_at, col(Call.id) < call.id),
                ),
            ),
        ),
    )
    ahead = session.exec(
        select(func.count())
        .select_from(Call)
        .where(col(Call.line_id) == call.line_id, col(Call.id) != call.id)
        .where(or_(offered, before_in_order))
    ).one()
    return int(ahead) + 1


def expected_wait_s(
    *, session: Session, line_id: int, now: datetime, texts: bool = False
) -> int | None:
    """The median wait (queued to connected) of the line's calls answered in the last hour, or
    of its text conversations (`texts`: a counselor holds several, so their queue moves at its
    own pace); None when fewer than `WAIT_MIN_SAMPLES` were."""
    voice = col(Call.channel) == Channel.voice.value
    rows = session.exec(
        select(Call.queued_at, Call.connected_at)
        .where(
            col(Call.line_id) == line_id,
            ~voice if texts else voice,
            col(Call.connected_at) >= now - WAIT_WINDOW,
            col(Call.connected_at) <= now,
            col(Call.queued_at).is_not(None),
        )
        .limit(1000)
    ).all()
    waits = [
        (connected - queued).total_seconds() for queued, connected in rows if queued and connected
    ]
    if len(waits) < WAIT_MIN_SAMPLES:
        return None
    return max(0, round(statistics.median(waits)))
