"""A caller's care plan in routing (docs/domain.md 13): when their open case names a preferred
counselor, that counselor is offered the call first if they are free; otherwise routing goes on
as usual (longest idle first). The agreed length of a contact is shown on the case card, not
enforced here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

from sqlmodel import Session, col, select

from hotline.auth.models import User
from hotline.cases.models import Case, CaseStatus

Row = TypeVar("Row", bound=tuple[object, User])


def preferred_counselors(*, session: Session, caller_hashes: Collection[str]) -> dict[str, int]:
    """The preferred counselor of each of these callers whose case is open and names one."""
    if not caller_hashes:
        return {}
    rows = session.exec(
        select(Case.caller_hash, Case.preferred_counselor_id).where(
            col(Case.caller_hash).in_(caller_hashes),
            Case.status == CaseStatus.open,
            col(Case.preferred_counselor_id).is_not(None),
        )
    ).all()
    return {caller: user_id for caller, user_id in rows if user_id is not None}


def preferred_first(free: Sequence[Row], preferred_id: int | None) -> list[Row]:
    """The free counselors in routing's order, the preferred one (if among them) moved first."""
    if preferred_id is None:
        return list(free)
    return sorted(free, key=lambda row: row[1].id != preferred_id)
