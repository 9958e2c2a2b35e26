"""deploy/kamailio/kamailio.cfg: Kamailio accepts it, and a call through it reaches a gateway."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest

from hotline.gateway.sip.leg import CallLeg
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_sipp
from tests.support.kamailio import KAMAILIO, Kamailio, environment, local_config
from tests.support.ports import free_udp_port
from tests.support.rtpengine import RTPENGINE, Rtpengine
from tests.support.sipp import Sipp

needs_kamailio = pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (Debian kamailio)")


@needs_kamailio
def test_kamailio_accepts_the_sample_configuration(tmp_path: Path) -> None:
    config = local_config(tmp_path, free_udp_port(), [free_udp_port()])
    command = [KAMAILIO or "kamailio", "-c", "-f", str(config)]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=30, env=environment())
    assert checked.returncode == 0, checked.stderr[-2000:]


@needs_kamailio
def test_kamailio_refuses_to_start_without_the_phone_secret(tmp_path: Path) -> None:
    config = local_config(tmp_path, free_udp_port(), [free_udp_port()])
    without = {name: value for name, value in environment().items() if name != "GATEWAY_PHONE_SECRET"}
    command = [KAMAILIO or "kamailio", "-c", "-f", str(config)]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=30, env=without)
    assert checked.returncode != 0 and "GATEWAY_PHONE_SECRET" in checked.stderr


@needs_kamailio
@needs_sipp
def test_a_call_through_kamailio_reaches_the_gateway(start_line, tmp_path: Path) -> None:
    answered = threading.Event()

    def on_call(leg: CallLeg) -> None:
        leg.answer()
        if leg.collect(1, timeout=10) == "4":
            answered.set()

    line = start_line(on_call)
    port = free_udp_port()
    config = local_config(tmp_path, port, [line.settings.port])
    proxy = subprocess.Popen(
        [KAMAILIO or "kamailio", "-DD", "-E", "-f", str(config), "-Y", str(tmp_path), "-P", str(tmp_path / "pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        options = scenarios._request("OPTIONS", "22292209", 1).replace("[service]@", "")
        alive = scenarios.write(
            tmp_path / "options.xml", scenarios._scenario("alive", options + '  <recv response="200"/>\n')
        )
        for _ in range(50):  # wait until Kamailio answers
            if Sipp(alive, f"127.0.0.1:{port}", work_dir=tmp_path, timeout=2).run().returncode == 0:
                break
        caller = scenarios.write(
            tmp_path / "caller.xml", scenarios.call([scenarios.pause(300), scenarios.sip_info("4")])
        )
        run = Sipp(caller, f"127.0.0.1:{port}", work_dir=tmp_path).run()
        assert run.returncode == 0, run.explain()
        assert answered.wait(10)
    finally:
        proxy.terminate()
        proxy.communicate(timeout=10)


@needs_kamailio
@pytest.mark.skipif(RTPENGINE is None, reason="rtpengine is not installed (Debian rtpengine-daemon)")
def test_with_webrtc_kamailio_takes_browsers_over_websocket_beside_rtpengine(tmp_path: Path) -> None:
    relay = Rtpengine(tmp_path).start()
    proxy = Kamailio(tmp_path, [free_udp_port()], rtpengine=relay.socket)
    try:
        relay.wait_ready()
        proxy.start().wait_ready()
        assert proxy.ws_port is not None
        with socket.create_connection(("127.0.0.1", proxy.ws_port), timeout=10) as browser:
            browser.sendall(
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Protocol: sip\r\nOrigin: http://127.0.0.1\r\n\r\n"
            )
            answer = browser.recv(4096).decode(errors="replace")
        assert answer.startswith("HTTP/1.1 101"), answer
        assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in answer and "Sec-WebSocket-Protocol: sip" in answer
    finally:
        proxy.stop()
        relay.stop()
