"""The console in Chromium: a worker goes available, a simulated call arrives, the worker accepts,
fills the intake (a mistake shown, then corrected), reloads mid-way, finds the draft, and saves."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from hotline.accounts.models import Certification, User
from hotline.accounts.services import hash_password
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from hotline.settings import Setting
from tests.conftest import TEST_PASSWORD
from tests.support.waiting import until

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("HOTLINE_SCREENSHOTS")
"""Set to a folder (docs/img) to keep the screenshots the guide uses."""

pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture
def simulated_line(app: Flask, live_server: Any, real_socketio: None) -> Iterator[str]:
    """The simulated phone line calling the live server, the line open all day, a worker on duty now."""
    from tests.support.simulator import simulated_line as line

    with line(app, live_server.url):
        with app.app_context():
            days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            hours = {"weekly": {day: [["00:00", "24:00"]] for day in days}, "open_on_holidays": True}
            db.session.add(Setting(key="telephony.hours", value=hours))
            worker = User(
                username="duty-worker",
                display_name="王芳",
                password_hash=hash_password(TEST_PASSWORD),
                role="worker",
                skills=["psychology"],
            )
            now = utcnow()
            worker.certifications.append(
                Certification(
                    level="intermediate",
                    number="S001",
                    issuing_body="民政局",
                    valid_until=(now + timedelta(days=365)).date(),
                )
            )
            db.session.add(worker)
            db.session.flush()
            shift = Shift(
                label="白班", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8), status="published"
            )
            shift.assignments.append(ShiftAssignment(duty="duty_worker", user_id=worker.id))
            db.session.add(shift)
            db.session.commit()
            db.session.remove()
        yield live_server.url


def call_in(base_url: str, digits: str, number: str = "+8613812345678") -> tuple[requests.Session, str]:
    """Dial the hotline from the simulator, choose from the menu, and wait in the queue."""
    caller = requests.Session()
    page = caller.get(f"{base_url}/simulator", timeout=10).text
    caller.headers["X-CSRFToken"] = page.split('name="csrf-token" content="')[1].split('"')[0]
    sid = caller.post(f"{base_url}/simulator/calls", data={"from": number}, timeout=10).json()["call_sid"]
    state_url = f"{base_url}/simulator/calls/{sid}"
    until(lambda: caller.get(state_url, timeout=10).json().get("waiting_for_keys"))
    caller.post(f"{state_url}/press", data={"digits": digits}, timeout=10)
    # The menu's answer can take a while on a loaded machine: the caller is in the queue only once it came.
    until(lambda: caller.get(state_url, timeout=10).json().get("in_queue"))
    return caller, sid


def shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_worker_answers_a_simulated_call_and_saves_the_intake(app: Flask, simulated_line: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = simulated_line
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            page.goto(f"{base}/login")
            page.fill('input[name="username"]', "duty-worker")
            page.fill('input[name="password"]', TEST_PASSWORD)
            page.click('button[type="submit"]')
            page.goto(f"{base}/console")
            expect(page.locator("#connection")).to_have_text("已连接")
            page.click('[data-set-state="available"]')
            expect(page.locator("#my-state")).to_have_text("空闲")
            shot(page, "console-available")

            caller, sid = call_in(base, "2")
            offer = page.locator("#offer")
            expect(offer).to_be_visible()
            expect(offer).to_contain_text("138****5678")
            shot(page, "console-offer")
            page.click("[data-accept]")
            page.wait_for_url("**/console/calls/*")
            call_id = int(page.url.rstrip("/").split("/")[-1])
            until(lambda: caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()["bridged"])

            page.fill("#chat-input", "您好,这里是社工热线,请讲。")
            page.click("#chat-form button")
            expect(page.locator("#chat-lines")).to_contain_text("您好,这里是社工热线")

            page.fill('input[name="caller_phone"]', "12ab")
            page.check('input[name="consent_callback"]')
            page.select_option('select[name="gender"]', "female")
            page.select_option('select[name="age_group"]', "60_79")
            page.check('input[name="services"][value="emotional"]')
            page.check('input[name="target_groups"][value="elderly_alone"]')
            page.check('input[name="risk"][value="low"]')
            page.fill('textarea[name="summary"]', "独居老人,老伴去世后情绪低落,希望社区有人上门探访。")
            page.fill('textarea[name="actions_taken"]', "倾听、情绪疏导,介绍社区探访服务。")
            page.check('input[name="outcome"][value="resolved"]')
            page.click("#save-intake")
            phone_field = page.locator(".field.has-error", has=page.locator('input[name="caller_phone"]'))
            expect(phone_field.locator(".error")).to_be_visible()
            shot(page, "console-intake-error")

            # The form came back in a new page: typing counts once its script listens (it marks the form ready).
            expect(page.locator("#intake-form")).to_have_attribute("data-ready", "1")
            page.fill('input[name="caller_phone"]', "13812345678")
            expect(page.locator("#draft-status")).to_contain_text("草稿已保存")
            page.reload()
            expect(page.locator('input[name="caller_phone"]')).to_have_value("13812345678")
            expect(page.locator('textarea[name="summary"]')).to_have_value(
                "独居老人,老伴去世后情绪低落,希望社区有人上门探访。"
            )
            expect(page.locator('input[name="services"][value="emotional"]')).to_be_checked()
            expect(page.locator('input[name="outcome"][value="resolved"]')).to_be_checked()
            expect(page.locator(".field.has-error")).to_have_count(0)
            shot(page, "console-current-call")

            page.click("#save-intake")
            page.wait_for_url("**/console")
            expect(page.locator(".flash.success")).to_contain_text("登记已保存为个案")
            shot(page, "console-board")
        finally:
            context.close()
            browser.close()

    from hotline.cases.models import Case
    from hotline.telephony.models import Call

    with app.app_context():
        call = db.session.get(Call, call_id)
        case = db.session.get(Case, call.case_id)
        assert case is not None and case.caller_phone == "+8613812345678"
        assert case.services == ["emotional"] and case.outcome == "resolved" and call.worker_id is not None
        db.session.remove()
