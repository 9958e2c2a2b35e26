"""In Chromium on the simulated line: the wallboard's figures move as a call arrives and is answered, and the
supervisor listens in silently (a conference where the supervisor is muted)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from flask import Flask

from hotline.accounts import second_factor
from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.simulator.gateway import simulator_gateway
from tests.conftest import TEST_PASSWORD
from tests.console.conftest import real_socketio  # noqa: F401  (a fixture the line needs)
from tests.console.test_browser import ARGS, CHROMIUM, call_in, simulated_line  # noqa: F401  (the fixture)
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
PINNED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


def rostered_supervisor(app: Flask) -> str:
    """Put the duty worker and a new supervisor (with a second factor) on a shift now; return a recovery code."""
    with app.app_context():
        supervisor = User(
            username="wall-supervisor",
            display_name="李督导",
            password_hash=hash_password(TEST_PASSWORD),
            role="supervisor",
        )
        db.session.add(supervisor)
        db.session.commit()
        secret = pyotp.random_base32()
        code = second_factor.enrol(db.session, supervisor, secret, pyotp.TOTP(secret).now(), utcnow())[0]
        worker = db.session.query(User).filter_by(username="duty-worker").one()
        now = utcnow()
        shift = Shift(
            label="白班", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8), status="published"
        )
        shift.assignments.append(ShiftAssignment(duty="duty_worker", user_id=worker.id))
        shift.assignments.append(ShiftAssignment(duty="supervisor", user_id=supervisor.id))
        db.session.add(shift)
        db.session.commit()
        db.session.remove()
    return code


def log_in(page: Any, base: str, username: str, code: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', TEST_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_load_state("load")
    if code:
        page.fill('input[name="code"]', code)
        page.click('button[type="submit"]')
        page.wait_for_load_state("load")


def test_the_wallboard_moves_as_calls_arrive_and_a_supervisor_listens_in(
    app: Flask,
    simulated_line: str,  # noqa: F811  (the imported fixture)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = simulated_line
    with time_machine.travel(PINNED, tick=True):
        code = rostered_supervisor(app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            boss = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            duty = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            try:
                wall = boss.new_page()
                wall.set_default_timeout(20_000)
                log_in(wall, base, "wall-supervisor", code)
                wall.goto(f"{base}/wallboard")
                expect(wall.locator("#wall-connection")).to_have_text("已连接")
                expect(wall.locator('[data-figure="waiting"]')).to_have_text("0")
                expect(wall.locator('[data-figure="answered"]')).to_have_text("0")

                console = duty.new_page()
                console.set_default_timeout(20_000)
                log_in(console, base, "duty-worker")
                console.goto(f"{base}/console")
                expect(console.locator("#connection")).to_have_text("已连接")

                caller, sid = call_in(base, "2")
                expect(wall.locator('[data-figure="waiting"]')).to_have_text("1")
                expect(wall.locator("#wall-queue")).to_contain_text("情绪疏导")

                console.click('[data-set-state="available"]')
                console.click("[data-accept]")
                console.wait_for_url("**/console/calls/*")
                call_id = int(console.url.rstrip("/").split("/")[-1])
                until(lambda: caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()["bridged"])

                expect(wall.locator('[data-figure="answered"]')).to_have_text("1")
                expect(wall.locator('[data-figure="waiting"]')).to_have_text("0")
                expect(wall.locator("#wall-workers")).to_contain_text("通话中")
                wall.locator(f'[data-monitor="listen"][data-call="{call_id}"]').click()
                expect(wall.locator("#wall-monitor-status")).to_contain_text("接听后即加入通话")

                network = simulator_gateway(app).network

                def three_in_the_room() -> Any:
                    room = network.conferences.live(f"hotline-call-{call_id}")
                    return room if room is not None and len(room.participants) == 3 else None

                room = until(three_in_the_room, timeout=30)
                legs = {network.call(sid_).to: part for sid_, part in room.participants.items()}
                supervisor_legs = [part for to, part in legs.items() if to != "+862288880000" and part.muted]
                assert len(supervisor_legs) == 1  # the supervisor hears the call and is not heard
                assert sum(not part.muted for part in room.participants.values()) == 2  # caller and worker talk
            finally:
                boss.close()
                duty.close()
                browser.close()
