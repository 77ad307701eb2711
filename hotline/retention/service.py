"""Retention: calls past their line's retention are purged with everything attached to them,
except calls under legal hold; and the legal holds themselves.

What "attached" means is read from the foreign keys: every row that references a purged call
(directly, like call events, notes, escalations, legal holds; or through another attached row,
like addenda and escalation pages and logs) is deleted with it, so a table added later is purged
too. A few references are not the caller's record and only lose the link (`NULLIFY`): staff
presence history, the counselor's current status, and a block set from the call (the block is
about the caller and has its own expiry). Webhook receipts name their call by CallSid, not by a
foreign key: those of a purged call go with it, and any other receipt goes once it is older than
the shortest retention and matches no stored call. The audit log is never purged.

A call's age is counted from when it ended (or was created, if it never ended). Deletes run in
bounded batches, each its own transaction, so a large purge never holds the database for long;
repeating a purge deletes nothing more, so two instances running it at once do no harm, and the
daily run is claimed once per day across instances (`RetentionRun`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Column, Table, and_, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

import hotline.models  # noqa: F401 - every table, so that every reference to a call is known
from hotline.audit import service as audit
from hotline.audit.models import AuditAction
from hotline.auth.models import SignInAttempt, User, UserSession
from hotline.blocklist.models import BlockedCaller
from hotline.calls.models import Call
from hotline.db import Database
from hotline.errors import DomainError
from hotline.escalation.models import Escalation, Page
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.retention.models import (
    MIN_RETENTION_DAYS,
    LegalHold,
    RecordingDeletion,
    RetentionRun,
)
from hotline.review.models import CallRecording
from hotline.telephony.models import WebhookReceipt

log = logging.getLogger(__name__)

DEFAULT_BATCH = 200
RECORDING_SID = re.compile(r"RE[0-9a-f]{32}")
DELETIONS_PER_RUN = 50
SIGN_IN_ATTEMPTS_KEPT = timedelta(days=30)
# References to a call that are not part of the caller's record: only the link is removed.
NULLIFY = frozenset(
    {
        ("agent_status", "call_id"),
        ("presence_events", "call_id"),
        ("blocked_callers", "call_id"),
        # The caller's case keeps its tier history and safety plan; only the link goes.
        ("case_tier_changes", "call_id"),
        ("safety_plans", "call_id"),
    }
)


class RetentionError(DomainError):
    """A retention period, legal hold or subject-access request refused."""

    messages: ClassVar[Mapping[str, str]] = {
        "no_line": N_("There is no such line."),
        "no_call": N_("There is no such call."),
        "too_short": N_("Records must be kept at least %(days)s days (3 years)."),
        "already_held": N_("This call is already under legal hold."),
        "not_held": N_("This call is not under legal hold."),
        "withheld": N_(
            "That is how a withheld caller ID arrives: many callers share it, so it cannot show "
            "what is held about one person."
        ),
        "invalid": N_("Some fields need correcting."),
        "bad_reference": N_(
            "Enter the call's number as the call review shows it (#123) or its CallSid."
        ),
        "reason_required": N_("Give the reason for the hold, e.g. the court order or inquiry."),
        "hold_changed": N_(
            "This hold has changed since the confirmation was shown; check it again."
        ),
        "bad_number": N_(
            "This is not a phone number. Enter it with its country code, e.g. +86 139 0000 1234."
        ),
        "reference_required": N_(
            "Give the reason or the request's reference (at most 200 characters)."
        ),
        "number_in_reason": N_(
            "Leave the number out of the reason: the reason is kept in the audit log."
        ),
    }
    fallback: ClassVar[str] = N_("Something went wrong. Please try again.")

    def __init__(self, code: str, status: int, *, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(code, status, errors=errors, params={"days": MIN_RETENTION_DAYS})


@dataclass
class PurgeResult:
    dry_run: bool
    counts: Counter[str] = field(default_factory=Counter)
    # Rows of tables reached by more than one chain of references, already counted: across
    # batches too, so a dry run counts each once, as a real purge deletes it once.
    seen: dict[str, set[Any]] = field(default_factory=dict, repr=False, compare=False)

    def summary(self) -> str:
        """Counts only, never what was deleted: "calls=3 call_events=12 ..." (or "nothing")."""
        text = " ".join(f"{name}={n}" for name, n in sorted(self.counts.items()) if n)
        return text or "nothing"


# --- retention periods ------------------------------------------------------------------------


def retention_days(line: Line) -> int:
    """The line's period, never below the guideline minimum whatever the row says."""
    return max(line.retention_days or MIN_RETENTION_DAYS, MIN_RETENTION_DAYS)


