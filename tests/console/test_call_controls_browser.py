"""The call page in Chromium on the simulated line: the call timer survives a reload; hold and mute with
the keyboard (not while typing, unless with Alt) act on the call's conference and the page lists who is on
the line; the escalation form opens in a dialog on the call page, keeps what was typed, shows its errors."""

from __future__ import annotations

import re
import shutil

import pytest
from flask import Flask

from tests.console.test_browser import CHROMIUM, call_in, simulated_line  # noqa: F401  (the fixture)
from tests.support.browser import browser_page, log_in
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")


def test_hold_mute_and_escalation_from_the_keyboard_without_leaving_the_call_page(
    app: Flask,
    simulated_line: str,  # noqa: F811  (the imported fixture)
) -> None:
    from playwright.sync_api import expect

    from hotline.telephony.simulator.gateway import simulator_gateway

    base = simulated_line
    with browser_page(width=1366, height=768) as page:
        log_in(page, base, "duty-worker")
        page.goto(f"{base}/console")
        expect(page.locator("#connection")).to_have_text("已连接")
        page.click('[data-set-state="available"]')
        caller, sid = call_in(base, "2")
        page.click("[data-accept]")
        page.wait_for_url("**/console/calls/*")
        until(lambda: caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()["bridged"])
        call_url = page.url

        # The timer counts from the answer, and a reload keeps counting from the same moment.
        timer = page.locator("#call-timer")
        expect(timer).to_have_text(re.compile(r"^\d+:\d\d$"))
        answered = timer.get_attribute("data-since")
        page.reload()
        expect(page.locator("#call-timer")).to_have_attribute("data-since", answered)
        expect(page.locator("#call-shortcuts")).to_contain_text("保持")
        expect(page.locator("#hold-call")).to_have_attribute("aria-keyshortcuts", "H Alt+H")

        # Typing "h" in the summary types; Alt+H from the same field holds the caller.
        summary = page.locator('textarea[name="summary"]')
        summary.click()
        page.keyboard.type("h")
        expect(summary).to_have_value("h")
        expect(page.locator("#hold-call")).to_have_attribute("aria-pressed", "false")
        page.keyboard.press("Alt+KeyH")
        expect(page.locator("#hold-call")).to_have_attribute("aria-pressed", "true")
        expect(summary).to_have_value("h")
        network = simulator_gateway(app).network
        room = until(lambda: network.conferences.of_call(sid))
        until(lambda: sid in room.participants and room.participants[sid].hold)
        legs = page.locator("#line-legs")
        expect(legs.locator('[data-role="caller"]')).to_contain_text("保持中")
        expect(legs.locator('[data-role="worker"]')).to_contain_text("王芳")

        # Outside a field the plain keys act: M mutes the worker's leg, H takes the caller off hold.
        page.locator("h1").click()
        page.keyboard.press("m")
        expect(page.locator("#mute-call")).to_have_attribute("aria-pressed", "true")
        # The worker's leg rejoins the conference once more when the call first moves into it.
        worker_sid = until(lambda: next((s for s in room.participants if s != sid), None))
        until(lambda: room.participants[worker_sid].muted)
        page.keyboard.press("h")
        expect(page.locator("#hold-call")).to_have_attribute("aria-pressed", "false")
        until(lambda: not room.participants[sid].hold)
        expect(legs.locator('[data-role="caller"]')).not_to_contain_text("保持中")

        # Save an intake whose outcome is Escalate: the form opens in a dialog on the call page.
        summary.fill("来电人希望转介社区上门探访。")
        page.check('input[name="services"][value="emotional"]')
        page.check('input[name="risk"][value="low"]')
        page.fill('textarea[name="actions_taken"]', "倾听、情绪疏导。")
        page.check('input[name="consent_share"]')
        page.check('input[name="outcome"][value="escalate"]')
        page.click("#save-intake")
        dialog = page.locator("#escalation-dialog")
        expect(dialog).to_be_visible()
        assert page.url.split("?")[0] == call_url
        too_long = "请社工站本周内上门。" * 51  # over the 500 characters responders get
        # The browser's maxlength stops typing; the server's check stands behind it, as here.
        dialog.locator('textarea[name="note"]').evaluate("element => element.removeAttribute('maxlength')")
        dialog.locator('textarea[name="note"]').fill(too_long)
        dialog.locator('button[type="submit"]').click()
        # The error shows beside its field in the dialog, and what was typed is kept.
        expect(dialog.locator(".has-error .error")).to_be_visible()
        expect(dialog.locator('textarea[name="note"]')).to_have_value(too_long)
        dialog.locator('textarea[name="note"]').fill("请社工站本周内上门。")
        dialog.locator('button[type="submit"]').click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#console-flash")).to_contain_text("已升级")
        expect(page.locator("#escalation-link")).to_have_attribute("href", re.compile(r"/escalation/\d+"))
        assert page.url.split("?")[0] == call_url
        expect(summary).to_have_value("来电人希望转介社区上门探访。")
        page.click("#escalate-now")
        expect(dialog).to_be_visible()

        # X hangs up (outside a field); the line panel then shows the call ended.
        dialog.locator("[data-close-dialog]").click()
        page.locator("h1").click()
        page.keyboard.press("x")
        expect(page.locator("#call-line")).to_contain_text("通话已结束")
        until(lambda: not caller.get(f"{base}/simulator/calls/{sid}", timeout=10).json()["live"])
