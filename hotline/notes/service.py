"""Call notes: drafts that autosave, the suggested crisis level and the escalation it raises,
strict submission, addenda, the caller's history, and notes that are overdue."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import ValidationError
from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.auth.models import Role, User
from hotline.calls import service as calls
from hotline.calls.models import Call, CallState
from hotline.clock import as_utc
from hotline.errors import DomainError
from hotline.escalation import service as escalations
from hotline.followups import service as followups
from hotline.followups.models import FollowUp, FollowUpStatus
from hotline.i18n import N_, Gettext
from hotline.lines.models import Line
from hotline.notes import choices as note_choices
from hotline.notes import options
from hotline.notes.models import (
    CallNote,
    ChoiceKind,
    IssueCategory,
    NoteAddendum,
    NoteStatus,
    ReferralResource,
)
from hotline.notes.options import COUNSELLING_TYPES
from hotline.notes.schemas import NoteFields, NoteOptions
from hotline.privacy import withheld_hashes
from hotline.realtime.events import BOARD_TOPIC, SUPERVISORS_TOPIC, agent_topic, emit
from hotline.referrals import service as referrals
from hotline.risk.triage import (
    COLOURS,
    ESCALATING,
    FLASHING,
    LEVEL_ORDER,
    PROTECTIVE_FACTORS,
    RiskLevel,
    branching_errors,
    is_lower,
    missing_answers,
    suggested_level,
)
from hotline.stats import changes

SENSITIVE_KEYS = ("screener", "override_reason", "referrals", "follow_up", "summary")
REVIEWERS = (Role.supervisor, Role.admin)
EXCERPT_CHARS = 140
OVERDUE_LOOKBACK = timedelta(days=7)
# The supervisors' live board shows these calls with the note's crisis colour.
ON_THE_BOARD = (CallState.offered, CallState.connected)
# From this level up a call is counselling: never recorded as a prank, silent call, etc.
COUNSELLING_FROM = RiskLevel.MODERATE


class NoteError(DomainError):
    """`code` says what went wrong; `errors` maps field paths to error codes (422); `note`, the
    note as it stands, goes with a conflict (409) so the console can merge its changes again."""

    messages: ClassVar[Mapping[str, str]] = {
        "required": N_("Required."),
        "not_asked": N_("Not asked on this branch of the screener; leave it empty."),
        "not_an_option": N_("Choose one of the listed options."),
        "not_a_phone_number": N_("Enter a phone number (digits, spaces, + and -)."),
        "extra_forbidden": N_("Unknown field."),
        "string_too_long": N_("This text is too long."),
        "less_than_equal": N_("Enter a number from 0 to 10."),
        "greater_than_equal": N_("Enter a number from 0 to 10."),
        "forbidden": N_("You do not have access to this note."),
        "no_note": N_("This call has no note yet."),
        "submitted": N_("This note is submitted and can no longer change; add an addendum."),
        "stale": N_("This note was changed elsewhere; your changes were merged again."),
        "not_submitted": N_("Submit the note before adding an addendum."),
        "invalid": N_("Some fields need attention."),
        "not_found": N_("There is no such call."),
        "risk_not_counselling": N_(
            "The risk screening says moderate risk or higher: record this call as counselling"
            " (about themselves or someone else), not as this type."
        ),
    }
    fallback: ClassVar[str] = N_("This value is not valid.")

    def __init__(
        self,
        code: str,
        status: int,
        errors: dict[str, str] | None = None,
        *,
        note: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code, status, errors=errors)
        self.note = note

    def body(self, _: Gettext) -> dict[str, Any]:
        """Always `errors` (empty when none), and `note` with a conflict."""
        body: dict[str, Any] = {
            "detail": self.message(_),
            "code": self.code,
            "errors": {path: self.text_for(code, _) for path, code in self.errors.items()},
        }
        if self.note is not None:
            body["note"] = self.note
        return body


# --- access -----------------------------------------------------------------------------------


def is_call_counselor(user: User, call: Call) -> bool:
    """Connected to the call, or accepted it and is being connected."""
    return call.counselor_id == user.id or (
        call.offered_to_id == user.id and call.accepted_at is not None
    )


def _may_write(user: User, call: Call, note: CallNote | None) -> bool:
    return is_call_counselor(user, call) or (note is not None and note.author_id == user.id)


def _may_read(user: User, call: Call, note: CallNote | None) -> bool:
    return _may_write(user, call, note) or user.role in REVIEWERS


# --- reading and storing ----------------------------------------------------------------------


def fields_of(note: CallNote) -> NoteFields:
    sensitive = json.loads(note.sensitive) if note.sensitive else {}
    # The region is free text, so it is kept encrypted with the rest (older notes: in profile).
    profile = {**note.profile, "region": sensitive.pop("region", note.profile.get("region", ""))}
    return NoteFields.model_validate(
        {
            "call_type": note.call_type,
            "profile": profile,
            "categories": note.categories,
            "crisis_level": note.crisis_level,
            "interventions": note.interventions,
            "difficult": note.difficult,
            **sensitive,
        }
    )


def _store(note: CallNote, fields: NoteFields) -> None:
    data = fields.model_dump(mode="json")
    note.call_type = data["call_type"]
    region = data["profile"].pop("region", "")
    note.profile = data["profile"]
    note.categories = data["categories"]
    note.crisis_level = data["crisis_level"]
    note.interventions = data["interventions"]
    note.follow_up_wanted = data["follow_up"]["wanted"]
    note.difficult = data["difficult"]
    follow_up = data["follow_up"]
    if not (follow_up["wanted"] and follow_up["consent"]):
        follow_up["callback_number"] = ""  # a number is kept only with consent to call back
    sensitive = {key: data[key] for key in SENSITIVE_KEYS} | {"region": region}
    note.sensitive = json.dumps(sensitive, ensure_ascii=False)


def note_of(*, session: Session, call_id: int) -> CallNote | None:
    return session.exec(select(CallNote).where(CallNote.call_id == call_id)).first()


def callback_way(*, session: Session, call_id: int) -> str | None:
    """How the caller can be called back, named but never shown: "followup" (one is scheduled),
    "callback_number" (the note has a number, with consent), or None."""
    follow_up = followups.of_call(session=session, call_id=call_id)
    if follow_up is not None and follow_up.status == FollowUpStatus.scheduled:
        return "followup"
    note = note_of(session=session, call_id=call_id)
    if note is not None and fields_of(note).follow_up.callback_number:
        return "callback_number"
    return None


def open_note(*, session: Session, call: Call, user: User, now: datetime) -> CallNote:
    """The call's note for this user: created as an empty draft by the call's counselor."""
    assert call.id is not None and user.id is not None
    note = note_of(session=session, call_id=call.id)
    if note is not None:
        if not _may_read(user, call, note):
            raise NoteError("forbidden", 403)
        return note
    if not is_call_counselor(user, call):
        raise NoteError("forbidden" if user.role not in REVIEWERS else "no_note", 403)
    try:
        with session.begin_nested():
            note = CallNote(call_id=call.id, author_id=user.id, created_at=now, updated_at=now)
            _store(note, NoteFields())
            session.add(note)
    except IntegrityError:  # a second tab created it a moment ago
        pass
    found = note_of(session=session, call_id=call.id)
    assert found is not None
    return found


def _writable(*, session: Session, call: Call, user: User, version: int, now: datetime) -> CallNote:
    note = open_note(session=session, call=call, user=user, now=now)
    if not _may_write(user, call, note):
        raise NoteError("forbidden", 403)
    session.refresh(note, with_for_update=True)
    if note.status == NoteStatus.submitted:
        raise NoteError("submitted", 409)
    if note.version != version:
        raise NoteError("stale", 409)
    return note


def _validation_errors(error: ValidationError) -> dict[str, str]:
    """Field path -> error code; our own validators raise ValueError("<code>")."""
    found = {}
    for e in error.errors():
        code = e["type"]
        if code == "value_error" and "error" in e.get("ctx", {}):
            code = str(e["ctx"]["error"])
        found[".".join(str(part) for part in e["loc"])] = code
    return found


def _highest(*levels: str | None) -> RiskLevel | None:
    known = [RiskLevel(level) for level in levels if level]
    return max(known, key=LEVEL_ORDER.index) if known else None


def _risk_forbids(call_type: str | None, *levels: str | None) -> bool:
    """A non-counselling call type over a note whose screener or level says moderate or more:
    one click must never turn a caller at risk into a prank in the statistics."""
    if call_type is None or call_type in COUNSELLING_TYPES:
        return False
    level = _highest(*levels)
    return level is not None and not is_lower(level, COUNSELLING_FROM)


def update_draft(
    *,
    session: Session,
    call: Call,
    user: User,
    version: int,
    changes: dict[str, Any],
    now: datetime,
) -> CallNote:
    """Merge `changes` (whole top-level fields) into the draft; raise the escalation at once."""
    note = _writable(session=session, call=call, user=user, version=version, now=now)
    shown_before = _highest(note.crisis_level, note.suggested_level)
    unknown = sorted(set(changes) - set(NoteFields.model_fields))
    if unknown:
        raise NoteError("invalid", 422, dict.fromkeys(unknown, "extra_forbidden"))
    merged = fields_of(note).model_dump(mode="json") | changes
    try:
        fields = NoteFields.model_validate(merged)
    except ValidationError as error:
        raise NoteError("invalid", 422, _validation_errors(error)) from error
    skipped = branching_errors(fields.screener)
    if skipped:
        raise NoteError("invalid", 422, {f"screener.{k}": v for k, v in skipped.items()})
    picked = _new_choices_refused(session=session, before=fields_of(note), after=fields)
    if picked:
        raise NoteError("invalid", 422, picked)
    suggestion = suggested_level(fields.screener)
    # Only a change of type is refused: a risk answer is always recorded.
    if "call_type" in changes and _risk_forbids(
        fields.call_type, suggestion, fields.crisis_level, note.escalated_level
    ):
        raise NoteError("risk_not_counselling", 422, {"call_type": "risk_not_counselling"})
    note.suggested_level = suggestion.value if suggestion else None
    note.level_lowered = bool(
        fields.crisis_level and suggestion and is_lower(fields.crisis_level, suggestion)
    )
    _store(note, fields)
    note.version += 1
    note.updated_at = now
    _escalate_if_needed(session=session, note=note, call=call, user=user, now=now)
    shown_after = _highest(note.crisis_level, note.suggested_level)
    if call.state in ON_THE_BOARD and shown_after != shown_before:
        emit(session, BOARD_TOPIC)  # the call's colour changes now, not at the board's refresh
    if (note.version == 2 or shown_after != shown_before) and user.id is not None:
        emit(session, agent_topic(user.id))  # their list of unfinished notes shows it
    session.flush()
    return note


def _chosen(fields: NoteFields) -> dict[str, tuple[ChoiceKind, set[str]]]:
    return {
        "profile.population_groups": (
            ChoiceKind.population_group,
            set(fields.profile.population_groups),
        ),
        "interventions": (ChoiceKind.intervention, set(fields.interventions)),
    }


def _new_choices_refused(
    *, session: Session, before: NoteFields, after: NoteFields
) -> dict[str, str]:
    """A population group or intervention newly ticked must be an active choice; one the draft
    already had stays even if an admin retired it since (the counselor chose it when offered)."""
    errors: dict[str, str] = {}
    had = _chosen(before)
    for path, (kind, wanted) in _chosen(after).items():
        added = wanted - had[path][1]
        if added and added - note_choices.codes(session=session, kind=kind, active_only=True):
            errors[path] = "not_an_option"
    return errors


def _escalate_if_needed(
    *, session: Session, note: CallNote, call: Call, user: User, now: datetime
) -> None:
    """High or imminent, suggested or confirmed: escalate now, mid-call, before submission.

    Erring towards the crisis team is the safe side; a counselor's downward override is
    recorded (`level_lowered`) for the supervisor rather than cancelling the page.
    """
    level = _highest(note.suggested_level, note.crisis_level)
    if level not in ESCALATING:
        return
    if note.escalated_level and not is_lower(RiskLevel(note.escalated_level), level):
        return
    assert level is not None and call.id is not None
    note.escalated_level = level.value
    note.escalated_at = now
    calls.record_event(
        session=session,
        call_id=call.id,
        state=f"escalation_{level.value}",
        now=now,
        user_id=user.id,
    )
    escalations.trigger(
        session=session,
        call=call,
        level=level.value,
        reason="crisis level in the call note",
        user_id=user.id,
        now=now,
    )
    if user.id is not None:
        emit(session, agent_topic(user.id))


def submission_errors(
    *, session: Session, fields: NoteFields, suggestion: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not fields.call_type:
        errors["call_type"] = "required"
    elif fields.call_type in COUNSELLING_TYPES:
        if not fields.profile.age_band:
            errors["profile.age_band"] = "required"
        if not fields.profile.gender:
            errors["profile.gender"] = "required"
        if not fields.categories:
            errors["categories"] = "required"
        for name in missing_answers(fields.screener):
            errors[f"screener.{name}"] = "required"
        if fields.crisis_level is None:
            errors["crisis_level"] = "required"
        elif (
            suggestion and fields.crisis_level != suggestion and not fields.override_reason.strip()
        ):
            errors["override_reason"] = "required"
        if not fields.summary.strip():
            errors["summary"] = "required"
    if fields.categories:
        known = set(
            session.exec(
                select(IssueCategory.id).where(
                    col(IssueCategory.id).in_(fields.categories), col(IssueCategory.active)
                )
            )
        )
        if set(fields.categories) - known:
            errors["categories"] = "not_an_option"
    for path, (kind, wanted) in _chosen(fields).items():
        # Known, active or retired: a draft keeps a choice retired after it was ticked.
        if wanted - note_choices.codes(session=session, kind=kind, active_only=False):
            errors[path] = "not_an_option"
    if fields.referrals:
        ids = {r.resource_id for r in fields.referrals}
        known = set(
            session.exec(select(ReferralResource.id).where(col(ReferralResource.id).in_(ids)))
        )
        if ids - known:
            errors["referrals"] = "not_an_option"
    if fields.follow_up.wanted:
        if not fields.follow_up.consent:
            errors["follow_up.consent"] = "required"
        elif not fields.follow_up.callback_number:
            errors["follow_up.callback_number"] = "required"
    return errors


def submit(*, session: Session, call: Call, user: User, version: int, now: datetime) -> CallNote:
    note = _writable(session=session, call=call, user=user, version=version, now=now)
    fields = fields_of(note)
    errors = submission_errors(session=session, fields=fields, suggestion=note.suggested_level)
    if _risk_forbids(
        fields.call_type, note.suggested_level, note.crisis_level, note.escalated_level
    ):
        errors["call_type"] = "risk_not_counselling"
        raise NoteError("risk_not_counselling", 422, errors)
    if errors:
        raise NoteError("invalid", 422, errors)
    note.status = NoteStatus.submitted
    note.submitted_at = now
    note.updated_at = now
    note.overdue = False
    note.version += 1
    changes.mark_changed(session=session, call=call, now=now)
    assert call.id is not None
    calls.record_event(
        session=session, call_id=call.id, state="note_submitted", now=now, user_id=user.id
    )
    if user.id is not None:
        emit(session, agent_topic(user.id))  # off their list of unfinished notes
    if fields.follow_up.wanted and fields.follow_up.consent:
        followups.schedule(
            session=session,
            call=call,
            within=fields.follow_up.within,
            level=_highest(note.crisis_level, note.suggested_level),
            submitted_at=now,
        )
    # The referral section as referral records: kind, resource and status outside the
    # encrypted note, so they can be followed up and counted.
    referrals.from_note(
        session=session,
        call=call,
        resource_ids=[entry.resource_id for entry in fields.referrals],
        user=user,
        now=now,
    )
    session.flush()
    return note


def add_addendum(*, session: Session, call: Call, user: User, text: str, now: datetime) -> CallNote:
    assert call.id is not None and user.id is not None
    note = note_of(session=session, call_id=call.id)
    if note is None or not _may_read(user, call, note):
        raise NoteError("forbidden", 403)
    if note.author_id != user.id and user.role not in REVIEWERS:
        raise NoteError("forbidden", 403)
    if note.status != NoteStatus.submitted:
        raise NoteError("not_submitted", 409)
    assert note.id is not None
    session.add(NoteAddendum(note_id=note.id, author_id=user.id, text=text, created_at=now))
    session.flush()
    return note


def addenda(*, session: Session, note_id: int) -> list[tuple[NoteAddendum, User]]:
    rows = session.exec(
        select(NoteAddendum, User)
        .join(User, col(User.id) == NoteAddendum.author_id)
        .where(NoteAddendum.note_id == note_id)
        .order_by(col(NoteAddendum.id))
    )
    return list(rows.all())


# --- what the console and the supervisor see --------------------------------------------------


def public(*, session: Session, note: CallNote) -> dict[str, Any]:
    assert note.id is not None
    fields = fields_of(note).model_dump(mode="json")
    return {
        "id": note.id,
        "call_id": note.call_id,
        "status": note.status.value,
        "version": note.version,
        "updated_at": note.updated_at.isoformat(),
        "submitted_at": note.submitted_at.isoformat() if note.submitted_at else None,
        "overdue": note.overdue,
        "suggested_level": note.suggested_level,
        "level_lowered": note.level_lowered,
        **fields,
        "escalation": (
            {
                "level": note.escalated_level,
                "raised_at": note.escalated_at.isoformat() if note.escalated_at else None,
            }
            if note.escalated_level
            else None
        ),
        "addenda": [
            {"author": author.display_name, "at": item.created_at.isoformat(), "text": item.text}
            for item, author in addenda(session=session, note_id=note.id)
        ],
    }


def call_of(*, session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NoteError("not_found", 404)
    return call


def current(*, session: Session, call_id: int) -> dict[str, Any] | None:
    """The call's note as it stands, for the answer to a refused change (a conflict)."""
    note = note_of(session=session, call_id=call_id)
    return public(session=session, note=note) if note else None


