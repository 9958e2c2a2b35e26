"""In Chromium on the simulated line: the wallboard's figures move as calls arrive and one is answered (waiting
count, longest wait, answered), and the supervisor listens in silently (muted in the call's conference), then
coaches (heard by the worker only) and barges in: each join checked in the gateway's conference state and
through its REST API."""

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
from hotline.telephony.twilio_http import build_client
from tests.conftest import TEST_PASSWORD
from tests.console.conftest import real_socketio  # noqa: F401  (a fixture the line needs)
from tests.console.test_browser import ARGS, CHROMIUM, call_in, simulated_line  # noqa: F401  (the fixture)
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
PINNED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
HOTLINE = "+862288880000"


def network_url(app: Flask) -> str:
    """Return the REST address of the simulator gateway the app's line talks to."""
    return simulator_gateway(app).rest_url


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
                longest = wall.locator('[data-figure="waiting"] ~ p .timer')
                first_since = longest.get_attribute("data-since")
                shown = longest.inner_text()
                expect(longest).not_to_have_text(shown)  # the longest wait counts up live
                _second_caller, _second_sid = call_in(base, "1", number="+8613912345678")
                expect(wall.locator('[data-figure="waiting"]')).to_have_text("2")
                assert longest.get_attribute("data-since") == first_since  # still the first caller's wait

                console.click('[data-set-state="available"]')
                console.click("[data-accept]")
                console.wait_for_url("**/console/calls/*")
                call_id = int(console.url.rstrip("/").split("/")[-1])
                until(lambda: caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()["bridged"])

                expect(wall.locator('[data-figure="answered"]')).to_have_text("1")
                expect(wall.locator('[data-figure="waiting"]')).to_have_text("1")
                expect(longest).not_to_have_attribute("data-since", first_since)  # now the second caller's
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
                worker_leg = next(
                    leg for leg, part in room.participants.items() if not part.muted and network.call(leg).to != HOTLINE
                )

                def joined_after(count: int) -> Any:
                    def newest() -> Any:
                        room = network.conferences.live(f"hotline-call-{call_id}")
                        return room if room is not None and len(room.participants) == count else None

                    return list(until(newest, timeout=30).participants.items())[-1]

                wall.locator(f'[data-monitor="coach"][data-call="{call_id}"]').click()
                coach_sid, coach = joined_after(4)
                assert coach.coach == worker_leg and not coach.muted  # only the worker hears the supervisor
                wall.locator(f'[data-monitor="barge"][data-call="{call_id}"]').click()
                barge_sid, barge = joined_after(5)
                assert barge.coach is None and not barge.muted  # everyone hears the supervisor
                rest = build_client(
                    app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"], api_base_url=network_url(app)
                )
                listed = {part.call_sid: part for part in rest.conferences(room.sid).participants.list()}
                assert listed[coach_sid].coaching and listed[coach_sid].call_sid_to_coach == worker_leg
                assert not listed[barge_sid].coaching and not listed[barge_sid].muted
                assert sum(part.muted for part in listed.values()) == 1  # the listener
            finally:
                boss.close()
                duty.close()
                browser.close()
