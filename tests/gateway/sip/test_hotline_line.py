"""The hotline on a SIP line, end to end: sipp calls, the app's TwiML plays, a worker's SIP phone answers.

The app runs on a live server with its real webhooks and outbox; the gateway's interpreter
runs them on the SIP line; sipp is the caller (the carrier's side) and a second sipp, which
rings and answers, is the worker's desk phone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask

from hotline.accounts.models import User
from hotline.gateway.runner import NUMBER_WEBHOOKS
from hotline.gateway.sip.runner import SipGateway, start_sip_gateway
from hotline.gateway.sip.settings import SipSettings
from hotline.telephony.provider_impls import TwilioProvider
from tests.conftest import log_in
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import line_settings, needs_raw_sockets, needs_sipp
from tests.gateway.sip.test_gateway_calls import loud_moments
from tests.support.ports import free_port, free_udp_port
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp
from tests.support.waiting import until
from tests.telephony.line import HOTLINE, Line
from tests.telephony.test_end_to_end import add_worker, connect_first_waiting

pytestmark = [needs_sipp, needs_raw_sockets]
NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai: the line is open
NIGHT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # Monday 22:00 in Shanghai: closed, voicemail


@contextmanager
def sip_line(
    app: Flask, live_server: Any, tmp_path: Path, phone_port: int | None = None, settings: SipSettings | None = None
) -> Iterator[tuple[Line, SipGateway]]:
    """Run the app against a SIP gateway; workers' identities ring the sipp phone on `phone_port`
    (or where `settings.client_uri` says)."""
    token, account = app.config["TWILIO_AUTH_TOKEN"], app.config["TWILIO_ACCOUNT_SID"]
    saved = {key: app.config.get(key) for key in ("PUBLIC_BASE_URL", "TELEPHONY", "TELEPHONY_OUTBOX_DISPATCH")}
    saved_provider = app.extensions.get("hotline_telephony")
    settings = settings or line_settings(client_uri=f"sip:{{identity}}@127.0.0.1:{phone_port}")
    options = {**NUMBER_WEBHOOKS, "rest_port": free_port()}
    # The app signs for this server until the gateway has stopped: the last status callbacks
    # go out while it stops (after the test's last wait), and must not meet the suite's base URL.
    app.config.update(PUBLIC_BASE_URL=live_server.url, TELEPHONY="gateway", TELEPHONY_OUTBOX_DISPATCH=True)
    try:
        with start_sip_gateway(
            live_server.url, live_server.url, token, account, settings, tmp_path, **options
        ) as gateway:
            app.extensions["hotline_telephony"] = TwilioProvider(account, token, HOTLINE, api_base_url=gateway.rest_url)
            yield Line(app, gateway), gateway
    finally:
        app.config.update(saved)
        app.extensions["hotline_telephony"] = saved_provider


def status_of(line: Line, call_sid: str) -> str | None:
    """The app's status of a call, or None while its first webhook has not recorded it yet."""
    try:
        return line.call(call_sid).status
    except AssertionError:
        return None


