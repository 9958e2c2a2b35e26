"""Dispatch to a volunteer in Chromium: the supervisor picks the volunteer, the volunteer works the link on a phone.

The supervisor dispatches a case in 东里社区 from the dispatch page to a volunteer of the
register; the SMS carries the signed single-use link; on a 390 px screen, without an account,
the volunteer signs for the order and submits the result; the order waits for the return call.
"""

from __future__ import annotations

import re
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.directory.models import Volunteer
from hotline.extensions import db
from hotline.workorders.models import WorkOrder
from tests.support.browser import browser_page, log_in, needs_chromium
from tests.workorders.conftest import NOW, make_case

PHONE = {"width": 390, "height": 844}


@needs_chromium
def test_a_volunteer_signs_for_and_handles_an_order_by_the_link(
    app: Flask, committed: Any, live_server: Any, provider: Any
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    network = committed.network
    with app.app_context():
        volunteer = Volunteer(name="李志愿", phone="+8613900003333", skills=["errands"], areas=[network.street])
        db.session.add(volunteer)
        case = make_case(db.session, network.community, consent=True, assigned_to_id=network.worker.id)
        case.consent_callback = True  # the hotline may call the caller back about the result
        db.session.commit()
        volunteer_id, reference = volunteer.id, case.reference
        db.session.remove()

    with time_machine.travel(NOW, tick=True), browser_page(width=PHONE["width"], height=PHONE["height"]) as page:
        log_in(page, base, network.supervisor.username)
        page.goto(f"{base}/orders/dispatch?case={reference}")
        page.select_option('select[name="unit"]', f"volunteer:{volunteer_id}")
        page.select_option('select[name="urgency"]', "normal")
        page.select_option('select[name="reason"]', "home_visit")
        page.fill('textarea[name="request"]', "帮独居老人买药送上门")
        page.get_by_role("button", name="派单").click()
        expect(page.locator(".flash").first).to_contain_text("李志愿")
        link = page.locator("#volunteer-link").input_value()

        sms = next(m for m in provider.messages if m["to"] == "+8613900003333")
        path = re.search(r"/r/[^/\s]+/order", link).group(0)
        assert link in sms["body"]

        page.context.clear_cookies()  # the volunteer has no account: the link alone opens the order
        page.goto(f"{base}{path}")
        expect(page.locator("main")).to_contain_text("帮独居老人买药送上门")
        page.click("#sign")
        expect(page.locator("#order-state")).to_have_text("已签收")
        page.locator("summary", has_text="办理结果").click()
        page.fill('textarea[name="result-result"]', "已买药送到老人家中")
        page.get_by_role("button", name="提交结果").click()
        expect(page.locator("#order-state")).to_have_text("待回访")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    with app.app_context():
        order = db.session.scalars(select(WorkOrder)).one()
        assert order.volunteer_id == volunteer_id and order.state == "return_call"
        assert order.result == "已买药送到老人家中" and order.signed_on_time is True
        db.session.remove()
