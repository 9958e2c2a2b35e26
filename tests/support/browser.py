"""Chromium for the browser tests: the system's binary, one set of flags, one log-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Chromium is not installed (apt-get install chromium)"
)


def fake_media_args(wav: str) -> list[str]:
    """Flags for a microphone that is `wav` (allowed without asking) and sound played without a gesture."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]


@contextmanager
def chromium(extra_args: list[str] | None = None) -> Iterator[Any]:
    """Start the system's Chromium under Playwright; yield the browser, closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + (extra_args or []))
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(
    locale: str = "zh-CN",
    width: int = 1440,
    height: int = 1000,
    timeout_ms: int = 20_000,
    extra_args: list[str] | None = None,
) -> Iterator[Any]:
    """Yield a new page in a fresh Chromium context of this locale and viewport (`extra_args`: more flags)."""
    with chromium(extra_args) as browser:
        page = browser.new_context(locale=locale, viewport={"width": width, "height": height}).new_page()
        page.set_default_timeout(timeout_ms)
        yield page


def log_in(page: Any, base_url: str, username: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the log-in form and wait for the page it leads to."""
    page.goto(f"{base_url}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    # Wait for the form's own navigation: a page already loaded satisfies wait_for_load_state at once,
    # and a goto that follows too soon cancels the log-in's answer (and its session cookie) on a slow machine.
    with page.expect_navigation(wait_until="load"):
        page.click('button[type="submit"]')


@contextmanager
def browser_pages(*extra_args: list[str], locale: str = "zh-CN", timeout_ms: int = 20_000) -> Iterator[list[Any]]:
    """Yield one page for each set of flags, each in its own Chromium (a fake microphone is per browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browsers = []
        try:
            pages = []
            for flags in extra_args:
                browsers.append(playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + flags))
                page = browsers[-1].new_context(locale=locale, viewport={"width": 1440, "height": 1000}).new_page()
                page.set_default_timeout(timeout_ms)
                pages.append(page)
            yield pages
        finally:
            for browser in browsers:
                browser.close()
