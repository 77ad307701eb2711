"""A filed report as a printable PDF with charts (reportlab, no browser, no font files).

Chinese text uses the Adobe CID font STSong-Light that PDF readers carry, so nothing is
embedded and nothing is downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hotline.i18n import gettext_for
from hotline.stats.report import Row, compared, headers, shown

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
PREVIOUS_COLOUR = colors.HexColor("#9aa5b1")
CURRENT_COLOUR = colors.HexColor("#1f5f99")


def _chart(rows: list[Row], _: Callable[[str], str]) -> Drawing:
    """This period's counts of one section beside the previous period's, one bar pair each."""
    height = 18 * len(rows) + 40
    drawing = Drawing(170 * mm, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 70 * mm, 30
    chart.width, chart.height = 90 * mm, height - 40
    chart.data = [
        [float(row.previous) if isinstance(row.previous, int | float) else 0 for row in rows],
        [float(row.value) if isinstance(row.value, int | float) else 0 for row in rows],
    ]
    chart.categoryAxis.categoryNames = [row.item for row in rows]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.reverseDirection = True  # the table's order, top to bottom
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = PREVIOUS_COLOUR
    chart.bars[1].fillColor = CURRENT_COLOUR
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 70 * mm, 12
    legend.fontName = FONT
    legend.fontSize = 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [
        (CURRENT_COLOUR, _("This period")),
        (PREVIOUS_COLOUR, _("Previous period")),
    ]
    drawing.add(legend)
    return drawing


def to_pdf(rows: list[Row], *, locale: str, title: str, footer: str) -> bytes:
    _ = gettext_for(locale)
    text = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=12)
    heading = ParagraphStyle("heading", parent=text, fontSize=15, leading=20)
    subheading = ParagraphStyle("subheading", parent=text, fontSize=11, leading=16)
    with_previous = compared(rows)

    def line(row: Row) -> list[object]:
        values = [row.section, row.item, shown(row.value, row.kind)]
        if with_previous:
            values += [shown(row.previous, row.kind), shown(row.change, row.kind)]
        return ["" if value is None else str(value) for value in values]

    table = Table(
        [headers(locale, with_previous)] + [line(row) for row in rows],
        repeatRows=1,
        colWidths=[28 * mm, 70 * mm, 24 * mm, 24 * mm, 24 * mm][: 5 if with_previous else 3],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e7eb")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story: list[object] = [Paragraph(title, heading), Spacer(1, 4 * mm)]
    sections = [rows[0].section] if rows else []
    for row in rows:
        if row.section not in sections:
            sections.append(row.section)
    for section in sections:
        counts = [r for r in rows if r.section == section and r.kind == "count"]
        if len(counts) >= 2:
            story += [Paragraph(section, subheading), _chart(counts, _), Spacer(1, 3 * mm)]
    story += [Spacer(1, 4 * mm), table, Spacer(1, 6 * mm), Paragraph(footer, text)]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm
    ).build(story)
    return buffer.getvalue()
