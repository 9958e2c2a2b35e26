"""README's walk through the demo, in Chromium, at 03:00, 13:00 and on a Sunday (the clock pinned).

The demo is seeded as `./scripts/dev` seeds it (its history included) into the live
server's database at the pinned moment; then each step of the walk as README writes
it: log in as `worker01`, open the console, and when `worker01` is not on duty log
in as a worker the console names; set yourself available; call the hotline from
the simulator page in another window and press a menu key; the offer rings; accept
it, talk by text, bring the expert on duty in (their phone rings on the simulator
page and joins the conference), leave, hang the expert's phone up, fill the
intake with the caller's community and the outcome "escalate", send the escalation,
and reply `1 <code>` from the station's number on the simulator page: the console's
escalation list shows the acceptance. Then the manager's reports show the
demo's figures and the monthly report its rota fairness.

Step 4 has its own test: with nobody available, a caller waits in the queue past the
maximum wait (3 minutes, on the simulated line's fast clock), presses 1 and leaves a
message; a worker on duty opens the callback escalation under 转介升级 and its page
plays the message.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.demo import DEMO_PASSWORD, seed_demo
from hotline.escalation.models import Escalation, Referral
from hotline.extensions import db
from hotline.telephony.line_settings import load_line_settings
from hotline.telephony.models import Call
from hotline.telephony.simulator.gateway import simulator_gateway
from tests.console.conftest import real_socketio  # noqa: F401  (a fixture the line needs)
from tests.support.browser import chromium, log_in, needs_chromium
from tests.support.simulator import simulated_line
from tests.support.waiting import until

pytestmark = needs_chromium

MOMENTS = {
    "03:00 on a Wednesday": datetime(2026, 3, 10, 19, 0, tzinfo=UTC),
    "13:00 on a Tuesday": datetime(2026, 3, 10, 5, 0, tzinfo=UTC),
    "a Sunday morning": datetime(2026, 3, 15, 3, 0, tzinfo=UTC),
}


EXPERT_PHONES = "+86139000700"
"""The demo's expert volunteers' numbers start so (hotline.demo.demo_phone(7, n))."""


@pytest.fixture
def demo_line(app: Flask, live_server: Any, real_socketio: None) -> Any:  # noqa: F811  (the imported fixture)
    """The live server on the simulated line; the test seeds the demo at its moment."""
    with simulated_line(app, live_server.url):
        yield live_server.url


def walk_referral(app: Flask) -> Referral:
    """Return the walk's referral (the newest: the demo's history is older)."""
    with app.app_context():
        referral = db.session.scalar(select(Referral).order_by(Referral.id.desc()).limit(1))
        db.session.expunge_all()
        db.session.remove()
    return referral


def duty_worker_for(page: Any, base: str) -> str:
    """Follow step 1: log in as worker01 and open the console; return who to be (worker01 or a named one)."""
    log_in(page, base, "worker01", DEMO_PASSWORD)
    page.goto(f"{base}/console")
    notice = page.locator("#not-on-duty")
    if notice.count() == 0:
        return "worker01"
    names = re.findall(r"worker\d\d", notice.inner_text())
    assert names, "the console names the workers on duty by log-in name"
    return names[0]


@pytest.mark.parametrize("moment", list(MOMENTS.values()), ids=list(MOMENTS))
def test_the_readme_walk_works_at_any_hour(app: Flask, demo_line: str, moment: datetime) -> None:
    from playwright.sync_api import expect

    base = demo_line
    with time_machine.travel(moment, tick=True):
        with app.app_context():
            seed_demo(db.session, moment)
            db.session.remove()
        with chromium() as browser:
            worker = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            phone = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            boss = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            try:
                page = worker.new_page()
                page.set_default_timeout(30_000)
                username = duty_worker_for(page, base)
                if username != "worker01":
                    worker.clear_cookies()
                    log_in(page, base, username, DEMO_PASSWORD)
                    page.goto(f"{base}/console")
                expect(page.locator("#not-on-duty")).to_have_count(0)
                expect(page.locator("#connection")).to_have_text("已连接")
                page.click('[data-set-state="available"]')
                expect(page.locator("#my-state")).to_have_text("空闲")

                # Step 2: the simulator in another window, a menu key, the offer, accept, text, intake.
                simulator = phone.new_page()
                simulator.set_default_timeout(30_000)
                simulator.goto(f"{base}/simulator")
                simulator.click("#dial")
                expect(simulator.locator("#status")).to_contain_text("等待按键")
                simulator.click('#keypad [data-key="2"]')
                offer = page.locator("#offer")
                expect(offer).to_be_visible()
                page.click("[data-accept]")
                page.wait_for_url("**/console/calls/*")
                expect(simulator.locator("#status")).to_contain_text("正在与工作人员通话")
                page.fill("#chat-input", "您好，这里是社工热线，请讲。")
                page.click("#chat-form button")
                expect(simulator.locator("#conversation")).to_contain_text("这里是社工热线")
                simulator.fill("#say-text", "我母亲一个人住，最近情绪不好。")
                simulator.click("#say-form button")
                expect(page.locator("#chat-lines")).to_contain_text("我母亲一个人住")
                # Transfer to the expert on duty: their phone rings on the simulator page and joins the
                # conference; leave it from the console, hang the expert's phone up from the simulator page.
                page.click("#warm-expert")
                expect(page.locator(".flash.success")).to_be_visible()
                expert_phone = simulator.locator("#phones li", has_text=EXPERT_PHONES)
                expect(expert_phone).to_contain_text("在会议中")
                page.click('form:has(input[name="kind"][value="leave"]) button')
                expect(page.locator(".flash.success")).to_be_visible()
                expect(expert_phone).to_contain_text("在会议中")  # the caller and the expert talk on
                expert_phone.locator("button", has_text="挂断").click()
                expect(expert_phone.locator("button", has_text="挂断")).to_have_count(0)
                page.check('input[name="services"][value="emotional"]')
                page.check('input[name="target_groups"][value="elderly_alone"]')
                page.check('input[name="risk"][value="low"]')
                page.fill('textarea[name="summary"]', "来电人母亲独居，情绪低落，希望有人探访。")
                for level in ("district", "street", "community"):  # the caller's community
                    page.select_option(f"#area-{level}", index=1)
                # Step 3: the outcome "escalate", the escalation form, the station's SMS and its reply.
                page.check('input[name="outcome"][value="escalate"]')
                page.click("#save-intake")
                expect(page.locator(".flash.success")).to_contain_text("登记已保存为个案")
                dialog = page.locator("#escalation-dialog")  # the escalation form, on the call page
                dialog.locator('select[name="reason"]').select_option("home_visit")
                dialog.locator('textarea[name="note"]').fill("请站点社工上门探访独居老人。")
                dialog.locator('button[type="submit"]').first.click()
                sms = simulator.locator("#outbound li", has_text="回复")
                expect(sms.first).to_be_visible()
                found = re.search(r"→ (\+\d+)[:：] ?.*回复\D*1 ?([A-Za-z0-9]+)", sms.first.inner_text())
                assert found, sms.first.inner_text()
                simulator.fill("#sms-from", found.group(1))
                simulator.fill("#sms-body", f"1 {found.group(2)}")
                simulator.click("#sms-form button")
                expect(simulator.locator("#sms-replies")).not_to_be_empty()
                until(lambda: walk_referral(app).acknowledged_at is not None)
                page.goto(f"{base}/escalation/{walk_referral(app).escalation_id}")
                expect(page.locator("main")).to_contain_text("已接受")

                # Step 5: the manager's reports and monthly report show the demo's figures.
                reports = boss.new_page()
                reports.set_default_timeout(30_000)
                log_in(reports, base, "manager", DEMO_PASSWORD)
                reports.click('header a[href="/reports"]')
                expect(reports.locator(".figures-table tfoot")).to_be_visible()
                assert reports.locator("svg").count() >= 2
                reports.goto(f"{base}/reports/monthly")
                expect(reports.locator("body")).to_contain_text("排班公平性")
                expect(reports.locator("body")).not_to_contain_text("该时间段内没有数据")
            finally:
                for context in (worker, phone, boss):
                    context.close()


def voicemail_escalation(app: Flask, since: datetime) -> int | None:
    """Return the callback escalation of a call with a voicemail recorded since `since`, if there is one yet."""
    with app.app_context():
        found = db.session.scalar(
            select(Escalation.id)
            .join(Call, Call.id == Escalation.call_id)
            .where(Call.recording_url.is_not(None), Call.created_at >= since)
            .order_by(Escalation.id.desc())
            .limit(1)
        )
        db.session.remove()
    return found


def test_the_readme_walk_step_4_a_message_left_after_the_maximum_wait_plays_to_a_worker(
    app: Flask, demo_line: str
) -> None:
    from playwright.sync_api import expect

    base, moment = demo_line, MOMENTS["13:00 on a Tuesday"]
    with time_machine.travel(moment, tick=True):
        with app.app_context():
            seed_demo(db.session, moment)
            assert load_line_settings(db.session).max_wait_seconds == 180  # README's "3 minutes"
            db.session.remove()
        with chromium() as browser:
            phone = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            worker = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            try:
                # Nobody has set themselves available: the caller waits past the maximum wait.
                simulator = phone.new_page()
                simulator.set_default_timeout(60_000)
                simulator.goto(f"{base}/simulator")
                simulator.click("#dial")
                expect(simulator.locator("#status")).to_contain_text("等待按键")
                simulator.click('#keypad [data-key="2"]')
                expect(simulator.locator("#status")).to_contain_text("排队")
                # The 3 minutes pass on the line's fast clock; the clock then runs at the speed of a real
                # call, so the options' 6 s for a key are 6 s for the browser too, however loaded the machine.
                network = simulator_gateway(app).network

                def line_clock() -> float:
                    with network.lock:  # the clock is kept by the line's thread
                        return network.now

                queued_at = line_clock()
                until(lambda: line_clock() - queued_at >= 165, timeout=120)
                with network.lock:
                    network.realtime = 1.0
                expect(simulator.locator("#transcript")).to_contain_text("留言请按1", timeout=120_000)
                expect(simulator.locator("#status")).to_contain_text("等待按键")
                simulator.click('#keypad [data-key="1"]')
                expect(simulator.locator("#transcript")).to_contain_text("录音", timeout=30_000)
                simulator.fill("#say-text", "我想咨询低保的申请，请给我回电话。")
                simulator.click("#say-form button")
                simulator.click('#keypad [data-key="#"]')
                until(lambda: voicemail_escalation(app, moment) is not None, timeout=60)

                # A worker on duty opens 转介升级 and the callback's page, which plays the message.
                page = worker.new_page()
                page.set_default_timeout(30_000)
                username = duty_worker_for(page, base)
                if username != "worker01":
                    worker.clear_cookies()
                    log_in(page, base, username, DEMO_PASSWORD)
                page.goto(f"{base}/escalation/")
                expect(page.locator("h1")).to_be_visible()
                page.goto(f"{base}/escalation/{voicemail_escalation(app, moment)}")
                player = page.locator(".voicemail audio")
                expect(player).to_be_visible()
                media = page.request.get(base + player.get_attribute("src"))
                assert media.status == 200 and media.headers["content-type"].startswith("audio/")
            finally:
                for context in (phone, worker):
                    context.close()