def choices(*, session: Session, _: Gettext, zh: bool) -> NoteOptions:
    """Every choice the note's form offers, labelled in the reader's language; the taxonomy
    and the referral directory as the administrators keep them (active entries only)."""
    categories = list(
        session.exec(
            select(IssueCategory)
            .where(col(IssueCategory.active))
            .order_by(col(IssueCategory.sort), col(IssueCategory.id))
        )
    )
    resources = list(
        session.exec(
            select(ReferralResource)
            .where(col(ReferralResource.active))
            .order_by(col(ReferralResource.kind), col(ReferralResource.name))
        )
    )

    def listed(texts: dict[str, str]) -> list[dict[str, str]]:
        return [{"code": code, "label": _(label)} for code, label in texts.items()]

    def label(category: IssueCategory) -> str:
        return category.label_zh if zh else category.label_en

    def admin_kept(kind: ChoiceKind) -> list[dict[str, str]]:
        return [
            {"code": c.code, "label": note_choices.label_of(c, zh)}
            for c in note_choices.rows(session=session, kind=kind, active_only=True)
        ]

    return NoteOptions.model_validate(
        {
            "call_types": [
                {"code": code, "label": _(text), "counselling": code in COUNSELLING_TYPES}
                for code, text in options.CALL_TYPES.items()
            ],
            "age_bands": listed(options.AGE_BANDS),
            "genders": listed(options.GENDERS),
            "population_groups": admin_kept(ChoiceKind.population_group),
            "interventions": admin_kept(ChoiceKind.intervention),
            "protective_factors": [
                {"code": code, "label": _(options.PROTECTIVE_FACTOR_LABELS[code])}
                for code in PROTECTIVE_FACTORS
            ],
            "levels": [
                {
                    "code": level.value,
                    "label": _(options.LEVEL_LABELS[level.value]),
                    "colour": COLOURS[level],
                    "flashing": level in FLASHING,
                }
                for level in RiskLevel
            ],
            "categories": [
                {
                    "id": top.id,
                    "code": top.code,
                    "label": label(top),
                    "children": [
                        {"id": c.id, "code": c.code, "label": label(c)}
                        for c in categories
                        if c.parent_id == top.id
                    ],
                }
                for top in categories
                if top.parent_id is None
            ],
            "referrals": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "kind_label": _(options.REFERRAL_KINDS.get(r.kind, r.kind)),
                    "name": r.name,
                    "phone": r.phone,
                    "region": r.region,
                    "address": r.address,
                    "hours": r.hours,
                    "green_channel": r.green_channel,
                }
                for r in resources
            ],
        }
    )


