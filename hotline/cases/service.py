"""The caller's case (docs/domain.md 13): opening, the colour tier and its history, closing and
reopening, flags and summary, the safety plan's versions, and who may see a case.

- **One case per caller**, keyed by the caller hash. A counselor opens it from a live contact;
  a note whose crisis level (confirmed or suggested, the higher) is high or imminent opens it
  on its own, and reopens a closed one. Never for a withheld number: that hash is everyone who
  hides theirs.
- **Tier** (三色预警): the line's mapping of the latest note's level (`DEFAULT_TIERS` unless the
  line has its own), each change kept with who (None: the system) and why.
- **Closed only with a reason**, by the crisis team or a supervisor.
- **Who sees it**: the counselor of a live contact of that caller (offered to them, connected
  or in wrap-up), the crisis team, supervisors and admins. The routes audit every view.
- **Safety plan**: each save is a new version (who, when, which call), encrypted; a save based
  on an older version than the newest is refused, so nobody overwrites a plan unseen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.audit import service as audit
from hotline.audit.models import AuditAction, AuditEvent
from hotline.auth.models import Role, User
from hotline.calls.models import Call, CallState
from hotline.cases.models import Case, CaseStatus, SafetyPlan, Tier, TierChange, TierMap
from hotline.cases.schemas import (
    CaseCard,
    CaseFlags,
    CaseOut,
    CaseRow,
    ContactOut,
    FlagsOut,
    SafetyPlanOut,
    SafetyPlanSections,
    TierChangeOut,
)
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.notes.models import CallNote
from hotline.privacy import withheld_hashes
from hotline.risk.triage import RiskLevel, highest

DEFAULT_TIERS: Mapping[str, Tier] = {
    RiskLevel.NONE: Tier.green,
    RiskLevel.LOW: Tier.green,
    RiskLevel.MODERATE: Tier.yellow,
    RiskLevel.HIGH: Tier.red,
    RiskLevel.IMMINENT: Tier.red,
}
# A note at these levels opens the caller's case, or reopens it.
OPENING_LEVELS = frozenset({RiskLevel.HIGH, RiskLevel.IMMINENT})
# Beside the counselor of a live contact, who may read cases; who may close them.
READERS = (Role.crisis, Role.supervisor, Role.admin)
CLOSERS = READERS
# A live contact: offered to the counselor, or theirs on the line or in wrap-up.
LIVE_STATES = (CallState.offered, CallState.connected, CallState.wrap_up)
PAGE_SIZE = 50
CONTACTS_LIMIT = 200
AUTO_REASON = "crisis_level"  # the tier change's reason when a note's level moved it


class CaseError(DomainError):
    """A case that cannot be read or changed (404, 403, 409 or 422, given where raised)."""

    messages = {
        "not_found": N_("There is no such case."),
        "forbidden": N_(
            "Only the counselor of a live contact, the crisis team and supervisors see a case."
        ),
        "withheld": N_("A caller who withheld their number cannot have a case."),
        "reason_required": N_("Give a reason."),
        "closed": N_("This case is closed."),
        "already_closed": N_("This case is already closed."),
        "stale_plan": N_("Someone saved a newer safety plan; read it before saving yours."),
        "empty_plan": N_("Write at least one section of the safety plan."),
        "bad_tier": N_("Choose green, yellow or red."),
        "bad_status": N_("Unknown status."),
        "bad_counselor": N_("There is no such counselor."),
    }
    fallback = N_("Something went wrong. Please try again.")


# --- tiers ------------------------------------------------------------------------------------


def tier_map(*, session: Session, line_id: int) -> dict[str, Tier]:
    """The line's mapping of crisis levels to tiers (the default where it names none)."""
    own = session.get(TierMap, line_id)
    mapping = dict(DEFAULT_TIERS)
    if own is not None:
        for level, tier in own.mapping.items():
            if level in DEFAULT_TIERS and tier in Tier.__members__:
                mapping[level] = Tier(tier)
    return {str(level): tier for level, tier in mapping.items()}


