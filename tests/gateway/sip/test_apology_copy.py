"""The station's uploaded apology, copied by the gateway in advance and played when the application is down."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask

from hotline.extensions import db
from hotline.gateway.sip.audio import wav_seconds
from hotline.telephony import prompts
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_raw_sockets, needs_sipp, tone
from tests.gateway.sip.test_hotline_line import NOON, sip_line
from tests.support.ports import free_udp_port
from tests.support.rtp import RtpCounter
from tests.support.sipp import Sipp
from tests.support.waiting import until

pytestmark = [needs_sipp, needs_raw_sockets]


def test_the_gateway_keeps_the_stations_apology_and_plays_it_with_the_application_stopped(
    app: Flask, live_server: Any, tmp_path: Path
) -> None:
    recorded = tone(tmp_path / "station-apology.wav", 2.5, frequency=620.0)
    with app.app_context():
        prompts.upload(db.session, "apology", "apology.wav", recorded.read_bytes(), None, NOON)
        db.session.remove()
    caller_xml = scenarios.call([scenarios.pause(500)], bye_timeout_ms=30000)
    with time_machine.travel(NOON, tick=True), sip_line(app, live_server, tmp_path, free_udp_port()) as (_, gateway):
        copy = until(lambda: gateway.apology.current(), timeout=30)
        assert abs(wav_seconds(copy) - 2.5) < 0.1, "the copy is the station's 2.5 s recording"
        assert gateway.media._apology() == copy
        live_server.stop()  # the application goes away: the next call's first webhook fails
        caller = Sipp(scenarios.write(tmp_path / "caller.xml", caller_xml), f"127.0.0.1:{gateway.line.settings.port}")
        caller.work_dir = tmp_path
        with RtpCounter() as rtp:
            started = time.monotonic()
            caller_process = caller.start()
            caller_output = caller_process.communicate(timeout=90)[0]
        call = next(iter(gateway.network.calls.values()))
        assert not gateway.apology.refresh(), "the application does not answer any more"
        kept = gateway.apology.current()
    assert caller_process.returncode == 0, caller_output[-3000:]  # answered, the apology, then the gateway's BYE
    assert call.events("application-error"), "the first webhook found the application gone"
    assert rtp.voiced_since(caller.media_port, started) >= 100, "the caller heard the station's apology"
    assert kept == copy and kept.exists(), "the copy stays while the application is down"
