"""Keeping the note's taxonomy (issue categories) and the referral directory.

The tables are the notes' (`hotline.notes.models`: notes refer to them by id); what changes them
lives here, shared by the pages (`agent_console/directory/`) and the JSON API (`api.py`). Plain
functions taking `session` and `now`: every field is checked at once (a `DirectoryError` naming
each field at fault, before anything changes) and every change is written to the audit log in the
caller's unit of work with the fields before and after. Nothing is ever deleted: an entry is made
inactive, which hides it from new notes and keeps old notes readable. A category's code never
changes once created (reports and statistics key on it).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import or_
from sqlmodel import Session, col, select

from hotline import phone
from hotline.audit.models import AuditAction
from hotline.audit.service import record
from hotline.auth.models import User
from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.notes.models import IssueCategory, ReferralResource
from hotline.notes.options import REFERRAL_KINDS

CODE = re.compile(r"[a-z0-9_.]{1,64}")
_SHORT_CODE = re.compile(r"\d{3,6}")  # 110, 120, 12356, 12320: dialled as they are
_SEPARATORS = re.compile(r"[\s().\-]")
LIMITS = {"name": 200, "region": 100, "address": 300, "hours": 200, "notes": 2000}
AUDIT_TEXT = 40  # long free text is cut in the audit row (the row holds 300 characters)


class DirectoryError(DomainError):
    """A change to the taxonomy or the directory that is refused; `errors` names the fields."""

    status = 422
    messages: ClassVar[dict[str, str]] = {
        "invalid": N_("Some fields need correcting."),
        "not_found": N_("There is no such page."),
        "no_category": N_("There is no such category."),
        "no_resource": N_("There is no such referral resource."),
        "code_required": N_("Enter a code: lower-case letters, digits, _ and . only."),
        "code_taken": N_("A category with this code already exists."),
        "code_fixed": N_("A category's code cannot change once it exists."),
        "label_required": N_("Enter a label (at most 128 characters)."),
        "bad_sort": N_("Enter a whole number."),
        "parent_not_top_level": N_("The parent must be a top-level category (two levels only)."),
        "has_children": N_("This category has subcategories, so it must stay top-level."),
        "name_required": N_("Enter the name (at most 200 characters)."),
        "bad_kind": N_("Choose a kind from the list."),
        "bad_phone": N_(
            "This is not a phone number: enter it with its area or country code "
            "(0577 8888 0000, +86 ...) or a short number such as 120."
        ),
        "too_long": N_("This text is too long."),
        "no_choice": N_("There is no such population group or intervention."),
        "choice_code_taken": N_("This list already has an entry with this code."),
    }


# --- referral resources ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFields:
    kind: str
    name: str
    phone: str
    region: str
    address: str
    hours: str
    green_channel: bool
    notes: str


def normalise_phone(raw: str) -> str | None:
    """A short code (110, 120, 12356) as it is, anything else as E.164; None if neither."""
    compact = _SEPARATORS.sub("", raw.strip())
    if _SHORT_CODE.fullmatch(compact):
        return compact
    return phone.to_e164(compact)


def check_resource(
    *,
    kind: str,
    name: str,
    phone_number: str,
    region: str = "",
    address: str = "",
    hours: str = "",
    green_channel: bool = False,
    notes: str = "",
) -> ResourceFields:
    """The form's fields checked together: every problem at once, by field (422)."""
    errors: dict[str, str] = {}
    texts = {
        "name": name.strip(),
        "region": region.strip(),
        "address": address.strip(),
        "hours": hours.strip(),
        "notes": notes.strip(),
    }
    for field, text in texts.items():
        if len(text) > LIMITS[field]:
            errors[field] = "too_long"
    if not texts["name"] or len(texts["name"]) > LIMITS["name"]:
        errors["name"] = "name_required"
    if kind not in REFERRAL_KINDS:
        errors["kind"] = "bad_kind"
    number = ""
    if phone_number.strip():
        number = normalise_phone(phone_number) or ""
        if not number:
            errors["phone"] = "bad_phone"
    if errors:
        raise DirectoryError("invalid", errors=errors)
    return ResourceFields(kind=kind, phone=number, green_channel=green_channel, **texts)