def set_tier_map(*, session: Session, line_id: int, mapping: Mapping[str, str]) -> TierMap:
    bad = {
        lvl: t
        for lvl, t in mapping.items()
        if lvl not in DEFAULT_TIERS or t not in Tier.__members__
    }
    if bad:
        raise CaseError("bad_tier", 422, errors=dict.fromkeys(bad, "bad_tier"))
    row = session.get(TierMap, line_id) or TierMap(line_id=line_id)
    row.mapping = dict(mapping)
    session.add(row)
    session.flush()
    return row


def tier_for(*, session: Session, line_id: int, level: str | None) -> Tier:
    if level is None:
        return Tier.green
    return tier_map(session=session, line_id=line_id).get(level, Tier.green)


def _change_tier(
    *,
    session: Session,
    case: Case,
    to: Tier,
    level: str | None,
    call_id: int | None,
    user: User | None,
    reason: str | None,
    now: datetime,
) -> TierChange | None:
    if case.tier == to and case.id is not None and _has_history(session, case.id):
        return None
    assert case.id is not None
    change = TierChange(
        case_id=case.id,
        at=now,
        from_tier=None if not _has_history(session, case.id) else case.tier.value,
        to_tier=to.value,
        level=level,
        call_id=call_id,
        user_id=user.id if user is not None else None,
        reason=reason,
    )
    case.tier = to
    case.updated_at = now
    session.add(case)
    session.add(change)
    session.flush()
    return change


def _has_history(session: Session, case_id: int) -> bool:
    return (
        session.exec(select(TierChange.id).where(TierChange.case_id == case_id)).first() is not None
    )


# --- finding and access -----------------------------------------------------------------------


def of_caller(*, session: Session, caller_hash: str) -> Case | None:
    return session.exec(select(Case).where(Case.caller_hash == caller_hash)).first()


def of_call(*, session: Session, call: Call) -> Case | None:
    return of_caller(session=session, caller_hash=call.caller_hash)


def live_contact(*, session: Session, case: Case, user: User) -> Call | None:
    """The user's live contact with this case's caller, if any."""
    return session.exec(
        select(Call)
        .where(
            Call.caller_hash == case.caller_hash,
            col(Call.state).in_(LIVE_STATES),
            or_(col(Call.counselor_id) == user.id, col(Call.offered_to_id) == user.id),
        )
        .order_by(col(Call.created_at).desc())
    ).first()


def may_view(*, session: Session, case: Case, user: User) -> bool:
    return user.role in READERS or live_contact(session=session, case=case, user=user) is not None


