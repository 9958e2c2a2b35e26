"""deploy/kamailio/kamailio.cfg: Kamailio accepts it, and a call through it reaches a gateway."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from hotline.gateway.sip.leg import CallLeg
from tests.gateway.sip import scenarios
from tests.gateway.sip.conftest import needs_sipp
from tests.support.ports import free_udp_port
from tests.support.sipp import Sipp

KAMAILIO = shutil.which("kamailio")
DEPLOY = Path(__file__).parents[3] / "deploy" / "kamailio"
needs_kamailio = pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (Debian kamailio)")


def local_config(tmp_path: Path, port: int, gateway_port: int) -> Path:
    """The sample configuration on 127.0.0.1, the carrier being 127.0.0.0/8, one gateway."""
    listed = tmp_path / "dispatcher.list"
    listed.write_text(f"1 sip:127.0.0.1:{gateway_port}\n")
    text = (DEPLOY / "kamailio.cfg").read_text()
    text = text.replace("udp:0.0.0.0:5060", f"udp:127.0.0.1:{port}")
    text = text.replace('"198.51.100.0/24"', '"127.0.0.0/8"').replace('"/etc/kamailio/dispatcher.list"', f'"{listed}"')
    text = text.replace("log_stderror=no", "log_stderror=yes")
    config = tmp_path / "kamailio.cfg"
    config.write_text(text)
    return config


@needs_kamailio
def test_kamailio_accepts_the_sample_configuration(tmp_path: Path) -> None:
    config = local_config(tmp_path, free_udp_port(), free_udp_port())
    checked = subprocess.run([KAMAILIO, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr[-2000:]


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
    config = local_config(tmp_path, port, line.settings.port)
    proxy = subprocess.Popen(
        [KAMAILIO, "-DD", "-E", "-f", str(config), "-Y", str(tmp_path), "-P", str(tmp_path / "kamailio.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
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
