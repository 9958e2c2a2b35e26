"""Charts drawn on the server as inline SVG: no front-end build step, and they print."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 14
GAP = 6
LABEL_WIDTH = 120
WIDTH = 420


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], percent: bool = False) -> Markup:
    """Return a horizontal bar chart as SVG markup, one bar per label, the value written after each bar."""
    numbers = [value or 0 for value in values]
    top = max(numbers, default=0) or 1
    plot = WIDTH - LABEL_WIDTH - 60
    height = len(labels) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, (text, value) in enumerate(zip(labels, values, strict=True)):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = 0 if not value else max(1, round(plot * value / top))
        shown = "—" if value is None else (f"{value * 100:.1f}%" if percent else f"{value:g}")
        parts.append(
            f'<text x="{LABEL_WIDTH - 4}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">{escape(str(text)[:18])}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="2"></rect>'
            f'<text x="{LABEL_WIDTH + width + 4}" y="{y + BAR_HEIGHT - 3}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    # Every label and value above went through escape(); the rest is fixed markup.
    return Markup("".join(parts))  # noqa: S704
