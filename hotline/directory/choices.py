"""Keeping the note's population groups and interventions (`NoteChoice`), as admins do on
`/admin/taxonomy`: add, rename, reorder, retire and bring back. Never deleted and a code never
changes: notes store the code and the statistics count by it. Every field is checked at once
(`DirectoryError` by field, before anything changes) and every change is audited with the
fields before and after, like the issue categories (`service.py`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from hotline.auth.models import User
from hotline.directory.service import CODE, DirectoryError, audit_change, whole_number
from hotline.notes import choices as note_choices
from hotline.notes.models import ChoiceKind, NoteChoice

OBJECT_TYPE = "note_choice"


@dataclass(frozen=True)
class ChoiceFields:
    code: str
    label_zh: str
    label_en: str
    sort: int


def kind_of(value: str) -> ChoiceKind:
    """The kind named in a page's address; anything else is not found (404)."""
    try:
        return ChoiceKind(value)
    except ValueError:
        raise DirectoryError("not_found", 404) from None


def check_choice(
    *,
    session: Session,
    kind: ChoiceKind,
    code: str,
    label_zh: str,
    label_en: str,
    sort: str | int,
    choice: NoteChoice | None = None,
) -> ChoiceFields:
    """The form's fields checked together (422): a new, well-formed code in its list (or, for an
    existing entry, the same code), both labels, a whole number for the order."""
    errors: dict[str, str] = {}
    code = code.strip()
    if choice is not None:
        if code != choice.code:
            errors["code"] = "code_fixed"
    elif not CODE.fullmatch(code):
        errors["code"] = "code_required"
    elif session.exec(
        select(NoteChoice.id).where(NoteChoice.kind == kind, NoteChoice.code == code)
    ).first():
        errors["code"] = "choice_code_taken"
    labels = {"label_zh": label_zh.strip(), "label_en": label_en.strip()}
    for field, label in labels.items():
        if not label or len(label) > 128:
            errors[field] = "label_required"
    order = whole_number(sort)
    if order is None:
        errors["sort"] = "bad_sort"
    if errors:
        raise DirectoryError("invalid", errors=errors)
    assert order is not None
    return ChoiceFields(code=code, sort=order, **labels)


def list_choices(*, session: Session, kind: ChoiceKind) -> list[NoteChoice]:
    return note_choices.rows(session=session, kind=kind)


def get_choice(*, session: Session, kind: ChoiceKind, choice_id: int) -> NoteChoice:
    choice = session.get(NoteChoice, choice_id)
    if choice is None or choice.kind != kind:
        raise DirectoryError("no_choice", 404)
    return choice


def choice_snapshot(choice: NoteChoice) -> dict[str, Any]:
    return {
        "kind": choice.kind.value,
        "code": choice.code,
        "label_zh": choice.label_zh,
        "label_en": choice.label_en,
        "sort": choice.sort,
        "active": choice.active,
    }


def create_choice(
    *,
    session: Session,
    kind: ChoiceKind,
    fields: ChoiceFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> NoteChoice:
    choice = NoteChoice(kind=kind, **asdict(fields))
    session.add(choice)
    session.flush()
    after = choice_snapshot(choice)
    audit_change(session, now, OBJECT_TYPE, choice.id, "created", {}, after, actor, via, ip)
    return choice


def update_choice(
    *,
    session: Session,
    choice: NoteChoice,
    fields: ChoiceFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> NoteChoice:
    """Rename or reorder (the code stays)."""
    before = choice_snapshot(choice)
    choice.sqlmodel_update(asdict(fields))
    session.add(choice)
    session.flush()
    after = choice_snapshot(choice)
    audit_change(session, now, OBJECT_TYPE, choice.id, "edited", before, after, actor, via, ip)
    return choice


def set_choice_active(
    *,
    session: Session,
    choice: NoteChoice,
    active: bool,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> NoteChoice:
    """Retire an entry (new notes do not offer it; old notes and the statistics keep it) or
    bring it back."""
    before = choice_snapshot(choice)
    choice.active = active
    session.add(choice)
    session.flush()
    summary = "activated" if active else "deactivated"
    after = choice_snapshot(choice)
    audit_change(session, now, OBJECT_TYPE, choice.id, summary, before, after, actor, via, ip)
    return choice