def get(*, session: Session, case_id: int, user: User) -> Case:
    """The case, if this user may see it (404, then 403)."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError("not_found", 404)
    if not may_view(session=session, case=case, user=user):
        raise CaseError("forbidden", 403)
    return case


def _is_call_counselor(user: User, call: Call) -> bool:
    return call.state in LIVE_STATES and (
        call.counselor_id == user.id or call.offered_to_id == user.id
    )


# --- opening, tiers, closing ------------------------------------------------------------------


def _create(*, session: Session, call: Call, user: User | None, now: datetime) -> tuple[Case, bool]:
    """The caller's case, created open if there is none (one per caller, also under a race)."""
    existing = of_call(session=session, call=call)
    if existing is not None:
        return existing, False
    case = Case(
        caller_hash=call.caller_hash,
        line_id=call.line_id,
        opened_at=now,
        opened_by_id=user.id if user is not None else None,
        updated_at=now,
        language=call.language,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:  # opened a moment ago by another request
        found = of_call(session=session, call=call)
        assert found is not None
        return found, False
    return case, True


def _note_level(session: Session, call_id: int) -> str | None:
    note = session.exec(select(CallNote).where(CallNote.call_id == call_id)).first()
    if note is None:
        return None
    levels = [RiskLevel(v) for v in (note.crisis_level, note.suggested_level) if v]
    level = highest(levels)
    return level.value if level else None


def open_from_call(
    *, session: Session, call: Call, user: User, secret: str, reason: str, now: datetime
) -> tuple[Case, bool]:
    """A counselor opens (or reopens) the case of the caller on their live contact."""
    if not (_is_call_counselor(user, call) or user.role in READERS):
        raise CaseError("forbidden", 403)
    if call.caller_hash in withheld_hashes(secret):
        raise CaseError("withheld", 422)
    case, created = _create(session=session, call=call, user=user, now=now)
    level = _note_level(session, call.id or 0)
    if not created and case.status == CaseStatus.closed:
        _reopen(session=session, case=case, now=now)
        created = True
    _change_tier(
        session=session,
        case=case,
        to=tier_for(session=session, line_id=call.line_id, level=level) if created else case.tier,
        level=level,
        call_id=call.id,
        user=user,
        reason=reason.strip() or None,
        now=now,
    )
    return case, created


def _reopen(*, session: Session, case: Case, now: datetime) -> None:
    case.status = CaseStatus.open
    case.closed_at = None
    case.closed_by_id = None
    case.close_reason = None
    case.updated_at = now
    session.add(case)


def follow_note(
    *, session: Session, call: Call, user: User | None, secret: str, now: datetime
) -> Case | None:
    """After a note's level changed: open the case at high or imminent risk (reopen a closed
    one), and move an open case's tier to the line's colour for the level."""
    assert call.id is not None
    level = _note_level(session, call.id)
    case = of_call(session=session, call=call)
    opening = level is not None and RiskLevel(level) in OPENING_LEVELS
    if case is None or case.status == CaseStatus.closed:
        if not opening or call.caller_hash in withheld_hashes(secret):
            return None
        if case is None:
            case, _created = _create(session=session, call=call, user=None, now=now)
        else:
            _reopen(session=session, case=case, now=now)
            # A reopening is a change in the history even when the colour stays.
            assert case.id is not None
            session.add(
                TierChange(
                    case_id=case.id,
                    at=now,
                    from_tier=case.tier.value,
                    to_tier=case.tier.value,
                    level=level,
                    call_id=call.id,
                    user_id=None,
                    reason="reopened",
                )
            )
    if level is None:
        return case
    _change_tier(
        session=session,
        case=case,
        to=tier_for(session=session, line_id=call.line_id, level=level),
        level=level,
        call_id=call.id,
        user=None,
        reason=AUTO_REASON,
        now=now,
    )
    return case


def set_tier(
    *, session: Session, case: Case, tier: str, reason: str, user: User, now: datetime
) -> str:
    """A person sets the tier by hand (a reason is required); the audit detail."""
    if tier not in Tier.__members__:
        raise CaseError("bad_tier", 422, errors={"tier": "bad_tier"})
    if not reason.strip():
        raise CaseError("reason_required", 422, errors={"reason": "reason_required"})
    if case.status == CaseStatus.closed:
        raise CaseError("closed", 409)
    before = case.tier.value
    _change_tier(
        session=session,
        case=case,
        to=Tier(tier),
        level=None,
        call_id=None,
        user=user,
        reason=reason.strip(),
        now=now,
    )
    return f"tier {before}->{tier}"


def close(*, session: Session, case: Case, reason: str, user: User, now: datetime) -> str:
    """Closed only with a reason, by the crisis team or a supervisor; the audit detail."""
    if user.role not in CLOSERS:
        raise CaseError("forbidden", 403)
    if not reason.strip():
        raise CaseError("reason_required", 422, errors={"reason": "reason_required"})
    if case.status == CaseStatus.closed:
        raise CaseError("already_closed", 409)
    case.status = CaseStatus.closed
    case.closed_at = now
    case.closed_by_id = user.id
    case.close_reason = reason.strip()
    case.updated_at = now
    session.add(case)
    session.flush()
    return "status open->closed"


def set_flags(*, session: Session, case: Case, flags: CaseFlags, user: User, now: datetime) -> str:
    """Flags and the running summary; the audit detail names what changed, never the text."""
    if flags.preferred_counselor_id is not None:
        counselor = session.get(User, flags.preferred_counselor_id)
        if counselor is None or not counselor.active:
            raise CaseError(
                "bad_counselor", 422, errors={"preferred_counselor_id": "bad_counselor"}
            )
    changed = []
    for name in (
        "frequent_caller",
        "care_plan_minutes",
        "safeguarding",
        "preferred_counselor_id",
        "language",
    ):
        before, after = getattr(case, name), getattr(flags, name)
        if before != after:
            changed.append(f"{name} {before}->{after}")
            setattr(case, name, after)
    if (case.summary or "") != flags.summary:
        changed.append("summary")
        case.summary = flags.summary or None
    case.updated_at = now
    session.add(case)
    session.flush()
    return "; ".join(changed) or "no change"


# --- the safety plan --------------------------------------------------------------------------


def current_plan(*, session: Session, case_id: int) -> tuple[SafetyPlan, User] | None:
    row = session.exec(
        select(SafetyPlan, User)
        .join(User, col(User.id) == SafetyPlan.author_id)
        .where(SafetyPlan.case_id == case_id)
        .order_by(col(SafetyPlan.version).desc())
    ).first()
    return (row[0], row[1]) if row is not None else None


def plan_versions(*, session: Session, case_id: int) -> int:
    found = session.exec(
        select(func.max(SafetyPlan.version)).where(SafetyPlan.case_id == case_id)
    ).one()
    return int(found or 0)


def save_plan(
    *,
    session: Session,
    case: Case,
    sections: SafetyPlanSections,
    based_on: int,
    call_id: int | None,
    user: User,
    now: datetime,
) -> SafetyPlan:
    """A new version of the plan, written with the caller (the counselor of a live contact)."""
    assert case.id is not None and user.id is not None
    if sections.is_empty():
        raise CaseError("empty_plan", 422, errors={"sections": "empty_plan"})
    latest = plan_versions(session=session, case_id=case.id)
    if based_on != latest:
        raise CaseError("stale_plan", 409)
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is None or call.caller_hash != case.caller_hash:
            call_id = None
    plan = SafetyPlan(
        case_id=case.id,
        version=latest + 1,
        content=sections.model_dump_json(),
        author_id=user.id,
        call_id=call_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(plan)
            session.flush()
    except IntegrityError:  # someone saved the same version a moment ago
        raise CaseError("stale_plan", 409) from None
    case.updated_at = now
    session.add(case)
    return plan


def plan_out(plan: SafetyPlan, author: User) -> SafetyPlanOut:
    return SafetyPlanOut(
        version=plan.version,
        author=author.display_name or author.username,
        created_at=plan.created_at,
        sections=SafetyPlanSections.model_validate(json.loads(plan.content)),
    )


# --- reading ----------------------------------------------------------------------------------


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted))).all()
    return {u.id: (u.display_name or u.username) for u in users if u.id is not None}


