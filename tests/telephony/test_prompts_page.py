"""Recorded prompts in Chromium: a manager uploads one and listens to it, records another with the microphone,
and a simulated call plays the recording on the simulator page."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from hotline.telephony.models import PromptRecording
from tests.conftest import TEST_PASSWORD
from tests.support.browser import ARGS, CHROMIUM, log_in, needs_chromium
from tests.support.simulator import simulated_line
from tests.telephony.test_manage_routes import NOON

# A fake microphone (a beep) that needs no permission prompt, and audio that plays without a gesture.
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


def add_manager(app: Flask, username: str) -> None:
    """Create a manager in the real database."""
    with app.app_context():
        user = User(username=username, display_name="站长", password_hash=hash_password(TEST_PASSWORD), role="manager")
        db.session.add(user)
        db.session.commit()
        db.session.remove()


def stored(app: Flask, name: str) -> tuple[int, int, float] | None:
    """Return (rate, channels, seconds) of a stored recording, or None."""
    with app.app_context():
        recording = db.session.scalars(select(PromptRecording).where(PromptRecording.name == name)).first()
        db.session.remove()
    if recording is None:
        return None
    with wave.open(io.BytesIO(recording.content), "rb") as sound:
        return sound.getframerate(), sound.getnchannels(), sound.getnframes() / sound.getframerate()


def plays(page: Any, selector: str) -> None:
    """Start the audio element and wait until it has played a little (it loaded and decoded the audio)."""
    page.eval_on_selector(selector, "player => player.play()")
    page.wait_for_function("selector => document.querySelector(selector).currentTime > 0", arg=selector)


@needs_chromium
def test_a_manager_uploads_listens_and_records_and_the_simulator_plays_it(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    greeting = tmp_path / "greeting.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(greeting), "--", "您好,欢迎致电热线。"], check=True, timeout=60)
    add_manager(app, "prompt-manager")
    with (
        time_machine.travel(NOON, tick=True),
        simulated_line(app, live_server.url),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *MEDIA_ARGS])
        page = browser.new_context(locale="zh-CN").new_page()
        page.set_default_timeout(30_000)
        try:
            log_in(page, live_server.url, "prompt-manager")
            page.goto(f"{live_server.url}/manage/telephony")
            page.set_input_files("#upload_greeting", str(greeting))
            page.get_by_role("button", name="保存", exact=True).click()
            page.wait_for_load_state("load")
            expect(page.locator("#prompt-greeting [data-recording]")).to_contain_text("greeting.wav")
            plays(page, "#prompt-greeting audio")
            assert stored(app, "greeting")[:2] == (8000, 1)

            # The menu, recorded with the (fake) microphone, goes up with Save.
            menu = page.locator("#prompt-menu")
            menu.locator("[data-record]").click()
            heard = "selector => Number(document.querySelector(selector).dataset.chunks) >= 4"
            page.wait_for_function(heard, arg="#prompt-menu [data-recorder]")
            menu.locator("[data-stop]").click()
            expect(menu.locator("[data-preview]")).to_be_visible()
            page.get_by_role("button", name="保存", exact=True).click()
            page.wait_for_load_state("load")
            expect(page.locator("#prompt-menu [data-recording]")).to_be_visible()
            rate, channels, seconds = stored(app, "menu")
            assert (rate, channels) == (8000, 1) and seconds > 0.5
            plays(page, "#prompt-menu [data-recording] audio")

            # A call on the simulator hears the recorded greeting, and the page plays it.
            page.goto(f"{live_server.url}/simulator")
            page.locator("#dial-form button[type=submit]").click()
            player = page.locator("#transcript li", has_text="greeting").locator("audio")
            expect(player).to_have_count(1)
            assert player.get_attribute("src").startswith("/media/prompts/greeting/")
            plays(page, "#transcript li audio")
        finally:
            browser.close()
