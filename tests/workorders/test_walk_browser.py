"""The work-order loop in Chromium on a 390 px phone screen, the clock pinned, against a live server.

A worker escalates a case in 东里社区; the community room's member signs for the order on the phone
page and returns it once; the supervisor re-dispatches it to the street station the board suggests;
the street station's member signs, attaches a photo and submits the result; the worker makes the
return call from the callback queue and rates it; the case closes; the monthly figures show it.
"""

from __future__ import annotations

import base64
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.callbacks.models import CallbackTask
from hotline.cases.models import Case
from hotline.db import immediate_transactions
from hotline.extensions import db
from hotline.workorders import jobs
from hotline.workorders.models import WorkOrder
from hotline.workorders.services import set_membership
from tests.conftest import user_builder
from tests.support.browser import browser_page, log_in, needs_chromium
from tests.workorders.conftest import NOW, make_case

PHONE = {"width": 390, "height": 844}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def scheduler_tick(app: Flask) -> None:
    """Run the scheduler's work-order job once, as its 5-second interval would (its transactions IMMEDIATE)."""
    with app.app_context(), immediate_transactions():
        jobs.tick()
        db.session.remove()


def the_order(app: Flask) -> WorkOrder:
    """Return the walk's one order, read afresh."""
    with app.app_context():
        order = db.session.scalars(select(WorkOrder)).one()
        db.session.expunge(order)
        db.session.remove()
        return order


@needs_chromium
def test_the_whole_loop_on_a_phone_screen(app: Flask, committed: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    network = committed.network
    with app.app_context():
        room_member = user_builder(db.session)("station", certified=False, username="room-member")
        set_membership(db.session, room_member.id, station_id=network.room.id, organisation_id=None)
        case = make_case(db.session, network.community, consent=True, assigned_to_id=network.worker.id)
        case.consent_callback = True
        db.session.commit()
        case_id, case_reference = case.id, case.reference
        usernames = {
            "worker": network.worker.username,
            "supervisor": network.supervisor.username,
            "street": committed.members["station"].username,
        }
        db.session.remove()

    with time_machine.travel(NOW, tick=True), browser_page(width=PHONE["width"], height=PHONE["height"]) as page:
        context = page.context

        def as_user(username: str) -> None:
            context.clear_cookies()
            log_in(page, base, username)

        # The worker escalates the case.
        as_user(usernames["worker"])
        page.goto(f"{base}/escalation/new?case_id={case_id}")
        page.select_option('select[name="reason"]', "home_visit")
        page.select_option('select[name="urgency"]', "urgent")
        page.fill('textarea[name="note"]', "请上门看望独居老人")
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".flash.success")).to_be_visible()
        scheduler_tick(app)
        order = the_order(app)
        assert order.station_id == network.room.id

        # The community room signs for it on the phone page, then returns it.
        as_user("room-member")
        page.goto(f"{base}/orders/")
        page.locator(f'li[data-order="{order.reference}"] a').click()
        page.click("#sign")
        expect(page.locator("#order-state")).to_have_text("已签收")
        page.locator("summary", has_text="退单").click()
        page.fill('textarea[name="return-reason"]', "老人住在甲街道西侧，不属本社区")
        page.click("#return")
        expect(page.locator("#order-state")).to_have_text("已退单")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The supervisor re-dispatches it to the suggested street station.
        as_user(usernames["supervisor"])
        page.goto(f"{base}/orders/board")
        row = page.locator(f'#returned ~ table tr[data-order="{order.reference}"]')
        expect(row).to_contain_text("老人住在甲街道西侧")
        expect(row.locator("select option:checked")).to_have_text(network.station.name)
        row.get_by_role("button", name="改派").click()
        expect(page.locator(".flash").first).to_contain_text(network.station.name)

        # The street station signs, attaches a photo and submits the result.
        as_user(usernames["street"])
        page.goto(f"{base}/orders/")
        page.locator(f'li[data-order="{order.reference}"] a').click()
        page.click("#sign")
        expect(page.locator("#order-state")).to_have_text("已签收")
        page.locator("summary", has_text="照片").click()
        page.set_input_files(
            'input[name="attach-file"]', files=[{"name": "visit.png", "mimeType": "image/png", "buffer": PNG}]
        )
        page.locator("form[enctype] button[type=submit]").click()
        expect(page.locator("#order-state")).to_have_text("处理中")
        expect(page.get_by_role("link", name="visit.png")).to_be_visible()
        page.locator("summary", has_text="办理结果").click()
        page.fill('textarea[name="result-result"]', "已上门探访，联系了社区医生定期上门")
        page.get_by_role("button", name="提交结果").click()
        expect(page.locator("#order-state")).to_have_text("待回访")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The worker makes the return call from the callback queue and rates it.
        as_user(usernames["worker"])
        with app.app_context():
            task_id = db.session.scalars(select(CallbackTask.id).where(CallbackTask.kind == "return-call")).one()
            db.session.remove()
        page.goto(f"{base}/callbacks/{task_id}")
        page.click("#work-order-verdict")
        page.check('input[name="reached"][value="yes"]')
        page.check('input[name="resolved"][value="yes"]')
        page.fill('input[name="satisfaction"]', "5")
        page.get_by_role("button", name="记录回访").click()
        expect(page.locator("#order-state")).to_have_text("已结案")

        # The case closes.
        page.goto(f"{base}/cases/{case_id}")
        page.select_option('select[name="confirmed_outcome"]', "solved")
        page.get_by_role("button", name="确认结果并结案").click()
        expect(page.locator(".flash.success")).to_contain_text("已结案")

        # The station figures show it.
        as_user(usernames["supervisor"])
        page.goto(f"{base}/orders/figures?month=2026-03")
        street = page.locator(f'tr[data-unit="station:{network.station.id}"] td')
        expect(street.nth(1)).to_have_text("1")  # received
        expect(street.nth(3)).to_contain_text("(1/1)")  # completed on time
        expect(street.nth(6)).to_have_text("5.0 (1)")  # satisfaction of the return call
        room = page.locator(f'tr[data-unit="station:{network.room.id}"] td')
        expect(room.nth(1)).to_have_text("1")
        expect(room.nth(4)).to_contain_text("(1)")  # returned once

    with app.app_context():
        order = db.session.get(WorkOrder, order.id)
        assert order.state == "closed" and order.resolved is True and order.satisfaction == 5
        assert order.station_id == network.station.id and len(order.attachments) == 1
        assert db.session.get(Case, case_id).status == "closed", case_reference
        db.session.remove()
