"""Run rtpengine (Debian rtpengine-daemon) in userspace on 127.0.0.1: the browser softphone's media relay."""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from pathlib import Path

from tests.support.foreground import Foreground
from tests.support.ports import free_udp_port, free_udp_range

RTPENGINE = shutil.which("rtpengine")


class Rtpengine(Foreground):
    """rtpengine in the foreground of a child process (no kernel module: --table=-1), stopped by `stop()`."""

    def __init__(self, tmp_path: Path) -> None:
        self.control_port = free_udp_port()
        self.media_ports = free_udp_range(100)
        self.log = tmp_path / f"rtpengine-{self.control_port}.log"

    @property
    def socket(self) -> str:
        """Where Kamailio's rtpengine module reaches its control (ng) protocol."""
        return f"udp:127.0.0.1:{self.control_port}"

    def start(self) -> Rtpengine:
        """Start it; `wait_ready()` tells when it answers."""
        first, last = self.media_ports
        command = [RTPENGINE or "rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--table=-1"]
        command += ["--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{self.control_port}"]
        command += [f"--port-min={first}", f"--port-max={last}", "--log-level=6", "--delete-delay=0"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        return self

    def answers(self) -> bool:
        """Send one ng-protocol ping and say whether it answered pong."""
        cookie = uuid.uuid4().hex[:12]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(1.0)
            probe.sendto(f"{cookie} d7:command4:pinge".encode(), ("127.0.0.1", self.control_port))
            try:
                return b"pong" in probe.recv(4096)
            except OSError:
                return False
