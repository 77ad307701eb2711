"""What the statistics page shows beyond the figures: names of groupings, weekdays and areas,
and the charts (inline SVG, no script)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from hotline.i18n import N_
from hotline.stats import charts
from hotline.stats.metrics import Bucket

WEEKDAY_LABELS = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)
BUCKET_LABELS = {
    Bucket.day: N_("Day"),
    Bucket.week: N_("Week"),
    Bucket.month: N_("Month"),
    Bucket.quarter: N_("Quarter"),
}
UNSET = {"unset": N_("Not recorded")}
AREA_LABELS = {
    "local": N_("Local"),
    "out_of_area": N_("Out of area"),
    "unknown": N_("Not known"),
}


def charts_of(data: dict[str, Any], _: Callable[[str], str]) -> dict[str, Markup]:
    """The page's charts from `hotline.stats.service.overview`'s data."""
    series = data["series"]
    labels = [str(row["key"]) for row in series]
    hours = {row["key"]: row["offered"] for row in data["by_hour"]}
    weekdays = {row["key"]: row["offered"] for row in data["by_weekday"]}
    return {
        "trend": charts.line_chart(
            _("Calls received and handled"),
            labels,
            [
                (_("Calls received"), [row["offered"] for row in series]),
                (_("Calls handled"), [row["answered"] for row in series]),
            ],
        ),
        "rates": charts.line_chart(
            _("Answer rate and service level (%)"),
            labels,
            [
                (
                    _("Answer rate"),
                    [None if r["answer_rate"] is None else 100 * r["answer_rate"] for r in series],
                ),
                (
                    _("Answered within 20 seconds"),
                    [
                        None if r["service_level_20"] is None else 100 * r["service_level_20"]
                        for r in series
                    ],
                ),
            ],
        ),
        "hours": charts.bar_chart(
            _("Calls by hour of the day"),
            [f"{h:02d}" for h in range(24)],
            [hours.get(h, 0) for h in range(24)],
        ),
        "weekdays": charts.bar_chart(
            _("Calls by day of the week"),
            [_(label) for label in WEEKDAY_LABELS],
            [weekdays.get(d, 0) for d in range(1, 8)],
        ),
        "waits": charts.bar_chart(
            _("Waiting time of answered calls (seconds)"),
            [label for label, _n in data["wait_distribution"]],
            [n for _label, n in data["wait_distribution"]],
        ),
        "handles": charts.bar_chart(
            _("Handle time (seconds)"),
            [label for label, _n in data["handle_distribution"]],
            [n for _label, n in data["handle_distribution"]],
        ),
    }
