"""Reading the population groups and interventions a note can record (`NoteChoice`).

Admins keep them (hotline/directory/choices.py); notes store their codes. New picks must be
active choices; a retired one still reads with its label, so old notes and the statistics keep
their meaning.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from hotline.notes.models import ChoiceKind, NoteChoice


def rows(*, session: Session, kind: ChoiceKind, active_only: bool = False) -> list[NoteChoice]:
    """The choices of one kind in their order (active and retired unless `active_only`)."""
    query = select(NoteChoice).where(NoteChoice.kind == kind)
    if active_only:
        query = query.where(col(NoteChoice.active))
    return list(session.exec(query.order_by(col(NoteChoice.sort), col(NoteChoice.id))).all())


def label_of(choice: NoteChoice, zh: bool) -> str:
    return choice.label_zh if zh else choice.label_en


def labels(*, session: Session, kind: ChoiceKind, zh: bool) -> dict[str, str]:
    """Code -> label in the reader's language, retired choices included (old notes show them)."""
    return {c.code: label_of(c, zh) for c in rows(session=session, kind=kind)}


def codes(*, session: Session, kind: ChoiceKind, active_only: bool) -> set[str]:
    query = select(NoteChoice.code).where(NoteChoice.kind == kind)
    if active_only:
        query = query.where(col(NoteChoice.active))
    return set(session.exec(query).all())