def in_note_window(*, session: Session, call: Call, now: datetime, note_due_s: int) -> bool:
    """The call is live or in wrap-up, or ended less than `note_due_s` ago (when its note falls
    overdue) and its note is not yet submitted: the time its counselor works on it."""
    if call.state in (*ON_THE_BOARD, CallState.wrap_up):
        return True
    if call.ended_at is None or now - as_utc(call.ended_at) >= timedelta(seconds=note_due_s):
        return False
    assert call.id is not None
    note = note_of(session=session, call_id=call.id)
    return note is None or note.status != NoteStatus.submitted


def history(
    *,
    session: Session,
    call: Call,
    user: User,
    secret: str,
    now: datetime,
    note_due_s: int,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Earlier calls from the same caller: for reviewers, and for the call's counselor while
    they take it and write its note; not through an old call of theirs (later calls by others).

    None for a caller who withheld their number: that hash is everyone who hides theirs."""
    if user.role not in REVIEWERS and not (
        is_call_counselor(user, call)
        and in_note_window(session=session, call=call, now=now, note_due_s=note_due_s)
    ):
        raise NoteError("forbidden", 403)
    if call.caller_hash in withheld_hashes(secret):
        return []
    rows = session.exec(
        select(Call, Line, CallNote, FollowUp)
        .join(Line, col(Line.id) == Call.line_id)
        .join(CallNote, col(CallNote.call_id) == Call.id, isouter=True)
        .join(FollowUp, col(FollowUp.call_id) == Call.id, isouter=True)
        .where(
            Call.caller_hash == call.caller_hash,
            Call.id != call.id,
            # Earlier calls only (the id breaks a tie in time).
            or_(
                col(Call.created_at) < call.created_at,
                and_(col(Call.created_at) == call.created_at, col(Call.id) < call.id),
            ),
        )
        .order_by(col(Call.created_at).desc())
        .limit(limit)
    ).all()
    found = []
    for earlier, line, note, follow_up in rows:
        summary = fields_of(note).summary if note is not None else ""
        waiting = follow_up is not None and follow_up.status == FollowUpStatus.scheduled
        found.append(
            {
                "call_id": earlier.id,
                "date": earlier.created_at.isoformat(),
                "line_name": line.name,
                "crisis_level": note.crisis_level if note else None,
                "call_type": note.call_type if note else None,
                "summary_excerpt": summary[:EXCERPT_CHARS],
                # A follow-up still waiting to be made: this call, if counselling, meets it.
                "follow_up_due_at": follow_up.due_at.isoformat() if waiting else None,
                "follow_up_priority": bool(follow_up.priority) if waiting else False,
            }
        )
    return found


UNFINISHED_LIMIT = 100


def unfinished(*, session: Session, user: User) -> list[dict[str, Any]]:
    """The user's notes still to submit, oldest call first: every answered call of theirs
    without a submitted note, and every draft they wrote in, whether or not the call ever
    connected (the caller may have hung up while it was connecting). Never the note's text."""
    rows = session.exec(
        select(Call, Line, CallNote)
        .join(Line, col(Line.id) == Call.line_id)
        .join(CallNote, col(CallNote.call_id) == Call.id, isouter=True)
        .where(
            or_(
                and_(
                    col(Call.counselor_id) == user.id,
                    col(Call.connected_at).is_not(None),
                    or_(col(CallNote.id).is_(None), col(CallNote.status) == NoteStatus.draft.value),
                ),
                and_(
                    col(CallNote.author_id) == user.id,
                    col(CallNote.status) == NoteStatus.draft.value,
                    col(CallNote.version) > 1,  # something was saved: an empty draft loses nothing
                ),
            )
        )
        .order_by(col(Call.created_at), col(Call.id))
        .limit(UNFINISHED_LIMIT)
    ).all()
    return [
        {
            "call_id": call.id,
            "at": (call.connected_at or call.created_at).isoformat(),
            "line_name": line.name,
            "level": _highest(note.crisis_level, note.suggested_level) if note else None,
            "connected": call.connected_at is not None,
            "overdue": bool(note and note.overdue),
        }
        for call, line, note in rows
    ]


def level_of(*, session: Session, call_id: int) -> tuple[str | None, bool]:
    """The call's crisis colour for listings: (level, escalated)."""
    note = note_of(session=session, call_id=call_id)
    if note is None:
        return None, False
    return _highest(note.crisis_level, note.suggested_level), note.escalated_level is not None


def mark_overdue(*, session: Session, now: datetime, due_s: int) -> int:
    """Answered calls that ended `due_s` ago without a submitted note are flagged."""
    cutoff = now - timedelta(seconds=due_s)
    ended = session.exec(
        select(Call, CallNote)
        .join(CallNote, col(CallNote.call_id) == Call.id, isouter=True)
        .where(
            col(Call.connected_at).is_not(None),
            col(Call.ended_at) <= cutoff,
            # Bounded, so this per-second scan stays small on a year of calls; anything
            # older was flagged long ago.
            col(Call.ended_at) > cutoff - OVERDUE_LOOKBACK,
            col(Call.state).in_([CallState.wrap_up.value, CallState.completed.value]),
        )
        .where(
            or_(
                col(CallNote.id).is_(None),
                and_(col(CallNote.status) == NoteStatus.draft.value, ~col(CallNote.overdue)),
            )
        )
        .limit(200)
    ).all()
    flagged = 0
    for call, note in ended:
        if note is None:
            assert call.id is not None and call.counselor_id is not None
            note = CallNote(
                call_id=call.id, author_id=call.counselor_id, created_at=now, updated_at=now
            )
            _store(note, NoteFields())
            session.add(note)
        note.overdue = True
        note.due_at = (call.ended_at or now) + timedelta(seconds=due_s)
        flagged += 1
        emit(session, SUPERVISORS_TOPIC, {"call_id": call.id, "overdue": True})
        emit(session, agent_topic(note.author_id))
    return flagged