def flags_out(session: Session, case: Case) -> FlagsOut:
    names = _names(session, [case.preferred_counselor_id])
    return FlagsOut(
        frequent_caller=case.frequent_caller,
        care_plan_minutes=case.care_plan_minutes,
        safeguarding=case.safeguarding,
        preferred_counselor=names.get(case.preferred_counselor_id or 0),
        language=case.language,
    )


def contacts(*, session: Session, case: Case) -> list[ContactOut]:
    """Every contact of the caller on every channel (an SMS sender's number has the same hash as
    their calls'), oldest first, with its channel and the note's level and type."""
    rows = session.exec(
        select(Call, Line, CallNote)
        .join(Line, col(Line.id) == Call.line_id)
        .join(CallNote, col(CallNote.call_id) == Call.id, isouter=True)
        .where(Call.caller_hash == case.caller_hash)
        .order_by(col(Call.created_at), col(Call.id))
        .limit(CONTACTS_LIMIT)
    ).all()
    found = []
    for call, line, note in rows:
        assert call.id is not None
        levels = [
            RiskLevel(v) for v in ((note.crisis_level, note.suggested_level) if note else ()) if v
        ]
        level = highest(levels)
        found.append(
            ContactOut(
                call_id=call.id,
                at=call.created_at,
                line_name=line.name,
                channel=call.channel.value,
                state=call.state.value,
                crisis_level=level.value if level else None,
                call_type=note.call_type if note else None,
            )
        )
    return found


