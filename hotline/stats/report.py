"""The monthly report health commissions ask for, as XLSX and CSV, with localized headers.

Both files hold the same rows: section, item, value. Rates are fractions in the XLSX (shown as
percentages) and percentages with one decimal in the CSV; times are seconds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, col, select

from hotline.csv_export import csv_text
from hotline.followups.metrics import follow_up_figures
from hotline.i18n import gettext_for
from hotline.notes.models import IssueCategory
from hotline.notes.options import POPULATION_GROUPS, REFERRAL_KINDS
from hotline.referrals.labels import STATUS_LABELS
from hotline.referrals.metrics import NAMED, referral_figures
from hotline.stats import metrics, rollup
from hotline.stats.metrics import Dimension, Scope

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Row:
    section: str
    item: str
    value: int | float | str | None
    kind: str = "count"  # count | rate | seconds | text


def build_rows(
    *, session: Session, scope: Scope, month: str, line_name: str, locale: str
) -> list[Row]:
    _: Callable[[str], str] = gettext_for(locale)
    totals = rollup.totals(session=session, scope=scope)
    notes, _levels, _kinds = rollup.note_breakdown(session=session, scope=scope)
    categories = rollup.counts_by(session=session, scope=scope, dimension=Dimension.category)
    groups = rollup.counts_by(session=session, scope=scope, dimension=Dimension.population_group)
    escalations = metrics.escalation_figures(session=session, scope=scope)
    staff = metrics.staff_on_duty(session=session, scope=scope)
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
        Row(general, _("Month"), month, "text"),
        Row(general, _("Line"), line_name, "text"),
        Row(calls, _("Calls received"), totals.offered),
        Row(calls, _("Calls handled"), totals.answered),
        Row(calls, _("Answer rate"), totals.answer_rate, "rate"),
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
        Row(general, _("Staff on duty"), staff),
    ]
    labels = {
        str(c.id): (c.label_zh if locale == "zh_CN" else c.label_en)
        for c in session.exec(select(IssueCategory).order_by(col(IssueCategory.sort)))
    }
    for key, label in labels.items():
        if key in categories:
            rows.append(Row(problems, label, categories[key]))
    for key, message in POPULATION_GROUPS.items():
        if key in groups:
            rows.append(Row(people, _(message), groups[key]))
    rows += _referral_rows(session=session, scope=scope, _=_)
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


def headers(locale: str) -> list[str]:
    _ = gettext_for(locale)
    return [_("Section"), _("Item"), _("Value")]


def to_csv(rows: list[Row], locale: str) -> bytes:
    def shown(row: Row) -> object:
        if row.value is None:
            return None
        if row.kind == "rate":
            return f"{float(row.value or 0) * 100:.1f}%"
        if row.kind == "seconds":
            return f"{float(row.value or 0):.1f}"
        return row.value

    lines = ([row.section, row.item, shown(row)] for row in rows)
    return csv_text(headers(locale), lines).encode("utf-8")


def to_xlsx(rows: list[Row], locale: str, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers(locale))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        value: int | float | str | None = row.value
        if row.kind == "seconds" and isinstance(value, int | float):
            value = round(float(value), 1)
        sheet.append([row.section, row.item, value])
        for written in sheet[sheet.max_row]:
            if isinstance(written.value, str):
                written.data_type = "s"  # names are typed by people: text, never a formula
        if row.kind == "rate":
            sheet.cell(row=sheet.max_row, column=3).number_format = "0.0%"
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 44
    sheet.column_dimensions["C"].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
