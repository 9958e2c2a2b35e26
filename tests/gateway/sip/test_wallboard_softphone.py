"""A supervisor listens silently and coaches from the wallboard in the browser, on a SIP line.

Real parts only, as in test_browser_softphone.py: two headless Chromiums with fake microphones (the
worker's a 660 Hz tone, the supervisor's a 1 kHz one), Kamailio (WITH_WEBRTC) and rtpengine in front
of the gateway's SIP line, sipp as the caller. The worker answers in the console; the supervisor joins
the call's conference from the wallboard: muted to listen, then as the worker's coach.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.console.conftest import real_socketio  # noqa: F401 - the fixture
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import tone
from tests.gateway.sip.test_browser_softphone import go_available, pytestmark, softphone, webrtc_in_front
from tests.gateway.sip.test_hotline_line import sip_line, status_of
from tests.gateway.sip.test_worker_phone import NOON, committed_worker
from tests.support.browser import browser_pages, fake_media_args, log_in
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp
from tests.support.waiting import until

__all__ = ["pytestmark"]


def committed_supervisor(app: Flask, username: str) -> int:
    """A supervisor, committed for the live server."""
    with app.app_context():
        user = User(
            username=username, display_name="王督导", password_hash=hash_password(TEST_PASSWORD), role="supervisor"
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


def wallboard_phone(page: Any) -> dict[str, Any]:
    """What the wallboard's softphone says now (in a call, its mode, its audio packets)."""
    return page.evaluate("window.HotlineWallboardPhone.state()")


def packets(state: dict[str, Any]) -> dict[str, float]:
    """The call's audio figures, zero while there is no call."""
    return state["packets"] or {"received": 0, "sent": 0, "energy": 0.0}


def energy_over(page: Any, read: Any, count: int) -> float:
    """The audio energy the page receives while `count` more packets arrive."""
    start = packets(read(page))
    until(lambda: packets(read(page))["received"] >= start["received"] + count, timeout=30)
    return packets(read(page))["energy"] - start["energy"]


@pytest.mark.usefixtures("real_socketio")
def test_a_supervisor_listens_without_being_heard_then_coaches_the_worker_only(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    worker_microphone = str(tone(tmp_path / "worker.wav", 120.0, frequency=660.0))
    supervisor_microphone = str(tone(tmp_path / "supervisor.wav", 120.0, frequency=1000.0))
    with (
        webrtc_in_front(app, tmp_path) as (kamailio, _relay, settings),
        time_machine.travel(NOON, tick=True),
        sip_line(app, live_server, tmp_path, settings=settings) as (line, gateway),
        browser_pages(
            fake_media_args(worker_microphone), fake_media_args(supervisor_microphone), timeout_ms=60_000
        ) as (worker, supervisor),
    ):
        worker_id = committed_worker(app, "coached-worker")
        committed_supervisor(app, "coaching-supervisor")
        go_available(worker, base, "coached-worker")
        log_in(supervisor, base, "coaching-supervisor")
        supervisor.goto(f"{base}/wallboard")
        # The caller presses 2 and then says nothing: what the worker hears later is the coach alone.
        steps = [scenarios.pause(3500), scenarios.rfc2833("2")]
        caller_xml = scenarios.call(steps, gateway_hangs_up=True, bye_timeout_ms=280_000)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{kamailio.port}")
        caller.work_dir, caller.timeout = tmp_path, 300
        with RtpCounter() as rtp:
            caller_process = caller.start()
            worker.wait_for_selector("#offer [data-accept]", timeout=120_000)
            call = next(iter(gateway.network.calls.values()))
            worker.click("#offer [data-accept]")
            until(lambda: call.events("bridged"), timeout=90)
            until(lambda: softphone(worker)["inCall"] and packets(softphone(worker))["received"] > 50)

            # Listening: the supervisor's browser hears the call and sends nothing.
            supervisor.click('[data-monitor="listen"]', timeout=60_000)
            until(lambda: wallboard_phone(supervisor)["inCall"], timeout=90)
            supervisor.wait_for_selector("#wall-softphone-state:has-text('旁听')")
            until(lambda: packets(wallboard_phone(supervisor))["received"] > 150, timeout=60)
            listened = packets(wallboard_phone(supervisor))
            # The call moved into its conference: the worker's browser talks on its new leg.
            until(lambda: softphone(worker)["inCall"] and packets(softphone(worker))["received"] > 50, timeout=60)

            # The worker turns the microphone off: whatever the caller hears from now on is not the worker.
            worker.click('#softphone [data-phone="mute"]')
            until(lambda: softphone(worker)["muted"])
            before_coaching = energy_over(worker, softphone, 100)

            # Coaching: the supervisor's voice reaches the worker, and not the caller.
            coached_at = time.monotonic()
            supervisor.click('[data-monitor="coach"]')
            until(lambda: wallboard_phone(supervisor)["mode"] == "coach" and wallboard_phone(supervisor)["inCall"])
            supervisor.wait_for_selector("#wall-softphone-state:has-text('指导')")
            until(lambda: packets(wallboard_phone(supervisor))["sent"] > 100, timeout=60)
            while_coaching = energy_over(worker, softphone, 150)
            caller_heard = rtp.voiced_since(caller.media_port, coached_at)

            # The caller's leg ends (the line hangs up): the conference ends and both browsers hang up.
            app.extensions["hotline_telephony"].hang_up(call.sid)
            caller_output = caller_process.communicate(timeout=120)[0]

        until(lambda: not wallboard_phone(supervisor)["inCall"], timeout=30)
        until(lambda: not softphone(worker)["inCall"], timeout=30)
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert listened["sent"] <= 5, f"the listening supervisor's browser sent {listened['sent']} packets"
    # The worker hears silence from the caller before (energy ~1e-7 over 2 s), the coach's tone after (~1e-3).
    assert while_coaching > 1e-4 and while_coaching > 100 * before_coaching, (before_coaching, while_coaching)
    assert caller_heard <= 5, f"the caller heard {caller_heard} packets of sound while the worker was coached"
    assert record.worker_id == worker_id
    assert not gateway.network.errors
