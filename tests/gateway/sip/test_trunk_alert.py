"""The supervisor on call is told when the trunk registration is lost: the gateway's signed report, the wallboard.

sipp plays the carrier's registrar: it accepts the gateway's REGISTER, refuses the refresh (403)
and accepts the next one. The app runs on a live server with the supervisor's Socket.IO connection.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
import time_machine
from flask import Flask

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from hotline.wallboard.trunk import lost_gateways
from tests.conftest import TEST_PASSWORD
from tests.console.conftest import real_socketio  # noqa: F401 - the fixture
from tests.console.test_transfer_line import NOON, staff_session
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import line_settings, needs_sipp
from tests.gateway.sip.test_hotline_line import sip_line
from tests.support.ports import free_udp_port
from tests.support.sipp import Sipp
from tests.support.waiting import until

pytestmark = needs_sipp


def _answer(status: str, contact: bool) -> str:
    head = f"      SIP/2.0 {status}\n      [last_Via:]\n      [last_From:]\n      [last_To:];tag=reg\n"
    head += "      [last_Call-ID:]\n      [last_CSeq:]\n"
    if contact:
        head += "      [last_Contact:];expires=10\n      Expires: 10\n"
    return (
        f'  <recv request="REGISTER"/>\n  <send>\n    <![CDATA[\n{head}      Content-Length: 0\n\n    ]]>\n  </send>\n'
    )


def registrar_scenario() -> str:
    """Accept a registration (for 10 s: PJSIP refreshes it 5 s before), then refuse its refresh.

    PJSIP starts a new registration (a new Call-ID: sipp's next call) after a refusal, which is accepted.
    """
    return scenarios._scenario("registrar", _answer("200 OK", True) + _answer("403 Forbidden", False))


def supervisor_on_call(app: Flask) -> int:
    """A supervisor on call around NOON by the published rota, committed for the live server."""
    with app.app_context():
        user = User(username="sup-on-call", display_name="陈督导", password_hash=hash_password(TEST_PASSWORD))
        user.role = "supervisor"
        db.session.add(user)
        db.session.flush()
        shift = Shift(
            label="day", starts_at=NOON - timedelta(hours=2), ends_at=NOON + timedelta(hours=4), status="published"
        )
        shift.assignments.append(ShiftAssignment(duty="supervisor", user_id=user.id))
        db.session.add(shift)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


def lost_now(app: Flask) -> list[str]:
    """The gateways the app holds lost, read fresh."""
    with app.app_context():
        db.session.expire_all()
        lost = lost_gateways(db.session)
        db.session.remove()
    return lost


@pytest.mark.usefixtures("real_socketio")
def test_a_refused_registration_alerts_the_supervisor_on_call_and_the_wallboard_until_it_is_back(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    registrar_port = free_udp_port()
    registrar = Sipp(scenarios.write(tmp_path / "registrar.xml", registrar_scenario()), "127.0.0.1:1")
    registrar.sip_port, registrar.work_dir, registrar.timeout, registrar.calls = registrar_port, tmp_path, 90, 2
    trunk = dataclasses.replace(
        line_settings().trunk,
        registrar=f"sip:127.0.0.1:{registrar_port}",
        username="022222",
        password="secret",
        register_seconds=10,
        retry_first_seconds=3.0,
        peers=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    settings = line_settings(trunk=trunk)
    process = registrar.start()
    try:
        with time_machine.travel(NOON, tick=True):
            supervisor_on_call(app)
            supervisor = staff_session(base, "sup-on-call")
            alerts: list[dict[str, Any]] = []
            wallboard = socketio.Client(reconnection=False)
            wallboard.on("wallboard.alert", alerts.append)
            cookies = "; ".join(f"{name}={value}" for name, value in supervisor.cookies.items())
            wallboard.connect(base, transports=["websocket"], headers={"Cookie": cookies}, wait_timeout=20)
            try:
                with sip_line(app, live_server, tmp_path, settings=settings) as (_line, gateway):
                    reporter = gateway.trunk_reporter
                    assert reporter is not None
                    until(lambda: lost_now(app), timeout=40)
                    alert = until(lambda: alerts and alerts[0], timeout=20)
                    board = supervisor.get(f"{base}/wallboard/fragment", timeout=10).text
                    until(lambda: not lost_now(app), timeout=40)
                    board_after = supervisor.get(f"{base}/wallboard/fragment", timeout=10).text
                    events = [report["Event"] for report in reporter.delivered]
            finally:
                wallboard.disconnect()
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert events[:3] == ["trunk-registration-restored", "trunk-registration-lost", "trunk-registration-restored"]
    assert alert["alerts"] == ["trunk_lost"], "the supervisor on call is told"
    assert "中继注册已断开" in board, "the wallboard says the trunk is lost"
    assert "中继注册已断开" not in board_after, "and no longer once it is back"