def list_resources(
    *,
    session: Session,
    kind: str | None = None,
    search: str = "",
    active: bool | None = None,
) -> list[ReferralResource]:
    """The directory, active first, by kind and name; `search` looks in the name, phone,
    region, address and notes."""
    query = select(ReferralResource).order_by(
        col(ReferralResource.active).desc(),
        col(ReferralResource.kind),
        col(ReferralResource.name),
        col(ReferralResource.id),
    )
    if kind:
        query = query.where(ReferralResource.kind == kind)
    if active is not None:
        query = query.where(ReferralResource.active == active)
    words = search.strip()
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(
                *(
                    col(field).ilike(pattern, escape="\\")
                    for field in (
                        ReferralResource.name,
                        ReferralResource.phone,
                        ReferralResource.region,
                        ReferralResource.address,
                        ReferralResource.notes,
                    )
                )
            )
        )
    return list(session.exec(query).all())


def get_resource(*, session: Session, resource_id: int) -> ReferralResource:
    resource = session.get(ReferralResource, resource_id)
    if resource is None:
        raise DirectoryError("no_resource", 404)
    return resource


def resource_snapshot(resource: ReferralResource) -> dict[str, Any]:
    return {
        "kind": resource.kind,
        "name": resource.name,
        "phone": resource.phone,
        "green_channel": resource.green_channel,
        "active": resource.active,
        "region": resource.region,
        "hours": resource.hours,
        "address": _cut(resource.address),
        "notes": _cut(resource.notes),
    }


