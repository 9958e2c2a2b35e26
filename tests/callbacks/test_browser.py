"""In Chromium on the simulated line: a caller hangs up in the queue, the callback shows in the queue, a
worker takes it, sees the number, dials (their softphone first, then the caller from the hotline's
number), records that the caller was reached, and the task closes."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.callbacks.models import CallbackTask
from hotline.extensions import db
from hotline.telephony.simulator.gateway import simulator_gateway
from tests.console.conftest import real_socketio  # noqa: F401  (a fixture the line needs)
from tests.console.test_browser import ARGS, CHROMIUM, call_in, simulated_line  # noqa: F401  (the fixture)
from tests.support.browser import log_in
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
PINNED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
CALLER = "+8613812345678"


def caller_leg(network: Any) -> Any:
    """Return the <Dial> leg that rings the caller back, once the caller has answered it."""
    with network.lock:
        legs = [c for c in network.calls.values() if c.direction == "outbound-dial" and c.to == CALLER]
    return next((leg for leg in legs if leg.answered_at is not None and leg.is_live), None)


def test_a_missed_call_becomes_a_callback_that_a_worker_dials_and_closes(
    app: Flask,
    simulated_line: str,  # noqa: F811  (the imported fixture)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = simulated_line
    with time_machine.travel(PINNED, tick=True):
        caller, sid = call_in(base, "2")
        caller.post(f"{base}/simulator/calls/{sid}/hangup", timeout=10)  # nobody was free: the caller gives up

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.set_default_timeout(20_000)
            try:
                log_in(page, base, "duty-worker")
                page.goto(f"{base}/callbacks")
                row = page.locator("#callback-queue tbody tr").first
                expect(row).to_contain_text("138****5678")
                expect(row).to_contain_text("排队中挂断")
                row.get_by_role("link", name="打开").click()

                page.click("#take-callback")
                expect(page.locator(".flash.success")).to_contain_text("这项回电由您负责")
                page.click("#show-number")
                expect(page.locator("#callback-number")).to_have_text(CALLER)
                page.click("#dial-callback")
                expect(page.locator(".flash.success")).to_contain_text("您的电话会先响起")

                network = simulator_gateway(app).network
                leg = until(lambda: caller_leg(network), timeout=30)
                assert leg.from_ == app.config["TWILIO_NUMBER"]  # the caller sees the hotline's number
                parent = network.calls[leg.parent_sid]
                assert parent.to.startswith("client:worker_")  # the worker's softphone was rung first
                network.hang_up(leg.sid)  # the caller hangs up after talking

                expect(page.locator("#dial-status")).to_contain_text("已联系上")
                expect(page.locator('input[name="outcome"][value="reached"]')).to_be_checked()
                page.fill('textarea[name="note"]', "已回电，来电者情绪平稳。")
                page.click("#save-outcome")
                page.wait_for_url("**/callbacks")
                expect(page.locator(".flash.success")).to_contain_text("回电已结束")
                expect(page.locator('[data-figure="reached"]')).to_have_text("1")
                expect(page.locator('[data-figure="within-deadline"]')).to_have_text("1")
            finally:
                context.close()
                browser.close()

    with app.app_context():
        task = db.session.query(CallbackTask).one()
        assert task.kind == "abandoned" and task.status == "closed" and task.outcome == "reached"
        assert task.attempts[0].dial_status == "completed" and task.attempts[0].outcome == "reached"
        db.session.remove()
