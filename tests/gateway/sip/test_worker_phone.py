"""A worker's SIP phone, end to end: credentials from the console, registered at Kamailio, ringing on a call.

Real parts only: the app on a live server (webhooks, router, console over HTTP and Socket.IO),
the gateway's SIP line, Kamailio with the sample configuration (registrar with auth_ephemeral,
dispatcher in front of the gateway), sipp as the carrier's caller and baresip as the worker's
desk phone, answering by itself.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import time_machine
from flask import Flask

from hotline.accounts.models import Certification, User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from tests.conftest import TEST_PASSWORD
from tests.console.conftest import real_socketio  # noqa: F401 - the fixture
from tests.console.test_routes import VALID_INTAKE
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import line_settings, needs_raw_sockets, needs_sipp
from tests.gateway.sip.test_hotline_line import sip_line, status_of
from tests.support.baresip import BARESIP, Baresip
from tests.support.kamailio import KAMAILIO, PHONE_SECRET, Kamailio
from tests.support.pcap import pcmu_copy
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp, pcap
from tests.support.waiting import until

pytestmark = [
    needs_sipp,
    pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (Debian kamailio)"),
    pytest.mark.skipif(BARESIP is None, reason="baresip is not installed (Debian baresip)"),
    pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed (Debian sox)"),
]
NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai: the line is open


def staff_session(base_url: str, username: str) -> requests.Session:
    """Log in like a browser; the session carries the CSRF token for forms and JSON."""
    staff = requests.Session()
    login = staff.get(f"{base_url}/login", timeout=10).text
    token = login.split('name="csrf-token" content="')[1].split('"')[0]
    answer = staff.post(
        f"{base_url}/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}, timeout=10
    )
    assert answer.status_code == 200, answer.text[:300]
    staff.headers["X-CSRFToken"] = token
    staff.csrf = token  # type: ignore[attr-defined]
    return staff


def committed_worker(app: Flask, username: str) -> int:
    """A certified worker on the published rota around NOON, committed for the live server."""
    with app.app_context():
        user = User(username=username, display_name="李娜", password_hash=hash_password(TEST_PASSWORD), role="worker")
        user.certifications.append(
            Certification(
                level="intermediate",
                number="T000042",
                issuing_body="Test body",
                registered_on=date(2020, 1, 1),
                valid_until=date(2099, 12, 31),
            )
        )
        db.session.add(user)
        db.session.flush()
        shift = Shift(
            label="day", starts_at=NOON - timedelta(hours=2), ends_at=NOON + timedelta(hours=4), status="published"
        )
        shift.assignments.append(ShiftAssignment(duty="duty_worker", user_id=user.id))
        db.session.add(shift)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


@contextmanager
def kamailio_in_front(app: Flask, tmp_path: Path) -> Iterator[tuple[Kamailio, Any]]:
    """Kamailio dispatching to one gateway's line and registering workers' phones; the app issues for it."""
    settings = line_settings()
    kamailio = Kamailio(tmp_path, [settings.port]).start()
    saved = {key: app.config.get(key) for key in ("GATEWAY_PHONE_REGISTRAR", "GATEWAY_PHONE_SECRET")}
    try:
        kamailio.wait_ready()
        app.config.update(GATEWAY_PHONE_REGISTRAR=kamailio.uri, GATEWAY_PHONE_SECRET=PHONE_SECRET)
        yield kamailio, dataclasses.replace(settings, client_uri=f"sip:{{identity}}@127.0.0.1:{kamailio.port}")
    finally:
        app.config.update(saved)
        kamailio.stop()


@contextmanager
def desk_phone(tmp_path: Path, credentials: dict[str, Any], codecs: str = "PCMA,PCMU") -> Iterator[Baresip]:
    """The worker's baresip, registering with `credentials`; stopped afterwards."""
    phone = Baresip(tmp_path, credentials, codecs).start()
    try:
        yield phone
    finally:
        phone.stop()


def registration_answered(phone: Baresip) -> None:
    """Wait until the registrar accepted or refused the phone; fail with the phone's log."""
    try:
        until(lambda: phone.registered() or phone.refused(), timeout=90)
    except AssertionError as exc:
        raise AssertionError(f"no answer to the phone's REGISTER:\n{phone.output()[-3000:]}") from exc


