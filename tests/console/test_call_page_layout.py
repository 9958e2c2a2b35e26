"""In Chromium: the call page fits a 390 px phone and a 1366 px laptop without horizontal scrolling, in
Chinese and in English, and the state column keeps 通话中 on one line."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from flask import Flask

from tests.console.test_browser import CHROMIUM, call_in, simulated_line  # noqa: F401  (the fixture)
from tests.support.browser import browser_page, log_in
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_call_page_fits_390_and_1366_pixels_in_both_languages(
    app: Flask,
    simulated_line: str,  # noqa: F811  (the imported fixture)
) -> None:
    base = simulated_line
    with browser_page(width=1366, height=768) as page:
        log_in(page, base, "duty-worker")
        page.goto(f"{base}/console")
        page.click('[data-set-state="available"]')
        caller, sid = call_in(base, "2")
        page.click("[data-accept]")
        page.wait_for_url("**/console/calls/*")
        until(lambda: caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()["bridged"])
        call_url = page.url
        measured: dict[tuple[str, int], Any] = {}
        for language in ("zh", "en"):
            page.goto(f"{base}/lang/{language}?next=/console")
            for width in (390, 1366):
                page.set_viewport_size({"width": width, "height": 844 if width == 390 else 768})
                page.goto(call_url)
                page.wait_for_load_state("load")
                measured[(language, width)] = page.evaluate(OVERFLOW)
            # One line each: the state's box is no taller than one line of its text.
            lines = page.evaluate(
                "() => [...document.querySelectorAll('.call-state')].map(e => Math.round("
                "e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight || 20)))"
            )
            assert lines and all(count <= 1 for count in lines), lines
        assert all(overflow <= 0 for overflow in measured.values()), measured
