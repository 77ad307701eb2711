"""The report health commissions ask for (a month, a quarter, a half-year), as XLSX and CSV with
localized headers (the PDF is `hotline.stats.pdf`).

The files hold the same rows: section, item, value, and for a report of a period with the one
before it, the previous period's value and the change. Rates are fractions in the XLSX (shown
as percentages) and percentages with one decimal in the CSV; times are seconds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, col, select

from hotline.auth.professions import EMPLOYMENT_LABELS, PROFESSION_LABELS
from hotline.calls.labels import CHANNEL_LABELS
from hotline.calls.models import Channel
from hotline.csv_export import csv_text
from hotline.followups.metrics import follow_up_figures
from hotline.i18n import N_, gettext_for
from hotline.notes import choices as note_choices
from hotline.notes.models import ChoiceKind, IssueCategory
from hotline.notes.options import REFERRAL_KINDS
from hotline.referrals.labels import STATUS_LABELS
from hotline.referrals.metrics import NAMED, referral_figures
from hotline.stats import metrics, rollup, service
from hotline.stats.metrics import CallFigures, Dimension, Scope
from hotline.stats.periods import Period, PeriodKind
from hotline.stats.staff import NOT_RECORDED, StaffFigures, staff_figures

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Row:
    section: str
    item: str
    value: int | float | str | None
    kind: str = "count"  # count | rate | seconds | text
    previous: int | float | str | None = None  # the period before's value, where compared

    @property
    def change(self) -> int | float | None:
        """This period's value less the previous one (rates: in points of the fraction)."""
        if self.kind == "text" or not isinstance(self.value, int | float):
            return None
        if not isinstance(self.previous, int | float):
            return None
        return self.value - self.previous


def build_rows(
    *,
    session: Session,
    scope: Scope,
    month: str,
    line_name: str,
    locale: str,
    period_name: str | None = None,
) -> list[Row]:
    _: Callable[[str], str] = gettext_for(locale)
    totals = rollup.totals(session=session, scope=scope)
    notes, _levels, _kinds = rollup.note_breakdown(session=session, scope=scope)
    categories = rollup.counts_by(session=session, scope=scope, dimension=Dimension.category)
    groups = rollup.counts_by(session=session, scope=scope, dimension=Dimension.population_group)
    escalations = metrics.escalation_figures(session=session, scope=scope)
    staffing = staff_figures(session=session, scope=scope)
    follow_ups = follow_up_figures(session=session, scope=scope)

    general, calls, callers, risk, problems, people = (
        _("Report"),
        _("Calls"),
        _("Callers"),
        _("Risk"),
        _("Problem types"),
        _("Population groups"),
    )
    rows = [
        Row(general, period_name or _("Month"), month, "text"),
        Row(general, _("Line"), line_name, "text"),
        Row(calls, _("Calls received"), totals.offered),
        Row(calls, _("Calls handled"), totals.answered),
        Row(calls, _("Answer rate"), totals.answer_rate, "rate"),
        # 接通率 as the national form defines it: handled over received, every caller counted.
        Row(
            calls,
            _("Connection rate (calls handled / calls received)"),
            totals.answered / totals.offered if totals.offered else None,
            "rate",
        ),
        Row(calls, _("Abandoned while waiting"), totals.abandoned),
        Row(calls, _("Abandoned within 5 seconds"), totals.abandoned_short),
        Row(calls, _("Sent to voicemail or a partner line"), totals.overflow),
        Row(calls, _("Average speed of answer (seconds)"), totals.asa_s, "seconds"),
        Row(calls, _("Answered within 20 seconds"), totals.service_level_20, "rate"),
        Row(calls, _("Answered within 60 seconds"), totals.service_level_60, "rate"),
        Row(calls, _("Average handle time (seconds)"), totals.aht_s, "seconds"),
        Row(callers, _("Local callers"), totals.local),
        Row(callers, _("Out-of-area callers"), totals.out_of_area),
        Row(callers, _("Area not known"), totals.offered - totals.local - totals.out_of_area),
        Row(callers, _("Repeat callers"), totals.repeat),
        Row(risk, _("High-crisis calls (high or imminent)"), notes.high_risk),
        Row(risk, _("Imminent danger"), notes.imminent),
        Row(risk, _("Difficult calls"), notes.difficult),
        Row(risk, _("Escalations to the crisis team"), escalations.count),
        Row(risk, _("Mean time to acknowledge (seconds)"), escalations.mean_ack_s, "seconds"),
        Row(risk, _("Follow-ups wanted"), notes.follow_up_wanted),
        Row(risk, _("Follow-up completion rate"), follow_ups.completion_rate, "rate"),
    ]
    rows += _channel_rows(rollup.by_channel(session=session, scope=scope), totals, _)
    rows += _staff_rows(staffing, _)
    labels = {
        str(c.id): (c.label_zh if locale == "zh_CN" else c.label_en)
        for c in session.exec(select(IssueCategory).order_by(col(IssueCategory.sort)))
    }
    for key, label in labels.items():
        if key in categories:
            rows.append(Row(problems, label, categories[key]))
    group_labels = note_choices.labels(
        session=session, kind=ChoiceKind.population_group, zh=locale == "zh_CN"
    )
    for key, label in group_labels.items():
        if key in groups:
            rows.append(Row(people, label, groups[key]))
    rows += _referral_rows(session=session, scope=scope, _=_)
    return rows


