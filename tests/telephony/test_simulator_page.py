"""The simulator page in Chromium: a phone the app calls shows up, takes keys, and hangs up with its button."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask

from tests.support.simulator import simulated_line

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
EXPERT_PHONE = "+8613700000009"
NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai

pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason="Chromium is not installed (apt-get install chromium)"
)


def test_a_phone_the_app_calls_answers_on_the_page_and_hangs_up_with_its_button(app: Flask, live_server: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    # In service hours, at real speed: the menu asks for a key for several seconds.
    with (
        time_machine.travel(NOON, tick=True),
        simulated_line(app, live_server.url, speed=1.0) as gateway,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        page.set_default_timeout(20_000)
        try:
            page.goto(f"{live_server.url}/simulator")
            with app.app_context():
                # As the console does for a warm transfer: call a phone over REST, to TwiML that asks for a key.
                url = f"{live_server.url}/twilio/voice/incoming"
                sid = app.extensions["hotline_telephony"].place_call(EXPERT_PHONE, url)
            phone = page.locator("#phones li", has_text=EXPERT_PHONE)
            expect(phone).to_contain_text("通话中")
            # After the greeting the menu asks for a key: the phone can press one.
            expect(phone.locator("input")).to_be_visible(timeout=40_000)
            phone.get_by_role("button", name="挂断").click()
            expect(phone).to_contain_text("已结束")
            assert gateway.network.call(sid).hung_up_by == "caller"
        finally:
            browser.close()
