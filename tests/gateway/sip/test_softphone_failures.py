"""The browser softphone when something breaks during a call, on a SIP line, with real parts only.

As in test_browser_softphone.py: headless Chromium with a fake microphone (a 660 Hz tone), Kamailio
(WITH_WEBRTC) and rtpengine in front of the gateway's SIP line, sipp as the caller.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from hotline.extensions import db
from hotline.routing.models import WorkerPresence
from tests.console.conftest import real_socketio  # noqa: F401 - the fixture
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import tone
from tests.gateway.sip.test_browser_softphone import go_available, pytestmark, softphone, webrtc_in_front
from tests.gateway.sip.test_hotline_line import sip_line, status_of
from tests.gateway.sip.test_worker_phone import NOON, committed_worker
from tests.support.browser import browser_page, browser_pages, fake_media_args
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp
from tests.support.waiting import until

__all__ = ["pytestmark"]


def presence_state(app: Flask, user_id: int) -> str | None:
    """The worker's presence as the router sees it now."""
    with app.app_context():
        presence = db.session.get(WorkerPresence, user_id)
        state = presence.state if presence is not None else None
        db.session.remove()
    return state


@pytest.mark.usefixtures("real_socketio")
def test_the_connection_lost_mid_call_is_said_the_call_goes_on_and_the_worker_gets_no_more_calls(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    microphone = str(tone(tmp_path / "microphone.wav", 120.0, frequency=660.0))
    with (
        webrtc_in_front(app, tmp_path) as (kamailio, _relay, settings),
        time_machine.travel(NOON, tick=True),
        sip_line(app, live_server, tmp_path, settings=settings) as (line, gateway),
        browser_page(locale="en", extra_args=fake_media_args(microphone), timeout_ms=60_000) as page,
    ):
        worker_id = committed_worker(app, "dropped-mid-call")
        go_available(page, base, "dropped-mid-call")
        # The caller presses 2, then listens until the line hangs up.
        steps = [scenarios.pause(3500), scenarios.rfc2833("2")]
        caller_xml = scenarios.call(steps, gateway_hangs_up=True, bye_timeout_ms=200_000)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{kamailio.port}")
        caller.work_dir, caller.timeout = tmp_path, 240
        with RtpCounter() as rtp:
            caller_process = caller.start()
            page.wait_for_selector("#offer [data-accept]", timeout=120_000)
            call = next(iter(gateway.network.calls.values()))
            page.click("#offer [data-accept]")
            until(lambda: call.events("bridged"), timeout=90)
            until(lambda: softphone(page)["inCall"] and (softphone(page)["packets"] or {}).get("received", 0) > 50)

            # Kamailio stops: the browser's WebSocket closes in the middle of the call.
            kamailio.stop()
            dropped_at = time.monotonic()
            page.wait_for_selector("#softphone-state:has-text('The call goes on')", timeout=10_000)
            until(lambda: presence_state(app, worker_id) == "offline", timeout=10)
            noticed_after = time.monotonic() - dropped_at
            # The media does not pass through Kamailio: the caller still hears the worker.
            until(lambda: rtp.voiced_since(caller.media_port, dropped_at + 1.0) > 100, timeout=30)
            still_talking = status_of(line, call.sid)

            # Kamailio comes back (the caller's own signalling passes through it too, as a trunk's would), and
            # the worker ends the call with the panel's Hang up: the line ends it, as the softphone cannot.
            kamailio.start().wait_ready()
            page.click('#softphone [data-phone="hangup"]')
            caller_output = caller_process.communicate(timeout=120)[0]
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
        after_the_call = presence_state(app, worker_id)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert noticed_after < 10, f"noticed {noticed_after:.1f} s after the connection dropped"
    assert still_talking == "in-progress"
    assert record.outcome == "answered" and record.worker_id == worker_id
    assert after_the_call == "offline"  # no wrap-up into available: no call is offered to a dead softphone


@pytest.mark.usefixtures("real_socketio")
def test_a_microphone_lost_at_answer_sends_the_call_to_the_next_worker(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    microphone = str(tone(tmp_path / "microphone.wav", 120.0, frequency=660.0))
    # The first worker's browser has the microphone by a permission the test grants, then takes back.
    by_permission = [arg for arg in fake_media_args(microphone) if "fake-ui" not in arg]
    with (
        webrtc_in_front(app, tmp_path) as (kamailio, _relay, settings),
        time_machine.travel(NOON, tick=True),
        sip_line(app, live_server, tmp_path, settings=settings) as (line, gateway),
        browser_pages(by_permission, fake_media_args(microphone), locale="en", timeout_ms=60_000) as (first, second),
    ):
        first_id = committed_worker(app, "first-no-mic")
        second_id = committed_worker(app, "second-with-mic")
        first.context.grant_permissions(["microphone"], origin=base)
        go_available(first, base, "first-no-mic")  # the microphone works when the worker goes available
        go_available(second, base, "second-with-mic")
        steps = [scenarios.pause(3500), scenarios.rfc2833("2")]
        caller_xml = scenarios.call(steps, gateway_hangs_up=True, bye_timeout_ms=200_000)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{kamailio.port}")
        caller.work_dir, caller.timeout = tmp_path, 240
        with RtpCounter() as rtp:
            caller_process = caller.start()
            # The longest idle, the first worker, is offered the call; the microphone is gone by the answer.
            first.wait_for_selector("#offer [data-accept]", timeout=120_000)
            call = next(iter(gateway.network.calls.values()))
            first.context.clear_permissions()
            first.click("#offer [data-accept]")
            first.wait_for_selector("#softphone-state:has-text('The microphone is blocked')", timeout=30_000)
            until(lambda: presence_state(app, first_id) == "offline", timeout=30)
            # The caller goes back to the queue and is offered to the second worker, who answers and talks.
            second.wait_for_selector("#offer [data-accept]", timeout=120_000)
            second.click("#offer [data-accept]")
            until(lambda: softphone(second)["inCall"] and (softphone(second)["packets"] or {}).get("received", 0) > 50)
            answered_at = time.monotonic()
            until(lambda: rtp.voiced_since(caller.media_port, answered_at) > 100, timeout=30)
            first_in_call = softphone(first)["inCall"]
            second.click('#softphone [data-phone="hangup"]')
            caller_output = caller_process.communicate(timeout=120)[0]
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert not first_in_call
    assert record.outcome == "answered" and record.worker_id == second_id
    assert not gateway.network.errors