def create_resource(
    *,
    session: Session,
    fields: ResourceFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> ReferralResource:
    resource = ReferralResource(**asdict(fields))
    session.add(resource)
    session.flush()
    audit_change(
        session,
        now,
        "referral_resource",
        resource.id,
        "created",
        {},
        resource_snapshot(resource),
        actor,
        via,
        ip,
    )
    return resource


def update_resource(
    *,
    session: Session,
    resource: ReferralResource,
    fields: ResourceFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> ReferralResource:
    before = resource_snapshot(resource)
    resource.sqlmodel_update(asdict(fields))
    session.add(resource)
    session.flush()
    audit_change(
        session,
        now,
        "referral_resource",
        resource.id,
        "edited",
        before,
        resource_snapshot(resource),
        actor,
        via,
        ip,
    )
    return resource


def set_resource_active(
    *,
    session: Session,
    resource: ReferralResource,
    active: bool,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> ReferralResource:
    """Retire a resource (hidden from new notes; old notes still name it) or bring it back."""
    before = resource_snapshot(resource)
    resource.active = active
    session.add(resource)
    session.flush()
    summary = "activated" if active else "deactivated"
    audit_change(
        session,
        now,
        "referral_resource",
        resource.id,
        summary,
        before,
        resource_snapshot(resource),
        actor,
        via,
        ip,
    )
    return resource


# --- issue categories --------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryFields:
    code: str
    parent_id: int | None
    label_zh: str
    label_en: str
    sort: int


def check_category(
    *,
    session: Session,
    code: str,
    parent_id: str | int | None,
    label_zh: str,
    label_en: str,
    sort: str | int,
    category: IssueCategory | None = None,
) -> CategoryFields:
    """The form's fields checked together (422): the code is new and well-formed (or, for an
    existing category, unchanged); the parent is top-level; two levels only."""
    errors: dict[str, str] = {}
    code = code.strip()
    if category is not None:
        if code != category.code:
            errors["code"] = "code_fixed"
    elif not CODE.fullmatch(code):
        errors["code"] = "code_required"
    elif session.exec(select(IssueCategory.id).where(IssueCategory.code == code)).first():
        errors["code"] = "code_taken"
    labels = {"label_zh": label_zh.strip(), "label_en": label_en.strip()}
    for field, label in labels.items():
        if not label or len(label) > 128:
            errors[field] = "label_required"
    order = whole_number(sort)
    if order is None:
        errors["sort"] = "bad_sort"
    parent = _parent(session, parent_id, category, errors)
    if errors:
        raise DirectoryError("invalid", errors=errors)
    assert order is not None
    return CategoryFields(code=code, parent_id=parent, sort=order, **labels)


def whole_number(value: str | int) -> int | None:
    try:
        number = int(str(value).strip() or "0")
    except ValueError:
        return None
    return number if -1_000_000 <= number <= 1_000_000 else None


def _parent(
    session: Session,
    parent_id: str | int | None,
    category: IssueCategory | None,
    errors: dict[str, str],
) -> int | None:
    """The chosen parent's id, if any; records what is wrong with it in `errors`."""
    if parent_id is None or str(parent_id).strip() == "":
        return None
    try:
        wanted = int(str(parent_id))
    except ValueError:
        errors["parent_id"] = "parent_not_top_level"
        return None
    parent = session.get(IssueCategory, wanted)
    if parent is None or parent.parent_id is not None or (category and parent.id == category.id):
        errors["parent_id"] = "parent_not_top_level"
        return None
    if category is not None and _children(session, category):
        errors["parent_id"] = "has_children"
        return None
    return wanted


def _children(session: Session, category: IssueCategory) -> list[int]:
    return [
        int(i)
        for i in session.exec(
            select(IssueCategory.id).where(IssueCategory.parent_id == category.id)
        ).all()
        if i is not None
    ]


def list_categories(*, session: Session) -> list[IssueCategory]:
    return list(
        session.exec(
            select(IssueCategory).order_by(col(IssueCategory.sort), col(IssueCategory.id))
        ).all()
    )


def category_tree(
    categories: list[IssueCategory],
) -> list[tuple[IssueCategory, list[IssueCategory]]]:
    """Top-level categories in order, each with its subcategories in order."""
    return [
        (top, [c for c in categories if c.parent_id == top.id])
        for top in categories
        if top.parent_id is None
    ]


def top_level(*, session: Session) -> list[IssueCategory]:
    return [c for c in list_categories(session=session) if c.parent_id is None]


def get_category(*, session: Session, category_id: int) -> IssueCategory:
    category = session.get(IssueCategory, category_id)
    if category is None:
        raise DirectoryError("no_category", 404)
    return category


def category_snapshot(category: IssueCategory) -> dict[str, Any]:
    return {
        "code": category.code,
        "parent_id": category.parent_id,
        "label_zh": category.label_zh,
        "label_en": category.label_en,
        "sort": category.sort,
        "active": category.active,
    }


def create_category(
    *,
    session: Session,
    fields: CategoryFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> IssueCategory:
    category = IssueCategory(**asdict(fields))
    session.add(category)
    session.flush()
    audit_change(
        session,
        now,
        "issue_category",
        category.id,
        "created",
        {},
        category_snapshot(category),
        actor,
        via,
        ip,
    )
    return category


def update_category(
    *,
    session: Session,
    category: IssueCategory,
    fields: CategoryFields,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> IssueCategory:
    before = category_snapshot(category)
    category.sqlmodel_update(asdict(fields))
    session.add(category)
    session.flush()
    audit_change(
        session,
        now,
        "issue_category",
        category.id,
        "edited",
        before,
        category_snapshot(category),
        actor,
        via,
        ip,
    )
    return category


def set_category_active(
    *,
    session: Session,
    category: IssueCategory,
    active: bool,
    actor: User | None,
    now: datetime,
    via: str = "admin page",
    ip: str | None = None,
) -> IssueCategory:
    """Retire a category (hidden from new notes, with its subcategories; old notes keep it)."""
    before = category_snapshot(category)
    category.active = active
    session.add(category)
    session.flush()
    summary = "activated" if active else "deactivated"
    audit_change(
        session,
        now,
        "issue_category",
        category.id,
        summary,
        before,
        category_snapshot(category),
        actor,
        via,
        ip,
    )
    return category


# --- the audit log -----------------------------------------------------------------------------


def _cut(text: str) -> str:
    return text if len(text) <= AUDIT_TEXT else text[: AUDIT_TEXT - 1] + "…"


def audit_change(
    session: Session,
    now: datetime,
    object_type: str,
    object_id: int | None,
    summary: str,
    before: dict[str, Any],
    after: dict[str, Any],
    actor: User | None,
    via: str,
    ip: str | None,
) -> None:
    """One audit row: `summary (via): {"before": ..., "after": ...}`, the changed fields only."""
    keys = [key for key in after if before.get(key) != after[key]]
    changes = {
        "before": {key: before[key] for key in keys if key in before},
        "after": {key: after[key] for key in keys},
    }
    detail = f"{summary} ({via}): " + json.dumps(changes, ensure_ascii=False, separators=(",", ":"))
    record(
        session=session,
        now=now,
        action=AuditAction.edit,
        object_type=object_type,
        object_id=object_id,
        user=actor,
        detail=detail,
        ip=ip,
    )
