"""Charts drawn on the server as SVG: no script, nothing inline for the CSP to refuse (colours come
from classes in stats.css). Each chart has a title and a description for screen readers; the page
shows the same figures in a table next to it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH = 640
HEIGHT = 240
LEFT = 48
RIGHT = 12
TOP = 16
BOTTOM = 40


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(value)


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _frame(title: str, body: list[str], top: float, label_every: int, labels: Sequence[str]) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(top * i / 4)}</text>"
        )
    parts.extend(body)
    plot_w = WIDTH - LEFT - RIGHT
    n = max(len(labels), 1)
    for i, label in enumerate(labels):
        if i % label_every:
            continue
        x = LEFT + plot_w * (i + 0.5) / n
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> Markup:
    top = _nice_max(max(values, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = max(len(values), 1)
    slot = plot_w / n
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = LEFT + slot * i + slot * 0.15
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
    every = max(1, (n + 11) // 12)
    return Markup(_frame(title, body, top, every, labels))  # noqa: S704 - every text is escaped


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]
) -> Markup:
    """One polyline a series (gaps where a value is None), over the same labels."""
    values = [v for _name, points in series for v in points if v is not None]
    top = _nice_max(max(values, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    body = []
    for index, (name, points) in enumerate(series):
        coords = []
        for i, value in enumerate(points):
            if value is None:
                continue
            x = LEFT + plot_w * (i + 0.5) / n
            y = TOP + plot_h - plot_h * value / top
            coords.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<polyline class="series series-{index}" points="{" ".join(coords)}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        if len(coords) == 1:
            cx, cy = coords[0].split(",")
            body.append(f'<circle class="series-dot series-{index}" cx="{cx}" cy="{cy}" r="3"/>')
    every = max(1, (n + 11) // 12)
    return Markup(_frame(title, body, top, every, labels))  # noqa: S704 - every text is escaped