def tiers(*, session: Session, case: Case) -> list[TierChangeOut]:
    changes = session.exec(
        select(TierChange).where(TierChange.case_id == case.id).order_by(col(TierChange.id))
    ).all()
    names = _names(session, [c.user_id for c in changes])
    return [
        TierChangeOut(
            at=c.at,
            from_tier=c.from_tier,
            to_tier=c.to_tier,
            level=c.level,
            call_id=c.call_id,
            by=names.get(c.user_id) if c.user_id is not None else None,
            reason=c.reason,
        )
        for c in changes
    ]


def detail(*, session: Session, case: Case) -> CaseOut:
    assert case.id is not None
    line = session.get(Line, case.line_id)
    names = _names(session, [case.opened_by_id, case.closed_by_id])
    plan = current_plan(session=session, case_id=case.id)
    return CaseOut(
        id=case.id,
        tier=case.tier.value,
        status=case.status.value,
        line_name=line.name if line else "",
        opened_at=case.opened_at,
        opened_by=names.get(case.opened_by_id or 0),
        closed_at=case.closed_at,
        closed_by=names.get(case.closed_by_id or 0),
        close_reason=case.close_reason,
        summary=case.summary or "",
        flags=flags_out(session, case),
        tiers=tiers(session=session, case=case),
        contacts=contacts(session=session, case=case),
        safety_plan=plan_out(*plan) if plan else None,
        safety_plan_versions=plan_versions(session=session, case_id=case.id),
    )


def search(
    *,
    session: Session,
    tier: str | None,
    status: str | None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[list[CaseRow], int]:
    """Cases for the supervisors' list, the most recently changed first."""
    if tier is not None and tier not in Tier.__members__:
        raise CaseError("bad_tier", 422, errors={"tier": "bad_tier"})
    if status is not None and status not in CaseStatus.__members__:
        raise CaseError("bad_status", 422, errors={"status": "bad_status"})
    where: list[Any] = []
    if tier:
        where.append(Case.tier == Tier(tier))
    if status:
        where.append(Case.status == CaseStatus(status))
    total = session.exec(select(func.count()).select_from(Case).where(*where)).one()
    rows = session.exec(
        select(Case, Line)
        .join(Line, col(Line.id) == Case.line_id)
        .where(*where)
        .order_by(col(Case.updated_at).desc(), col(Case.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        CaseRow(
            id=case.id or 0,
            tier=case.tier.value,
            status=case.status.value,
            line_name=line.name,
            opened_at=case.opened_at,
            updated_at=case.updated_at,
            frequent_caller=case.frequent_caller,
            safeguarding=case.safeguarding,
        )
        for case, line in rows
    ], int(total)


def card_for(*, session: Session, call: Call, user: User) -> CaseCard | None:
    """The case card for the console: for the counselor offered or holding this call."""
    case = of_call(session=session, call=call)
    if case is None or call.id is None or not may_view(session=session, case=case, user=user):
        return None
    assert case.id is not None
    plan = current_plan(session=session, case_id=case.id)
    return CaseCard(
        case_id=case.id,
        call_id=call.id,
        tier=case.tier.value,
        status=case.status.value,
        flags=flags_out(session, case),
        summary=case.summary or "",
        safety_plan=plan_out(*plan) if plan else None,
    )


def console_card(*, session: Session, call: Call, user: User, now: datetime) -> CaseCard | None:
    """The card for the console's snapshot, its first showing for this call in the audit log
    (the snapshot is sent again on every change; one view per counselor, case and call)."""
    card = card_for(session=session, call=call, user=user)
    if card is None:
        return None
    seen = f"console, call {call.id}"
    already = session.exec(
        select(AuditEvent.id).where(
            AuditEvent.user_id == user.id,
            AuditEvent.object_type == "case",
            AuditEvent.object_id == str(card.case_id),
            AuditEvent.detail == seen,
        )
    ).first()
    if already is None:
        audit.record(
            session=session,
            now=now,
            action=AuditAction.view,
            object_type="case",
            object_id=card.case_id,
            user=user,
            detail=seen,
        )
    return card
