"""What the supervisors' review pages show, gathered for their templates, and the QA form read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlmodel import Session
from starlette.datastructures import FormData, QueryParams

from hotline.review import listing
from hotline.review import service as review
from hotline.review.models import QA_CRITERIA, SCORE_MAX, SCORE_MIN

COMMENT_MAX = 4000


def query_without(params: QueryParams, *drop: str) -> str:
    """The query string without `drop` (the pager adds its own page number)."""
    return urlencode([(k, v) for k, v in params.multi_items() if k not in drop])


def page_count(total: int) -> int:
    return max(1, -(-total // review.PAGE_SIZE))


def local_time(tz: ZoneInfo) -> Callable[[datetime | None], str]:
    return lambda value: listing.iso(value, tz)


def list_choices(session: Session) -> dict[str, Any]:
    """The line and person filters' choices, as the templates name them."""
    lines, people = listing.lines_and_people(session)
    return {"lines": lines, "people": people}


@dataclass(frozen=True)
class ReviewForm:
    """The QA form as posted: a score per criterion (None: not scored), the comment, the mark."""

    scores: dict[str, int | None]
    comment: str
    marked: bool
    bad_score: bool  # a score that is not a number at all

    @classmethod
    def read(cls, form: FormData) -> ReviewForm:
        scores: dict[str, int | None] = {}
        bad = False
        for criterion in QA_CRITERIA:
            raw = str(form.get(f"score_{criterion}") or "")
            value = _int(raw)
            if raw and value is None:
                bad = True
            scores[criterion] = value
        return cls(
            scores=scores,
            comment=str(form.get("comment") or "")[:COMMENT_MAX],
            marked=form.get("marked_for_review") == "1",
            bad_score=bad,
        )


def _int(value: str) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass
class CallView:
    """A call's review page: the call, its note and review, in the reader's language and zone."""

    detail: dict[str, Any] | None
    tz: ZoneInfo
    category_names: dict[int, str]
    scores: Mapping[str, int | None] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        return {
            "detail": self.detail,
            "scores": self.scores,
            "criteria": QA_CRITERIA,
            "score_range": range(SCORE_MIN, SCORE_MAX + 1),
            "category_names": self.category_names,
            "when": local_time(self.tz),
            "hms": listing.hms,
        }


def call_view(session: Session, call_id: int, locale: str) -> CallView:
    detail = review.call_detail(session=session, call_id=call_id)
    return CallView(
        detail=detail,
        tz=review.zone_of(session=session, line_id=None),
        category_names=dict(listing.categories(session, locale)),
        scores=review.scores_of(detail["review"]) if detail and detail["review"] else {},
    )