def caller_steps(key: str, seconds_talking: int) -> list[str]:
    """Press `key` by RFC 2833 during the welcome, then talk (sipp's G.711 sample, again and again)."""
    steps = [scenarios.pause(1500), scenarios.rfc2833(key)]
    for _ in range(seconds_talking // 7):
        steps += [scenarios.audio(), scenarios.pause(7100)]
    return steps


def test_menu_queue_worker_phone_and_hang_up_with_audio_both_ways(app: Flask, live_server: Any, tmp_path: Path) -> None:
    phone_port = free_udp_port()
    phone_audio = [scenarios.audio(), scenarios.pause(7100), scenarios.audio(), scenarios.pause(7100)]
    with time_machine.travel(NOON, tick=True), sip_line(app, live_server, tmp_path, phone_port) as (line, gateway):
        worker = add_worker(line, "w-sip")
        phone = Sipp(scenarios.write(tmp_path / "phone.xml", scenarios.answering_phone(phone_audio)), "127.0.0.1:1")
        phone.sip_port, phone.work_dir = phone_port, tmp_path
        caller_xml = scenarios.call(caller_steps("2", 35), gateway_hangs_up=False)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{gateway.line.settings.port}")
        caller.work_dir = tmp_path
        with RtpCounter() as rtp:
            phone_process, caller_process = phone.start(), caller.start()
            call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
            until(lambda: status_of(line, call.sid) == "queued", timeout=60)
            assert connect_first_waiting(line, f"worker_{worker}") == call.sid
            until(lambda: call.events("bridged"), timeout=60)
            bridged_at = time.monotonic()
            caller_output = caller_process.communicate(timeout=120)[0]
            phone_output = phone_process.communicate(timeout=30)[0]
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert phone_process.returncode == 0, phone_output[-3000:]
    assert [gather.digits for gather in call.events("gather")][0] == "2", "the key pressed during the welcome"
    assert record.service == "emotional" and record.outcome == "answered" and record.worker_id == worker
    assert record.from_number == "+862222292209", "the caller's local number, with the trunk's area code"
    assert rtp.voiced_since(phone.media_port, bridged_at) >= 100, "the worker heard the caller"
    assert rtp.voiced_since(caller.media_port, bridged_at + 0.5) >= 100, "the caller heard the worker"
    assert not gateway.network.errors


def test_a_caller_who_hangs_up_in_the_queue_is_abandoned(app: Flask, live_server: Any, tmp_path: Path) -> None:
    with time_machine.travel(NOON, tick=True), sip_line(app, live_server, tmp_path, free_udp_port()) as (line, gateway):
        steps = [scenarios.pause(1500), scenarios.sip_info("2"), scenarios.pause(12000)]
        caller_xml = scenarios.call(steps, codecs=("PCMU",), gateway_hangs_up=False)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{gateway.line.settings.port}")
        caller.work_dir = tmp_path
        caller_process = caller.start()
        call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
        until(lambda: status_of(line, call.sid) == "queued", timeout=60)
        caller_output = caller_process.communicate(timeout=120)[0]
        until(lambda: status_of(line, call.sid) == "completed", timeout=60)
        record = line.call(call.sid)
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert record.outcome == "abandoned" and record.service == "emotional" and record.worker_id is None
    assert record.ended_at is not None and record.queued_at is not None
    assert not gateway.network.errors


def test_a_voicemail_over_sip_holds_what_the_caller_said_and_the_console_plays_it(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    # At night the hotline says it is closed, offers options, and silence leads to voicemail. The caller
    # talks all along (sipp's sample, back to back), then falls silent: the recording holds the part said
    # after the beep and ends 5 s after the caller stops: its sound lasts as long as sipp's did after the beep.
    steps = [scenarios.pause(500)]
    for _ in range(10):
        steps += [scenarios.audio(), scenarios.pause(7100)]
    caller_xml = scenarios.call(steps, bye_timeout_ms=90000)
    with (
        time_machine.travel(NIGHT, tick=True),
        sip_line(app, live_server, tmp_path, free_udp_port()) as (line, gateway),
    ):
        rtp_ports = range(gateway.line.settings.rtp_ports[0], gateway.line.settings.rtp_ports[1] + 1)
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{gateway.line.settings.port}")
        caller.work_dir, caller.timeout = tmp_path, 200
        with RtpCounter() as rtp:
            caller_process = caller.start()
            call = until(lambda: next(iter(gateway.network.calls.values()), None), timeout=60)
            caller_output = caller_process.communicate(timeout=240)[0]
        until(lambda: status_of(line, call.sid) == "completed" and line.call(call.sid).recording_sid, timeout=60)
        record = line.call(call.sid)
        worker = add_worker(line, "w-voicemail")
        with app.app_context():
            user = line.session().get(User, worker)
            played = log_in(app.test_client(), user).get(f"/console/calls/{record.id}/recording")
    assert caller_process.returncode == 0, caller_output[-3000:]  # the gateway hung up after the goodbye
    assert record.outcome == "voicemail" and record.closed_reason == "hours"
    (recorded,) = [event for event in call.events("record") if "seconds" in (event.detail or {})]
    offset = time.monotonic() - gateway.network.now  # the network's clock runs in real time
    ended = recorded.at + offset
    started = ended - recorded.detail["seconds"]
    last_sent = rtp.last_loud(rtp_ports, started, ended)
    saved = tmp_path / "voicemail.wav"
    (made,) = [made for made in gateway.network.recordings if made.sid == record.recording_sid]
    saved.write_bytes(Path(made.path or "").read_bytes())
    assert last_sent is not None and last_sent - started >= 5, "sipp talked for a while after the beep"
    talked = last_sent - started  # from the beep to sipp's last sound
    heard = loud_moments(saved)
    assert abs(heard[-1] - talked) <= 1.0, f"the recording's sound ends when sipp's did ({heard[-1]} s, {talked} s)"
    assert len(heard) / 50 >= 0.6 * talked, "sipp's sample is mostly sound: so is the recording"
    assert abs(record.recording_seconds - (talked + 5)) <= 2, "the sound, then 5 s of silence"
    assert played.status_code == 200, played.get_data(as_text=True)[:300]
    assert played.data == saved.read_bytes(), "the console plays the recording the gateway made"
    assert not gateway.network.errors