def test_the_console_issues_credentials_that_kamailio_accepts_and_refuses_forged_or_expired_ones(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    with kamailio_in_front(app, tmp_path) as (kamailio, _settings):
        worker_id = committed_worker(app, "phone-worker")
        assert requests.get(f"{base}/api/v1/console/sip-phone", timeout=10).status_code == 401
        issued = staff_session(base, "phone-worker").get(f"{base}/api/v1/console/sip-phone", timeout=10)
        assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
        credentials = issued.json()
        assert credentials["identity"] == f"worker_{worker_id}" and credentials["registrar"] == kamailio.uri
        with desk_phone(tmp_path, credentials) as phone:
            registration_answered(phone)
            assert phone.registered(), phone.output()[-2000:]
        forged = {**credentials, "password": credentials["password"][::-1]}
        someone_else = {**credentials, "aor": credentials["aor"].replace(f"worker_{worker_id}", "worker_999")}
        expiry, identity = credentials["username"].split(":")
        expired = {**credentials, "username": f"{int(time.time()) - 60}:{identity}"}
        for refused, status in ((forged, "401"), (someone_else, "403"), (expired, "401")):
            with desk_phone(tmp_path, refused) as phone:
                registration_answered(phone)
                assert phone.refused() == status, phone.output()[-2000:]
        assert int(expiry) > time.time()


def caller_steps(key: str, by: str, seconds_talking: int, sound: str) -> list[str]:
    """Press `key` during the welcome (by RFC 2833 or SIP INFO), then talk (sipp's sample, again and again).

    The key comes 5 s into the welcome: on a loaded machine espeak may still be rendering the first
    prompt at 1.5 s, and a key before the <Gather> plays is dropped, as on Twilio.
    """
    steps = [scenarios.pause(5000), scenarios.rfc2833(key) if by == "rfc2833" else scenarios.sip_info(key)]
    for _ in range(seconds_talking // 7):
        steps += [scenarios.audio(sound), scenarios.pause(7100)]
    return steps


@needs_raw_sockets
@pytest.mark.usefixtures("real_socketio")
@pytest.mark.parametrize(("keys_by", "codec"), [("rfc2833", "PCMA"), ("info", "PCMU")])
def test_a_caller_reaches_the_workers_sip_phone_through_the_console_and_they_talk(
    app: Flask, live_server: Any, tmp_path: Path, keys_by: str, codec: str
) -> None:
    base = live_server.url
    sound = pcap("g711a.pcap") if codec == "PCMA" else str(pcmu_copy(Path(pcap("g711a.pcap")), tmp_path / "u.pcap"))
    with kamailio_in_front(app, tmp_path) as (kamailio, settings):
        worker_id = committed_worker(app, "desk-worker")
        # The phone registers in real time: Kamailio checks the credentials' expiry by its own clock.
        credentials = staff_session(base, "desk-worker").get(f"{base}/api/v1/console/sip-phone", timeout=10).json()
        with desk_phone(tmp_path, credentials, codecs=codec) as phone:
            registration_answered(phone)
            assert phone.registered(), phone.output()[-2000:]
            with (
                time_machine.travel(NOON, tick=True),
                sip_line(app, live_server, tmp_path, settings=settings) as (
                    line,
                    gateway,
                ),
            ):
                console = staff_session(base, "desk-worker")
                offers: list[dict[str, Any]] = []
                browser = socketio.Client(reconnection=False)
                browser.on("offer.new", offers.append)
                cookies = "; ".join(f"{name}={value}" for name, value in console.cookies.items())
                browser.connect(base, transports=["websocket"], headers={"Cookie": cookies}, wait_timeout=20)
                try:
                    available = console.post(f"{base}/api/v1/routing/presence", json={"state": "available"}, timeout=10)
                    assert available.status_code == 200, available.text[:300]
                    steps = caller_steps("2", keys_by, 42, sound)
                    caller_xml = scenarios.call(steps, codecs=(codec,), gateway_hangs_up=False)
                    caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{kamailio.port}")
                    caller.work_dir, caller.timeout = tmp_path, 150
                    with RtpCounter() as rtp:
                        caller_process = caller.start()
                        offer = until(lambda: offers and offers[0], timeout=90)
                        call = next(iter(gateway.network.calls.values()))
                        accepted = console.post(f"{base}/api/v1/routing/offers/{offer['offer_id']}/accept", timeout=20)
                        assert accepted.status_code == 200, accepted.text[:500]
                        until(lambda: call.events("bridged"), timeout=60)
                        bridged_at = time.monotonic()
                        assert phone.answered(), "baresip answered the gateway's INVITE (auto-answer)"
                        intake = dict(VALID_INTAKE, services=["emotional"], csrf_token=console.csrf)  # type: ignore[attr-defined]
                        saved = console.post(
                            f"{base}/console/calls/{accepted.json()['call_id']}/intake",
                            data=intake,
                            allow_redirects=False,
                            timeout=20,
                        )
                        assert saved.status_code == 302, saved.text[:500]
                        caller_output = caller_process.communicate(timeout=200)[0]
                        heard_by_worker = sum(rtp.voiced_since(port, bridged_at) for port in phone.media_ports())
                        heard_by_caller = rtp.voiced_since(caller.media_port, bridged_at + 0.5)
                        payload_types = rtp.payload_types[caller.media_port]
                    until(lambda: status_of(line, call.sid) == "completed", timeout=60)
                    record = line.call(call.sid)
                finally:
                    browser.disconnect()
    assert caller_process.returncode == 0, caller_output[-3000:]
    assert [gather.digits for gather in call.events("gather")][0] == "2", "the key pressed during the welcome"
    assert heard_by_worker >= 100, "the worker's phone received the caller's sound"
    assert heard_by_caller >= 100, "the caller received the worker's sound"
    assert scenarios.CODECS[codec] in payload_types, f"the caller hears {codec}"
    assert record.service == "emotional" and record.outcome == "answered" and record.worker_id == worker_id
    assert record.answered_at is not None and record.ended_at is not None and record.case_id is not None
    assert record.from_number == "+862222292209"
    kinds = [event.kind for event in record.events]
    assert kinds.index("queued") < kinds.index("connecting") < kinds.index("worker-answered")
    assert not gateway.network.errors