def set_retention(*, session: Session, line_id: int, days: int) -> Line:
    line = session.get(Line, line_id)
    if line is None:
        raise RetentionError("no_line", 404)
    if days < MIN_RETENTION_DAYS:
        raise RetentionError("too_short", 422)
    line.retention_days = days
    session.flush()
    return line


def _shortest_cutoff(session: Session, now: datetime) -> datetime:
    days = [retention_days(line) for line in session.exec(select(Line))]
    return now - timedelta(days=min(days, default=MIN_RETENTION_DAYS))


# --- legal holds ------------------------------------------------------------------------------


def _active_hold(session: Session, call_id: int) -> LegalHold | None:
    return session.exec(
        select(LegalHold).where(LegalHold.call_id == call_id, col(LegalHold.released_at).is_(None))
    ).first()


def is_held(*, session: Session, call_id: int) -> bool:
    return _active_hold(session, call_id) is not None


def place_hold(
    *, session: Session, call_id: int, user: User, reason: str, now: datetime
) -> LegalHold:
    # Locks the call (PostgreSQL) against a purge batch deleting it at the same moment.
    if session.get(Call, call_id, with_for_update=True) is None:
        raise RetentionError("no_call", 404)
    if _active_hold(session, call_id) is not None:
        raise RetentionError("already_held", 409)
    assert user.id is not None
    hold = LegalHold(call_id=call_id, reason=reason, set_by_id=user.id, set_at=now)
    session.add(hold)
    session.flush()
    return hold


def release_hold(
    *, session: Session, call_id: int, user: User, now: datetime, hold_id: int | None = None
) -> LegalHold:
    """Release the call's active hold; with `hold_id`, only if that is still the active one
    (a confirmation shown for one hold never lifts another placed since)."""
    hold = _active_hold(session, call_id)
    if hold is None:
        raise RetentionError("not_held", 404)
    if hold_id is not None and hold.id != hold_id:
        raise RetentionError("hold_changed", 409)
    hold.released_by_id = user.id
    hold.released_at = now
    session.flush()
    return hold


def active_holds(*, session: Session) -> list[LegalHold]:
    return list(
        session.exec(
            select(LegalHold)
            .where(col(LegalHold.released_at).is_(None))
            .order_by(col(LegalHold.set_at).desc())
        )
    )


def _held_call_ids() -> Any:
    return select(LegalHold.call_id).where(col(LegalHold.released_at).is_(None))


# --- what is due ------------------------------------------------------------------------------


