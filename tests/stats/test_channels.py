"""Statistics by channel and in total over a mix of voice calls and text conversations
(tests/stats/channels.py): raw and rolled up alike, the API, the page and the report's files."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from openpyxl import load_workbook

from hotline.db import Database
from hotline.stats import metrics, rollup
from hotline.stats.metrics import Bucket, Scope
from hotline.stats.rollup import day_start
from tests.stack import Stack
from tests.stats.channels import EXPECTED, T0, close_mix, figures, open_mix
from tests.stats.test_pages import sign_in

ZONE = "Asia/Shanghai"
DAY = date(2026, 3, 10)


def day_scope() -> Scope:
    return Scope(
        start=day_start(DAY, ZONE), end=day_start(DAY + timedelta(days=1), ZONE), timezone=ZONE
    )


def by_key(rows: list[metrics.CallFigures]) -> dict[object, tuple[object, ...]]:
    return {row.key: figures(row.public()) for row in rows}


def test_figures_by_channel_raw_and_rolled_up(db: Database) -> None:
    close_mix(db, open_mix(db))
    with db.session() as session:
        raw = metrics.call_figures(session=session, scope=day_scope(), bucket=Bucket.channel)
        total = metrics.totals(session=session, scope=day_scope())
    assert by_key(raw) == {k: v for k, v in EXPECTED.items() if k is not None}
    assert figures(total.public()) == EXPECTED[None]

    result = rollup.refresh(db=db, now=T0 + timedelta(days=5))
    assert result.days > 0
    with db.session() as session:
        assert rollup.split(session=session, scope=day_scope()).raw is None  # all rolled up
        rolled = rollup.by_channel(session=session, scope=day_scope())
        assert [row.key for row in rolled] == ["voice", "sms", "webchat", "wechat"]
        assert by_key(rolled) == {k: v for k, v in EXPECTED.items() if k is not None}
        assert (
            figures(rollup.totals(session=session, scope=day_scope()).public()) == (EXPECTED[None])
        )
        # The hours of the day still add up over the channels.
        hourly = rollup.call_figures(session=session, scope=day_scope(), bucket=Bucket.hour)
        assert [(f.key, f.offered) for f in hourly] == [(8, 7)]


def test_the_api_the_page_and_the_report_count_by_channel(quiet_app: Stack) -> None:
    stack = quiet_app
    close_mix(stack.db, open_mix(stack.db))
    sue = sign_in(stack, "sue")
    period = "start=2026-03-10&end=2026-03-10"

    overview = sue.get(f"/api/stats/overview?{period}").json()
    assert {row["key"]: figures(row) for row in overview["by_channel"]} == {
        k: v for k, v in EXPECTED.items() if k is not None
    }
    assert figures(overview["totals"]) == EXPECTED[None]
    series = sue.get(f"/api/stats/calls?{period}&bucket=channel").json()["series"]
    assert {row["key"]: row["offered"] for row in series} == {
        "sms": 2,
        "voice": 3,
        "webchat": 1,
        "wechat": 1,
    }

    page = sue.get(f"/supervisor/stats?{period}&lang=en")
    assert page.status_code == 200
    assert 'data-channel="wechat"' in page.text and "Web chat" in page.text
    assert "Only for phone calls are hang-ups within 5 seconds" in page.text

    rows = list(csv.reader(io.StringIO(sue.get("/supervisor/stats/report.csv?month=2026-03").text)))
    received = {item: value for section, item, value in rows if section.startswith("Contacts rec")}
    handled = {item: value for section, item, value in rows if section.startswith("Contacts han")}
    assert received == {
        "Phone": "3",
        "SMS": "2",
        "Web chat": "1",
        "WeChat": "1",
        "All channels": "7",
    }
    assert handled == {
        "Phone": "1",
        "SMS": "1",
        "Web chat": "1",
        "WeChat": "0",
        "All channels": "3",
    }

    sue.get("/supervisor/stats?lang=zh_CN")  # the report in the reader's language
    book = load_workbook(io.BytesIO(sue.get("/supervisor/stats/report.xlsx?month=2026-03").content))
    cells = [tuple(row) for row in book.active.iter_rows(values_only=True)]
    assert ("各渠道接入量", "微信", 1) in cells
    assert ("各渠道接入量", "全部渠道", 7) in cells
