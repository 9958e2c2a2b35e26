"""The console's browser softphone on a SIP line, end to end, with real parts only.

Headless Chromium (fake microphone: a tone from a WAV file) runs the console with JsSIP; Kamailio
(the sample configuration with WITH_WEBRTC) registers it over WebSocket with the credentials the
console issues; rtpengine relays its WebRTC media (ICE, DTLS-SRTP) as plain RTP; the gateway's SIP
line runs the hotline's TwiML; sipp is the carrier's caller.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from tests.console.conftest import real_socketio  # noqa: F401 - the fixture
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import line_settings, needs_raw_sockets, needs_sipp, tone
from tests.gateway.sip.test_hotline_line import sip_line, status_of
from tests.gateway.sip.test_worker_phone import NOON, caller_steps, committed_worker
from tests.support.browser import browser_page, fake_media_args, log_in, needs_chromium
from tests.support.kamailio import KAMAILIO, LIBFAKETIME, PHONE_SECRET, Kamailio
from tests.support.rtp import RtpCounter
from tests.support.rtpengine import RTPENGINE, Rtpengine
from tests.support.sipp import Sipp, pcap
from tests.support.waiting import until

pytestmark = [
    needs_sipp,
    needs_raw_sockets,
    needs_chromium,
    pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (Debian kamailio)"),
    pytest.mark.skipif(RTPENGINE is None, reason="rtpengine is not installed (Debian rtpengine-daemon)"),
    pytest.mark.skipif(not LIBFAKETIME.exists(), reason="libfaketime is not installed (Debian libfaketime)"),
    pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed (Debian sox)"),
]


@contextmanager
def webrtc_in_front(app: Flask, tmp_path: Path) -> Iterator[tuple[Kamailio, Rtpengine, Any]]:
    """rtpengine, and Kamailio (WITH_WEBRTC, at the test's time) in front of one gateway's line."""
    settings = line_settings()
    relay = Rtpengine(tmp_path).start()
    kamailio = Kamailio(tmp_path, [settings.port], rtpengine=relay.socket, clock=NOON)
    names = ("GATEWAY_PHONE_REGISTRAR", "GATEWAY_PHONE_SECRET", "GATEWAY_PHONE_WS_URL")
    saved = {key: app.config.get(key) for key in names}
    try:
        relay.wait_ready()
        kamailio.start().wait_ready()
        app.config.update(
            GATEWAY_PHONE_REGISTRAR=kamailio.uri,
            GATEWAY_PHONE_SECRET=PHONE_SECRET,
            GATEWAY_PHONE_WS_URL=kamailio.ws_url,
        )
        yield kamailio, relay, dataclasses.replace(settings, client_uri=f"sip:{{identity}}@127.0.0.1:{kamailio.port}")
    finally:
        app.config.update(saved)
        kamailio.stop()
        relay.stop()


def softphone(page: Any) -> dict[str, Any]:
    """What the console's softphone says now (registered, in a call, muted, its audio packets)."""
    return page.evaluate("window.HotlineSoftphone.state()")


def go_available(page: Any, base_url: str, username: str) -> None:
    """Log in, open the console and go available; the softphone checks the microphone and registers."""
    log_in(page, base_url, username)
    page.goto(f"{base_url}/console")
    page.wait_for_selector("#softphone", state="visible")
    page.click('[data-set-state="available"]')
    until(lambda: softphone(page)["registered"], timeout=60)
    page.wait_for_selector('.my-status[data-state="available"]')


@needs_raw_sockets
@pytest.mark.usefixtures("real_socketio")
def test_a_worker_answers_in_the_browser_and_they_talk_both_ways(app: Flask, live_server: Any, tmp_path: Path) -> None:
    base = live_server.url
    microphone = str(tone(tmp_path / "microphone.wav", 60.0, frequency=660.0))
    with (
        webrtc_in_front(app, tmp_path) as (kamailio, relay, settings),
        time_machine.travel(NOON, tick=True),
        sip_line(app, live_server, tmp_path, settings=settings) as (line, gateway),
        browser_page(extra_args=fake_media_args(microphone), timeout_ms=60_000) as page,
    ):
        worker_id = committed_worker(app, "web-worker")
        go_available(page, base, "web-worker")
        # The key comes 5 s into the welcome: on a loaded machine espeak may still be rendering its first
        # prompt at 1.5 s, and a key before the <Gather> plays is dropped, as on Twilio.
        steps = [scenarios.pause(3500), *caller_steps("2", "rfc2833", 56, pcap("g711a.pcap"))]
        caller = Sipp(
            scenarios.write(tmp_path / "caller.xml", scenarios.call(steps, gateway_hangs_up=False)),
            f"127.0.0.1:{kamailio.port}",
        )
        caller.work_dir, caller.timeout = tmp_path, 180
        with RtpCounter() as rtp:
            caller_process = caller.start()
            page.wait_for_selector("#offer [data-accept]", timeout=120_000)
            call = next(iter(gateway.network.calls.values()))
            page.click("#offer [data-accept]")
            until(lambda: call.events("bridged"), timeout=90)
            bridged_at = time.monotonic()
            until(lambda: softphone(page)["inCall"] and (softphone(page)["packets"] or {}).get("received", 0) > 100)
            until(lambda: rtp.voiced_since(caller.media_port, bridged_at) >= 100, timeout=30)
            # Muted: the browser sends nothing at all, and the caller hears no more of the worker.
            page.click('#softphone [data-phone="mute"]')
            until(lambda: softphone(page)["muted"])
            sent_at_mute = softphone(page)["packets"]["sent"]
            muted_at = time.monotonic()
            received_at_mute = softphone(page)["packets"]["received"]
            until(lambda: softphone(page)["packets"]["received"] > received_at_mute + 150, timeout=30)
            sent_while_muted = softphone(page)["packets"]["sent"] - sent_at_mute
            voiced_while_muted = rtp.voiced_since(caller.media_port, muted_at + 0.5)
            caller_output = caller_process.communicate(timeout=200)[0]
        # The caller hung up: the browser's call ends too.
        until(lambda: not softphone(page)["inCall"], timeout=30)
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert sent_while_muted <= 5, f"{sent_while_muted} packets sent while muted"
    assert voiced_while_muted <= 5, f"the caller heard {voiced_while_muted} packets of sound while muted"
    assert record.outcome == "answered" and record.worker_id == worker_id
    assert not gateway.network.errors


@contextmanager
def sip_line_console(app: Flask) -> Iterator[None]:
    """The console as on a SIP line (TELEPHONY=gateway), without a gateway: the softphone alone."""
    saved = app.config.get("TELEPHONY")
    app.config.update(TELEPHONY="gateway")
    try:
        yield
    finally:
        app.config.update(TELEPHONY=saved)


def test_a_refused_microphone_is_said_and_the_worker_stays_unavailable(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    # A fake microphone, but no fake permission prompt: headless Chromium refuses the microphone.
    refused = [arg for arg in fake_media_args(str(tone(tmp_path / "m.wav", 2.0))) if "fake-ui" not in arg]
    with (
        webrtc_in_front(app, tmp_path),
        time_machine.travel(NOON, tick=True),
        sip_line_console(app),
        browser_page(locale="en", extra_args=refused) as page,
    ):
        committed_worker(app, "no-mic-worker")
        log_in(page, base, "no-mic-worker")
        page.goto(f"{base}/console")
        page.wait_for_selector("#softphone", state="visible")
        page.click('[data-set-state="available"]')
        page.wait_for_selector("#softphone-state:has-text('The microphone is blocked')")
        page.reload()
        page.wait_for_selector('.my-status[data-state="offline"]')
        assert not softphone(page)["registered"]


@pytest.mark.usefixtures("real_socketio")
def test_the_line_lost_is_noticed_within_seconds_and_the_worker_is_set_offline(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    microphone = str(tone(tmp_path / "m.wav", 2.0))
    with (
        webrtc_in_front(app, tmp_path) as (kamailio, _relay, _settings),
        time_machine.travel(NOON, tick=True),
        sip_line_console(app),
        browser_page(locale="en", extra_args=fake_media_args(microphone)) as page,
    ):
        committed_worker(app, "dropped-worker")
        go_available(page, base, "dropped-worker")
        kamailio.stop()
        # The WebSocket closes with Kamailio: the softphone says so at once and sets the worker offline.
        page.wait_for_selector("#softphone-state:has-text('lost its connection')", timeout=10_000)
        page.wait_for_selector('.my-status[data-state="offline"]', timeout=10_000)
        assert not softphone(page)["registered"]


@pytest.mark.usefixtures("real_socketio")
def test_the_worker_hangs_up_in_the_browser_and_the_caller_is_released(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    microphone = str(tone(tmp_path / "microphone.wav", 30.0, frequency=660.0))
    with (
        webrtc_in_front(app, tmp_path) as (kamailio, _relay, settings),
        time_machine.travel(NOON, tick=True),
        sip_line(app, live_server, tmp_path, settings=settings) as (line, gateway),
        browser_page(extra_args=fake_media_args(microphone), timeout_ms=60_000) as page,
    ):
        committed_worker(app, "hanging-worker")
        go_available(page, base, "hanging-worker")
        # The caller presses 2, talks, and waits for the line to end the call (whatever it plays after).
        steps = [scenarios.pause(5000), scenarios.rfc2833("2"), scenarios.audio(pcap("g711a.pcap"))]
        caller_xml = scenarios.call(steps, gateway_hangs_up=True, bye_timeout_ms=150_000)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{kamailio.port}")
        caller.work_dir, caller.timeout = tmp_path, 200
        caller_process = caller.start()
        page.wait_for_selector("#offer [data-accept]", timeout=120_000)
        call = next(iter(gateway.network.calls.values()))
        page.click("#offer [data-accept]")
        until(lambda: call.events("bridged"), timeout=90)
        until(lambda: (softphone(page)["packets"] or {}).get("received", 0) > 20)
        page.click('#softphone [data-phone="hangup"]')
        until(lambda: not softphone(page)["inCall"], timeout=30)
        caller_output = caller_process.communicate(timeout=220)[0]
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert record.outcome == "answered" and record.ended_at is not None
    assert not gateway.network.errors