def _channel_rows(
    channels: list[CallFigures], totals: CallFigures, _: Callable[[str], str]
) -> list[Row]:
    """Contacts received and handled on each channel (phone, SMS, web chat, WeChat, even at 0)
    and on all of them."""
    rows = []
    for section, figure in (
        (_("Contacts received by channel"), "offered"),
        (_("Contacts handled by channel"), "answered"),
    ):
        for found in channels:
            label = CHANNEL_LABELS[Channel(str(found.key))]
            rows.append(Row(section, _(label), getattr(found, figure)))
        rows.append(Row(section, _("All channels"), getattr(totals, figure)))
    return rows


def _staff_rows(staffing: StaffFigures, _: Callable[[str], str]) -> list[Row]:
    """The national form's staff part: every profession and kind of employment, even at 0."""
    section = _("Staff")
    rows = [Row(section, _("Staff on duty"), staffing.on_duty)]
    for key, label in PROFESSION_LABELS.items():
        rows.append(Row(section, _(label), staffing.by_profession.get(key, 0)))
    if staffing.by_profession.get(NOT_RECORDED):
        rows.append(
            Row(section, _("Profession not recorded"), staffing.by_profession[NOT_RECORDED])
        )
    for key, label in EMPLOYMENT_LABELS.items():
        rows.append(Row(section, _(label), staffing.by_employment.get(key, 0)))
    if staffing.by_employment.get(NOT_RECORDED):
        rows.append(
            Row(section, _("Full- or part-time not recorded"), staffing.by_employment[NOT_RECORDED])
        )
    rows += [
        Row(section, _("Service hours"), staffing.service_hours),
        Row(section, _("Training sessions held"), staffing.training_sessions),
        Row(section, _("Training attendances"), staffing.training_attendances),
        Row(section, _("Training hours credited"), round(staffing.training_minutes / 60, 1)),
    ]
    return rows


def _referral_rows(*, session: Session, scope: Scope, _: Callable[[str], str]) -> list[Row]:
    """Referrals made in the period: in all, by kind, by resource and by outcome."""
    figures = referral_figures(session=session, scope=scope)
    section, kinds, resources, outcomes = (
        _("Referrals"),
        _("Referrals by kind"),
        _("Referrals by resource"),
        _("Referral outcomes"),
    )
    rows = [
        Row(section, _("Referrals made"), figures.total),
        Row(section, _("Referrals attended"), figures.attended_rate, "rate"),
        Row(section, _("Green-channel referrals sent"), figures.green_sent),
        Row(section, _("Green-channel referrals confirmed"), figures.green_confirmed),
    ]
    for key, message in REFERRAL_KINDS.items():
        if key in figures.by_kind:
            rows.append(Row(kinds, _(message), figures.by_kind[key]))
    for name in sorted(figures.by_resource):
        label = name if name != NAMED else _("Named by the counselor")
        rows.append(Row(resources, label, figures.by_resource[name]))
    for key, message in STATUS_LABELS.items():
        if key in figures.by_outcome:
            rows.append(Row(outcomes, _(message), figures.by_outcome[key]))
    return rows


PERIOD_NAMES = {
    PeriodKind.month: N_("Month"),
    PeriodKind.quarter: N_("Quarter"),
    PeriodKind.half: N_("Half-year"),
}


def period_rows(
    *, session: Session, period: Period, line_id: int | None, line_name: str, locale: str
) -> list[Row]:
    """The report of `period` with each figure of the period before beside it."""
    _ = gettext_for(locale)

    def rows_of(shown: Period) -> list[Row]:
        scope = service.period_scope(
            session=session, line_id=line_id, first_day=shown.first_day, last_day=shown.last_day
        )
        return build_rows(
            session=session,
            scope=scope,
            month=shown.label,
            line_name=line_name,
            locale=locale,
            period_name=_(PERIOD_NAMES[period.kind]),
        )

    earlier = {(row.section, row.item): row.value for row in rows_of(period.previous())}
    return [
        row if row.kind == "text" else replace(row, previous=earlier.get((row.section, row.item)))
        for row in rows_of(period)
    ]


def compared(rows: list[Row]) -> bool:
    return any(row.previous is not None for row in rows)


def headers(locale: str, with_previous: bool = False) -> list[str]:
    _ = gettext_for(locale)
    names = [_("Section"), _("Item"), _("Value")]
    return names + [_("Previous period"), _("Change")] if with_previous else names


def shown(value: object, kind: str) -> object:
    """A value as the CSV and the PDF write it."""
    if value is None:
        return None
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "seconds":
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    return value


def to_csv(rows: list[Row], locale: str) -> bytes:
    with_previous = compared(rows)

    def line(row: Row) -> list[object]:
        values = [row.section, row.item, shown(row.value, row.kind)]
        if with_previous:
            values += [shown(row.previous, row.kind), shown(row.change, row.kind)]
        return values

    return csv_text(headers(locale, with_previous), (line(row) for row in rows)).encode("utf-8")


def to_xlsx(rows: list[Row], locale: str, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    with_previous = compared(rows)
    sheet.append(headers(locale, with_previous))
    for heading in sheet[1]:
        heading.font = Font(bold=True)

    def cell(value: object, kind: str) -> object:
        if kind == "seconds" and isinstance(value, int | float):
            return round(float(value), 1)
        return value

    for row in rows:
        values: list[object] = [row.section, row.item, cell(row.value, row.kind)]
        if with_previous:
            values += [cell(row.previous, row.kind), cell(row.change, row.kind)]
        sheet.append(values)
        for written in sheet[sheet.max_row]:
            if isinstance(written.value, str):
                written.data_type = "s"  # names are typed by people: text, never a formula
        if row.kind == "rate":
            for column in range(3, len(values) + 1):
                sheet.cell(row=sheet.max_row, column=column).number_format = "0.0%"
    for letter, width in zip("ABCDE", (18, 44, 18, 18, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def all_lines_name(locale: str) -> str:
    return gettext_for(locale)("All lines")