def expired_call_ids(
    *,
    session: Session,
    line_id: int,
    cutoff: datetime,
    after_id: int,
    limit: int,
    lock: bool = False,
) -> list[int]:
    """Calls of one line that ended (or, never ended, were created) before `cutoff`, not held.

    With `lock` (PostgreSQL) the rows stay locked until the batch commits, so a legal hold
    placed meanwhile (which locks the call too) waits and then finds the call gone, or, placed
    first, makes the purge skip the call.
    """
    ended, created = col(Call.ended_at), col(Call.created_at)
    query = (
        select(Call.id)
        .where(
            Call.line_id == line_id,
            col(Call.id) > after_id,
            or_(
                and_(ended.is_not(None), ended < cutoff),
                and_(ended.is_(None), created < cutoff),
            ),
            col(Call.id).not_in(_held_call_ids()),
        )
        .order_by(col(Call.id))
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return [call_id for call_id in session.exec(query) if call_id is not None]


def _children(table: Table) -> list[tuple[Table, Column[object]]]:
    """Every (table, column) whose foreign key points at `table` (in `table`'s own metadata)."""
    found = []
    for child in table.metadata.sorted_tables:
        if child is table:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is table:
                found.append((child, fk.parent))
    return found


@functools.cache
def _shared(root: Table) -> frozenset[str]:
    """Tables that more than one chain of foreign keys from `root` reaches: a dry run deletes
    nothing, so it would meet (and count) such a row once per chain, or again from another
    batch's call, where a real purge finds it already gone. Only these are remembered."""
    chains: Counter[str] = Counter()

    def walk(table: Table) -> None:
        for child, column in _children(table):
            if (child.name, column.name) in NULLIFY:
                continue
            chains[child.name] += 1
            if len(child.primary_key.columns) == 1:
                walk(child)

    walk(root)
    return frozenset(name for name, n in chains.items() if n > 1)


def _unseen(seen: dict[str, set[Any]], table: Table, keys: Iterable[Any]) -> list[Any]:
    """`keys` of `table` not met before (in their order), now remembered."""
    met = seen.setdefault(table.name, set())
    fresh = [key for key in dict.fromkeys(keys) if key not in met]
    met.update(fresh)
    return fresh


def _remove(
    session: Session,
    table: Table,
    ids: list[object],
    counts: Counter[str],
    dry_run: bool,
    seen: dict[str, set[Any]],
    shared: frozenset[str],
) -> None:
    """Remove rows `ids` of `table` and, first, everything that references them. A row of a
    `shared` table is counted (and walked) only the first time; `seen` remembers it."""
    if table.name in shared:
        ids = _unseen(seen, table, ids)
    if not ids:
        return
    (primary,) = table.primary_key.columns
    for child, column in _children(table):
        if (child.name, column.name) in NULLIFY:
            if not dry_run:
                session.execute(update(child).where(column.in_(ids)).values({column.name: None}))
            continue
        child_key = list(child.primary_key.columns)
        if len(child_key) == 1:
            child_ids = list(
                session.execute(sa_select(child_key[0]).where(column.in_(ids))).scalars()
            )
            _remove(session, child, child_ids, counts, dry_run, seen, shared)
        else:  # a link table without an id of its own: nothing can reference its rows
            if child.name in shared:
                keys = session.execute(sa_select(*child_key).where(column.in_(ids)))
                matched = len(_unseen(seen, child, (tuple(key) for key in keys)))
            else:
                matched = session.execute(
                    sa_select(func.count()).select_from(child).where(column.in_(ids))
                ).scalar_one()
            counts[child.name] += int(matched)
            if not dry_run:
                session.execute(delete(child).where(column.in_(ids)))
    counts[table.name] += len(ids)
    if not dry_run:
        session.execute(delete(table).where(primary.in_(ids)))


def _sids_of(session: Session, call_ids: list[int]) -> set[str]:
    """Every CallSid a call's webhooks may carry: the caller's leg, the counselor's leg, the
    conference, and the escalation's paging calls and messages."""
    sids: set[str] = set()
    for call_sid, counselor_sid, conference_sid in session.exec(
        select(Call.call_sid, Call.counselor_call_sid, Call.conference_sid).where(
            col(Call.id).in_(call_ids)
        )
    ):
        sids.update(s for s in (call_sid, counselor_sid, conference_sid) if s)
    pages = session.exec(
        select(Page.provider_sid)
        .join(Escalation, col(Escalation.id) == col(Page.escalation_id))
        .where(col(Escalation.call_id).in_(call_ids), col(Page.provider_sid).is_not(None))
    )
    sids.update(sid for sid in pages if sid)
    return sids


def _recording_sids(session: Session, call_ids: list[int]) -> set[str]:
    """The provider's recordings of these calls: conference recordings and voicemails."""
    sids = set(
        session.exec(
            select(CallRecording.recording_sid).where(col(CallRecording.call_id).in_(call_ids))
        )
    )
    voicemails = session.exec(
        select(Call.voicemail_url).where(
            col(Call.id).in_(call_ids), col(Call.voicemail_url).is_not(None)
        )
    )
    for url in voicemails:
        found = RECORDING_SID.search(url or "")
        if found:
            sids.add(found.group(0))
    return sids


def remove_calls(
    *,
    session: Session,
    call_ids: list[int],
    counts: Counter[str],
    dry_run: bool,
    now: datetime,
    seen: dict[str, set[Any]],
) -> None:
    """Delete these calls with everything attached, and their webhook receipts; queue their
    recordings for deletion at the provider."""
    if not call_ids:
        return
    recordings = _recording_sids(session, call_ids)
    if recordings:
        counts["provider_recordings"] += len(recordings)
    if recordings and not dry_run:
        queued = set(
            session.exec(
                select(RecordingDeletion.recording_sid).where(
                    col(RecordingDeletion.recording_sid).in_(recordings)
                )
            )
        )
        for sid in sorted(recordings - queued):
            session.add(RecordingDeletion(recording_sid=sid, requested_at=now))
        session.flush()
    sids = sorted(_sids_of(session, call_ids))
    if sids:
        receipts = col(WebhookReceipt.call_sid).in_(sids)
        matched = session.exec(select(func.count()).where(receipts)).one()
        if matched:
            counts["webhook_receipts"] += int(matched)
        if not dry_run:
            session.execute(delete(WebhookReceipt).where(receipts))
    root: Table = Call.__table__  # type: ignore[attr-defined]
    _remove(session, root, list(call_ids), counts, dry_run, seen, _shared(root))


def _stale_receipt_ids(session: Session, cutoff: datetime, after_id: int, limit: int) -> list[int]:
    """Receipts older than `cutoff` that belong to no stored call (those go with their call)."""
    receipt_sid = col(WebhookReceipt.call_sid)
    query = (
        select(WebhookReceipt.id)
        .where(
            col(WebhookReceipt.created_at) < cutoff,
            col(WebhookReceipt.id) > after_id,
            receipt_sid.not_in(select(Call.call_sid)),
            receipt_sid.not_in(
                select(Call.counselor_call_sid).where(col(Call.counselor_call_sid).is_not(None))
            ),
            receipt_sid.not_in(
                select(Call.conference_sid).where(col(Call.conference_sid).is_not(None))
            ),
            receipt_sid.not_in(
                select(Page.provider_sid).where(col(Page.provider_sid).is_not(None))
            ),
        )
        .order_by(col(WebhookReceipt.id))
        .limit(limit)
    )
    return [receipt_id for receipt_id in session.exec(query) if receipt_id is not None]


def _stale_block_ids(session: Session, cutoff: datetime) -> list[int]:
    """Blocks that stopped (expired or removed) longer ago than the shortest retention."""
    query = select(BlockedCaller.id).where(
        or_(
            and_(col(BlockedCaller.until).is_not(None), col(BlockedCaller.until) < cutoff),
            and_(
                col(BlockedCaller.removed_at).is_not(None), col(BlockedCaller.removed_at) < cutoff
            ),
        )
    )
    return [block_id for block_id in session.exec(query) if block_id is not None]


# --- the purge --------------------------------------------------------------------------------


def purge(
    *,
    db: Database,
    now: datetime,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    user: User | None = None,
    actor: str = "scheduler",
) -> PurgeResult:
    """Purge everything past retention (or, dry run, count it); write the counts to the audit log.

    Each batch is its own transaction. A dry run changes nothing but the audit entry.
    """
    result = PurgeResult(dry_run=dry_run)
    with db.session() as session:
        periods = [
            (line.id, now - timedelta(days=retention_days(line)))
            for line in session.exec(select(Line).order_by(col(Line.id)))
            if line.id is not None
        ]
        shortest = _shortest_cutoff(session, now)
    for line_id, cutoff in periods:
        after = 0
        while True:
            with db.session() as session:
                ids = expired_call_ids(
                    session=session,
                    line_id=line_id,
                    cutoff=cutoff,
                    after_id=after,
                    limit=batch_size,
                    lock=not dry_run,
                )
                remove_calls(
                    session=session,
                    call_ids=ids,
                    counts=result.counts,
                    dry_run=dry_run,
                    now=now,
                    seen=result.seen,
                )
            if len(ids) < batch_size:
                break
            after = ids[-1]
    after = 0
    while True:
        with db.session() as session:
            receipt_ids = _stale_receipt_ids(session, shortest, after, batch_size)
            if receipt_ids:
                result.counts["webhook_receipts"] += len(receipt_ids)
            if receipt_ids and not dry_run:
                session.execute(
                    delete(WebhookReceipt).where(col(WebhookReceipt.id).in_(receipt_ids))
                )
        if len(receipt_ids) < batch_size:
            break
        after = receipt_ids[-1]
    with db.session() as session:
        block_ids = _stale_block_ids(session, shortest)
        if block_ids:
            result.counts["blocked_callers"] += len(block_ids)
        if block_ids and not dry_run:
            session.execute(delete(BlockedCaller).where(col(BlockedCaller.id).in_(block_ids)))
    with db.session() as session:
        # Lock-out only looks back minutes; the audit log keeps every sign-in for good.
        old = col(SignInAttempt.at) < now - SIGN_IN_ATTEMPTS_KEPT
        attempts = session.execute(sa_select(func.count()).where(old)).scalar() or 0
        if attempts:
            result.counts["sign_in_attempts"] += attempts
        if attempts and not dry_run:
            session.execute(delete(SignInAttempt).where(old))
        # Sessions last hours at most; their rows serve no one a month later.
        stale = col(UserSession.last_seen_at) < now - SIGN_IN_ATTEMPTS_KEPT
        sessions = session.execute(sa_select(func.count()).where(stale)).scalar() or 0
        if sessions:
            result.counts["user_sessions"] += sessions
        if sessions and not dry_run:
            session.execute(delete(UserSession).where(stale))
    with db.session() as session:
        audit.record(
            session=session,
            now=now,
            action=AuditAction.purge,
            object_type="retention",
            object_id="dry-run" if dry_run else None,
            user=user,
            username=None if user is not None else actor,
            detail=("dry run: " if dry_run else "") + result.summary(),
        )
    log.info("retention purge%s: %s", " (dry run)" if dry_run else "", result.summary())
    return result


def claim_day(*, session: Session, now: datetime, instance: str) -> RetentionRun | None:
    """The day's run for this instance, or None when another instance already has it."""
    day = now.date()
    if session.exec(select(RetentionRun).where(RetentionRun.day == day)).first() is not None:
        return None
    run = RetentionRun(day=day, instance=instance, started_at=now)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:  # another instance inserted the day first
        return None
    return run


def run_scheduled(
    *, db: Database, now: datetime, instance: str, batch_size: int = DEFAULT_BATCH
) -> PurgeResult | None:
    """The daily purge: runs once per (UTC) day across all instances; None if already run."""
    with db.session() as session:
        run = claim_day(session=session, now=now, instance=instance)
        run_id = run.id if run is not None else None
    if run_id is None:
        return None
    result = purge(db=db, now=now, batch_size=batch_size, actor="scheduler")
    with db.session() as session:
        stored = session.get(RetentionRun, run_id)
        if stored is not None:
            stored.finished_at = now
            stored.summary = result.summary()[:500]
    return result


# --- the provider's copies ------------------------------------------------------------------------


def delete_provider_recordings(
    *, db: Database, delete_at_provider: Callable[[str], None], limit: int = DELETIONS_PER_RUN
) -> int:
    """Delete queued recordings at the provider (`delete_at_provider(sid)`, which treats "not
    found" as done); returns how many went. A failure is counted and retried on the next run.
    Deleting is idempotent, so instances working the same queue do no harm."""
    with db.session() as session:
        queued = list(
            session.exec(
                select(RecordingDeletion.id, RecordingDeletion.recording_sid)
                .order_by(col(RecordingDeletion.attempts), col(RecordingDeletion.id))
                .limit(limit)
            )
        )
    done = 0
    for row_id, sid in queued:
        try:
            delete_at_provider(sid)
        except Exception:
            log.warning("could not delete recording %s at the provider; will retry", sid)
            with db.session() as session:
                session.execute(
                    update(RecordingDeletion)
                    .where(col(RecordingDeletion.id) == row_id)
                    .values(attempts=RecordingDeletion.attempts + 1)
                )
            continue
        with db.session() as session:
            session.execute(delete(RecordingDeletion).where(col(RecordingDeletion.id) == row_id))
        done += 1
    return done
