"""The monthly report as a PDF, laid out by WeasyPrint from the same template as the printable page.

The stylesheets are read from the static folder (their print rules apply) and
nothing else is fetched: no network access while rendering. Chinese needs a CJK
font on the server (Debian's fonts-noto-cjk; docs/deploy.md).
"""

from __future__ import annotations

from pathlib import Path

STYLESHEETS = ("css/app.css", "css/cases.css")


def render_pdf(html: str, static_folder: str) -> bytes:
    """Return `html` laid out as an A4 PDF with the app's print styles."""
    from weasyprint import CSS, HTML, URLFetcher

    folder = Path(static_folder)
    fetcher = URLFetcher(allowed_protocols=["file", "data"])
    sheets = [CSS(filename=str(folder / name), url_fetcher=fetcher) for name in STYLESHEETS]
    return HTML(string=html, base_url=str(folder), url_fetcher=fetcher).write_pdf(stylesheets=sheets)
