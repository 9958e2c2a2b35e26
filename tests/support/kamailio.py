"""Run Kamailio with the sample configuration (deploy/kamailio/kamailio.cfg) on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path

from tests.support.foreground import Foreground
from tests.support.ports import free_port, free_udp_port

KAMAILIO = shutil.which("kamailio")
DEPLOY = Path(__file__).parents[2] / "deploy" / "kamailio"
PHONE_SECRET = "test-phone-secret-0123456789"


def local_config(tmp_path: Path, port: int, gateway_ports: list[int], webrtc: tuple[int, str] | None = None) -> Path:
    """The sample configuration on 127.0.0.1:`port`, the carrier being 127.0.0.0/8, the gateways listed.

    With `webrtc` (the WebSocket port, rtpengine's control socket), the browsers' part is on.
    """
    listed = tmp_path / "dispatcher.list"
    listed.write_text("".join(f"1 sip:127.0.0.1:{gateway}\n" for gateway in gateway_ports))
    text = (DEPLOY / "kamailio.cfg").read_text()
    text = text.replace("udp:0.0.0.0:5060", f"udp:127.0.0.1:{port}")
    text = text.replace('"198.51.100.0/24"', '"127.0.0.0/8"').replace('"/etc/kamailio/dispatcher.list"', f'"{listed}"')
    text = text.replace("log_stderror=no", "log_stderror=yes")
    if webrtc is not None:
        text = text.replace("tcp:127.0.0.1:8088", f"tcp:127.0.0.1:{webrtc[0]}")
        text = text.replace('"udp:127.0.0.1:2223"', f'"{webrtc[1]}"')
    config = tmp_path / "kamailio.cfg"
    config.write_text(text)
    return config


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
"""Debian libfaketime: Kamailio at a test's pinned time checks the expiry of credentials the app issued then."""


def environment(clock: datetime | None = None) -> dict[str, str]:
    """The environment Kamailio reads its phone secret from (GATEWAY_PHONE_SECRET, as the app does).

    With `clock` (aware), Kamailio's wall clock is set there now and ticks: libfaketime shifts every one of
    its processes by the same offset (a start time would start each forked child's clock anew); its
    monotonic clock stays real.
    """
    env = {**os.environ, "GATEWAY_PHONE_SECRET": PHONE_SECRET}
    if clock is not None:
        offset = round(clock.timestamp() - time.time())
        env.update(LD_PRELOAD=str(LIBFAKETIME), FAKETIME=f"{offset:+d}", FAKETIME_DONT_FAKE_MONOTONIC="1")
    return env


class Kamailio(Foreground):
    """Kamailio in the foreground of a child process, on its own port, stopped by `stop()`."""

    def __init__(
        self, tmp_path: Path, gateway_ports: list[int], rtpengine: str | None = None, clock: datetime | None = None
    ) -> None:
        """With `rtpengine` (its control socket), SIP over WebSocket for browsers is on (WITH_WEBRTC);
        with `clock`, Kamailio's time starts there (see `environment`)."""
        self.clock = clock
        self.port = free_udp_port()
        self.ws_port = free_port() if rtpengine else None
        self.work_dir = tmp_path / f"kamailio-{self.port}"
        self.work_dir.mkdir()
        webrtc = (self.ws_port, rtpengine) if self.ws_port and rtpengine else None
        self.config = local_config(self.work_dir, self.port, gateway_ports, webrtc)
        self.log = self.work_dir / "kamailio.log"

    @property
    def uri(self) -> str:
        """The registrar's SIP URI."""
        return f"sip:127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str | None:
        """Where browsers connect (SIP over WebSocket), when that part is on."""
        return f"ws://127.0.0.1:{self.ws_port}" if self.ws_port else None

    def start(self) -> Kamailio:
        """Start it; `wait_ready()` tells when it answers."""
        command = [KAMAILIO or "kamailio", "-DD", "-E", "-f", str(self.config), "-Y", str(self.work_dir)]
        command += ["-P", str(self.work_dir / "kamailio.pid")]
        if self.ws_port:
            command += ["-A", "WITH_WEBRTC"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment(self.clock))
        return self

    def answers(self) -> bool:
        """Send one OPTIONS to Kamailio itself and say whether it answered 200."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            probe.settimeout(1.0)
            port, tag = probe.getsockname()[1], uuid.uuid4().hex
            request = (
                f"OPTIONS sip:127.0.0.1:{self.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{tag}\r\n"
                f"From: <sip:probe@127.0.0.1:{port}>;tag={tag}\r\nTo: <sip:127.0.0.1:{self.port}>\r\n"
                f"Call-ID: {tag}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            )
            probe.sendto(request.encode(), ("127.0.0.1", self.port))
            try:
                return probe.recv(4096).startswith(b"SIP/2.0 200")
            except OSError:
                return False
