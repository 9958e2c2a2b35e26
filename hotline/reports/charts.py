"""Charts drawn on the server as inline SVG: no front-end build step, and they print (and go into the PDF).

Each chart has its title written above the plot, a value axis with ticks and its
name below, and a legend naming what the bars count.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 14
GAP = 6
LABEL_WIDTH = 120
WIDTH = 420
TITLE_HEIGHT = 22
AXIS_HEIGHT = 30
LEGEND_HEIGHT = 20
TICKS = 4


def _number(value: float, percent: bool) -> str:
    return f"{value * 100:.0f}%" if percent else f"{value:g}"


def ticks(top: float, percent: bool = False) -> list[float]:
    """Return the value axis's tick values from 0 to a round number at or above `top`."""
    if percent:
        return [step / TICKS for step in range(TICKS + 1)]
    if top <= 0:
        return [0.0, 1.0]
    raw = top / TICKS
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = int(-(-top // step))
    return [step * index for index in range(count + 1)]


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    percent: bool = False,
    axis: str | None = None,
    legend: str | None = None,
) -> Markup:
    """Return a horizontal bar chart as SVG markup, one bar per label, the value written after each bar.

    Args:
        title: written above the chart (and its accessible name).
        axis: the value axis's name (default: the title).
        legend: what one bar is (default: the title).
    """
    numbers = [value or 0 for value in values]
    marks = ticks(max(numbers, default=0), percent)
    top = marks[-1] or 1
    plot = WIDTH - LABEL_WIDTH - 60
    bars = len(labels) * (BAR_HEIGHT + GAP) + GAP
    height = TITLE_HEIGHT + bars + AXIS_HEIGHT + LEGEND_HEIGHT
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<text class="chart-title" x="0" y="15">{escape(title)}</text>'
    ]
    for index, (text, value) in enumerate(zip(labels, values, strict=True)):
        y = TITLE_HEIGHT + GAP + index * (BAR_HEIGHT + GAP)
        width = 0 if not value else max(1, round(plot * value / top))
        shown = "—" if value is None else (f"{value * 100:.1f}%" if percent else f"{value:g}")
        parts.append(
            f'<text x="{LABEL_WIDTH - 4}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">{escape(str(text)[:18])}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="2"></rect>'
            f'<text x="{LABEL_WIDTH + width + 4}" y="{y + BAR_HEIGHT - 3}">{escape(shown)}</text>'
        )
    base = TITLE_HEIGHT + bars
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="{TITLE_HEIGHT}" x2="{LABEL_WIDTH}" y2="{base}"></line>')
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="{base}" x2="{LABEL_WIDTH + plot}" y2="{base}"></line>')
    for mark in marks:
        x = LABEL_WIDTH + round(plot * mark / top)
        parts.append(
            f'<line class="axis" x1="{x}" y1="{base}" x2="{x}" y2="{base + 4}"></line>'
            f'<text class="tick" x="{x}" y="{base + 15}" text-anchor="middle">{escape(_number(mark, percent))}</text>'
        )
    parts.append(
        f'<text class="axis-label" x="{LABEL_WIDTH + plot / 2:g}" y="{base + 27}" text-anchor="middle">'
        f"{escape(axis or title)}</text>"
    )
    legend_y = base + AXIS_HEIGHT + 4
    parts.append(
        f'<rect class="bar" x="{LABEL_WIDTH}" y="{legend_y}" width="10" height="10" rx="2"></rect>'
        f'<text class="legend" x="{LABEL_WIDTH + 14}" y="{legend_y + 9}">{escape(legend or title)}</text>'
    )
    parts.append("</svg>")
    # Every label and value above went through escape(); the rest is fixed markup.
    return Markup("".join(parts))  # noqa: S704
