"""Filing the reports (立卷归档): each month, quarter and half-year, once it is over, its report
is kept as an immutable record, chained to the one before and signed, past the calls' retention.

The chain: a record's digest is the SHA-256 of its canonical content and the previous record's
digest; its signature is an HMAC of that digest with a key derived from the service's secret
key. Changing a figure, removing or reordering a record, or rewriting the whole chain without
the key is found by `verify`. The database refuses updates and deletes besides (migration).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hotline.errors import DomainError
from hotline.i18n import N_
from hotline.lines.models import Line
from hotline.stats import report
from hotline.stats.models import FiledReport
from hotline.stats.periods import Period, PeriodKind, last_ended, parse_period
from hotline.stats.report import Row

LOCALES = ("zh_CN", "en")
GENESIS = "0" * 64
ALL_LINES = 0  # line_key of the service-wide report


class ArchiveError(DomainError):
    status = 422
    messages = {
        "bad_period": N_("Give the period as YYYY-MM, YYYY-Q1 to Q4 or YYYY-H1 or H2."),
        "not_over": N_("A report is filed once its period is over."),
        "filed": N_("That report has been filed already."),
        "no_line": N_("There is no such line."),
        "no_report": N_("There is no such filed report."),
    }
    fallback = N_("Something went wrong. Please try again.")


def signing_key(secret_key: str) -> bytes:
    """A key of its own for the archive, derived from the service's secret key."""
    return hmac.new(secret_key.encode(), b"hotline report archive v1", hashlib.sha256).digest()


def _content(record: FiledReport) -> bytes:
    return json.dumps(
        {
            "seq": record.seq,
            "kind": record.kind,
            "period": record.period,
            "line_key": record.line_key,
            "line_name": record.line_name,
            "filed_at": record.filed_at.isoformat(),
            "filed_by": record.filed_by,
            "figures": json.loads(record.figures),
            "prev_digest": record.prev_digest,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _digest(record: FiledReport) -> str:
    return hashlib.sha256(_content(record)).hexdigest()


def _sign(digest: str, key: bytes) -> str:
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def _figures(rows_by_locale: dict[str, list[Row]]) -> str:
    return json.dumps(
        {
            locale: [[r.section, r.item, r.value, r.kind, r.previous] for r in rows]
            for locale, rows in rows_by_locale.items()
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def rows_of(record: FiledReport, locale: str) -> list[Row]:
    """The filed figures in `locale` (English when it was not filed in that language)."""
    figures: dict[str, list[list[Any]]] = json.loads(record.figures)
    chosen = figures.get(locale) or figures["en"]
    return [Row(s, i, v, k, p) for s, i, v, k, p in chosen]


def file_report(
    *,
    session: Session,
    period: Period,
    line_id: int | None,
    now: datetime,
    today: date,
    key: bytes,
    filed_by: str | None = None,
) -> FiledReport:
    """File `period`'s report of one line (None: every line), at the end of the chain.

    Two instances filing at once: the second's `seq` (or its period and line) is taken, its
    insert fails and it rolls back; the caller tries again later and finds it filed."""
    if period.last_day >= today:
        raise ArchiveError("not_over")
    line_key, line_name = ALL_LINES, "*"
    if line_id is not None:
        line = session.get(Line, line_id)
        if line is None:
            raise ArchiveError("no_line")
        line_key, line_name = line_id, line.name
    if _filed(session, period, line_key) is not None:
        raise ArchiveError("filed")
    last = session.exec(select(FiledReport).order_by(col(FiledReport.seq).desc())).first()
    rows = {
        locale: report.period_rows(
            session=session,
            period=period,
            line_id=line_id,
            line_name=line_name if line_id is not None else report.all_lines_name(locale),
            locale=locale,
        )
        for locale in LOCALES
    }
    record = FiledReport(
        seq=(last.seq + 1) if last is not None else 1,
        kind=period.kind.value,
        period=period.label,
        line_key=line_key,
        line_name=line_name,
        filed_at=now,
        filed_by=filed_by,
        figures=_figures(rows),
        prev_digest=last.digest if last is not None else GENESIS,
        digest="",
        signature="",
    )
    record.digest = _digest(record)
    record.signature = _sign(record.digest, key)
    session.add(record)
    session.flush()
    return record


def _filed(session: Session, period: Period, line_key: int) -> FiledReport | None:
    return session.exec(
        select(FiledReport).where(
            FiledReport.period == period.label, FiledReport.line_key == line_key
        )
    ).first()


def due(*, session: Session, today: date) -> list[tuple[Period, int | None]]:
    """The reports over and not yet filed: the last month, quarter and half-year, for every
    active line and for the service as a whole."""
    line_ids: list[int | None] = [None]
    line_ids += [
        line.id
        for line in session.exec(select(Line).where(col(Line.active)).order_by(col(Line.id)))
        if line.id is not None
    ]
    found = []
    for kind in PeriodKind:
        period = last_ended(kind, today)
        for line_id in line_ids:
            key = line_id if line_id is not None else ALL_LINES
            if _filed(session, period, key) is None:
                found.append((period, line_id))
    return found


def parse(text: str) -> Period:
    period = parse_period(text)
    if period is None:
        raise ArchiveError("bad_period")
    return period


@dataclass(frozen=True)
class Verdict:
    checked: int
    broken_at: int | None  # the seq of the first record that does not hold
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(*, session: Session, key: bytes) -> Verdict:
    """Walk the chain from the first record: contents, links and signatures."""
    previous, checked = GENESIS, 0
    for expected_seq, record in enumerate(
        session.exec(select(FiledReport).order_by(col(FiledReport.seq))), start=1
    ):
        if record.seq != expected_seq:
            return Verdict(checked, expected_seq, "missing")
        if record.prev_digest != previous:
            return Verdict(checked, record.seq, "link")
        if _digest(record) != record.digest:
            return Verdict(checked, record.seq, "content")
        if not hmac.compare_digest(_sign(record.digest, key), record.signature):
            return Verdict(checked, record.seq, "signature")
        previous, checked = record.digest, checked + 1
    return Verdict(checked, None)


def listing(*, session: Session, kind: str | None = None, limit: int = 200) -> list[FiledReport]:
    query = select(FiledReport).order_by(col(FiledReport.seq).desc()).limit(limit)
    if kind:
        query = query.where(FiledReport.kind == kind)
    return list(session.exec(query))


def get(*, session: Session, report_id: int) -> FiledReport:
    record = session.get(FiledReport, report_id)
    if record is None:
        raise ArchiveError("no_report")
    return record


def file_due(*, db_session: Session, today: date, now: datetime, key: bytes) -> int:
    """File one due report in the session given (the job calls it once per transaction)."""
    for period, line_id in due(session=db_session, today=today):
        try:
            with db_session.begin_nested():
                file_report(
                    session=db_session,
                    period=period,
                    line_id=line_id,
                    now=now,
                    today=today,
                    key=key,
                )
        except IntegrityError:
            return 0  # another instance filed at the same moment: the next run goes on
        return 1
    return 0
