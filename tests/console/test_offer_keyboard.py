"""In Chromium: an offer nobody misses. The title flashes and a badge counts while it rings, focus is on
Accept, the offer says "repeat caller" with the last contact's risk, and Enter accepts it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from tests.console.test_browser import ARGS, CHROMIUM, call_in, simulated_line  # noqa: F401  (the fixture)
from tests.support.browser import log_in
from tests.support.factories import make_call, make_case

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
PINNED = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # Tuesday 14:00 in Shanghai


def earlier_contact_on_duty(app: Flask) -> None:
    """The caller called twice before; the last case was high risk. The duty worker is on a shift now."""
    with app.app_context():
        case = make_case(db.session, risk="high")
        make_call(db.session, status="completed", case_id=case.id, created_at=utcnow() - timedelta(days=3))
        make_call(db.session, status="completed", created_at=utcnow() - timedelta(days=1))
        worker = db.session.query(User).filter_by(username="duty-worker").one()
        now = utcnow()
        shift = Shift(
            label="白班", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8), status="published"
        )
        shift.assignments.append(ShiftAssignment(duty="duty_worker", user_id=worker.id))
        db.session.add(shift)
        db.session.commit()
        db.session.remove()


def test_an_offer_flashes_the_title_and_is_accepted_with_enter(
    app: Flask,
    simulated_line: str,  # noqa: F811  (the imported fixture)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = simulated_line
    with time_machine.travel(PINNED, tick=True):
        earlier_contact_on_duty(app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.set_default_timeout(20_000)
            try:
                log_in(page, base, "duty-worker")
                page.goto(f"{base}/console")
                expect(page.locator("#connection")).to_have_text("已连接")
                title = page.title()
                page.click('[data-set-state="available"]')
                expect(page.locator("#my-state")).to_have_text("空闲")

                call_in(base, "2")
                offer = page.locator("#offer")
                expect(offer).to_be_visible()
                expect(page.locator("#offer-history")).to_contain_text("2")
                expect(page.locator("#offer-history")).to_contain_text("高")
                expect(page.locator("#offer-badge")).to_have_text("1")
                expect(offer.locator("[data-accept]")).to_be_focused()
                page.wait_for_function("t => document.title.startsWith('(1)') && document.title !== t", arg=title)
                page.wait_for_function("() => document.title.includes('来电')")
                page.wait_for_function("() => !document.title.includes('来电')")  # it flashes

                page.keyboard.press("Enter")
                page.wait_for_url("**/console/calls/*")
                assert page.title() == page.title().lstrip("(1) ")
            finally:
                context.close()
                browser.close()
