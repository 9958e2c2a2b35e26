"""In Chromium: a directory page's test SMS and test call lines change as the receipt and the call's status
come in, without a reload (the push, then the page's JSON)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from hotline.directory.models import Station
from hotline.gateway.media.simulated import CallerScript
from tests.conftest import user_builder
from tests.console.conftest import real_socketio  # noqa: F401  (a fixture the live pushes need)
from tests.sms.test_escalation import callback
from tests.support.browser import browser_page, log_in, needs_chromium
from tests.support.simulator import simulated_line

PHONE = "+8613900000001"


@needs_chromium
def test_the_test_sms_receipt_and_the_test_call_outcome_show_without_a_reload(
    app: Flask,
    committed: Any,
    live_server: Any,
    sms_config: Any,
    alibaba: Any,
    real_socketio: None,  # noqa: F811  (the imported fixture)
) -> None:
    from playwright.sync_api import expect

    sms_config(committed, "alibaba", alibaba)
    station = Station(name="甲街道站", tier="station", duty_contact_phone=PHONE)
    committed.add(station)
    committed.commit()
    manager = user_builder(committed)("manager")
    path = f"{live_server.url}/directory/stations/{station.id}"
    report_url = callback(live_server, committed, "alibaba", "report")
    committed.rollback()

    # The phone rings a while and the line plays slowly enough to watch the call move on the open page.
    with simulated_line(app, live_server.url, speed=4.0) as gateway, browser_page() as page:
        gateway.network.callees[PHONE] = CallerScript(ring_seconds=12, talk_seconds=600)
        log_in(page, live_server.url, manager.username)
        page.goto(path)
        with page.expect_navigation(wait_until="load"):
            page.click("#test-sms")
        sms_line = page.locator("#test-sms-state")
        expect(sms_line).to_contain_text("已发送，尚无回执")
        expect(page.locator('#entry-tests[data-live="1"]')).to_have_count(1)
        page.evaluate("window.stillThisPage = true")

        (message,) = alibaba.accepted
        assert alibaba.report(report_url, message["BizId"], phone="13900000001").json()["code"] == 0
        expect(sms_line).to_contain_text("已送达")
        assert page.evaluate("window.stillThisPage === true"), "the line changed without a reload"

        with page.expect_navigation(wait_until="load"):
            page.click("#test-call")
        call_line = page.locator("#test-call-state")
        expect(call_line).to_have_attribute("data-state", re.compile("calling|ringing"))
        expect(page.locator('#entry-tests[data-live="1"]')).to_have_count(1)
        page.evaluate("window.stillThisPage = true")
        expect(call_line).to_have_attribute("data-state", "in_progress", timeout=30_000)
        expect(call_line).to_contain_text("已接听，正在播放测试语音")
        expect(call_line).to_have_attribute("data-state", "answered", timeout=30_000)
        expect(call_line).to_contain_text("已接听，测试语音已播放")
        assert page.evaluate("window.stillThisPage === true"), "the line changed without a reload"
