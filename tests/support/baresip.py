"""Run baresip (Debian `baresip`) as a worker's desk phone: registered at Kamailio, answering by itself."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support.ports import free_sip_port, free_udp_range
from tests.support.waiting import until

BARESIP = shutil.which("baresip")
REGISTERED = re.compile(r": \{0/UDP/v4\} 200 OK .*\[\d+ binding")
REFUSED = re.compile(r"reg: .*: (40[13]) ")


def tone(path: Path, seconds: int = 60) -> Path:
    """Write what the worker says: an 8 kHz mono tone made with sox (never G.711 silence)."""
    command = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", str(seconds)]
    subprocess.run([*command, "sine", "300", "vol", "0.5"], check=True, timeout=60)
    return path


class Baresip:
    """A baresip phone with its own config folder, registering the credentials the console issued."""

    def __init__(self, work_dir: Path, credentials: dict[str, Any], codecs: str = "PCMA,PCMU") -> None:
        self.sip_port = free_sip_port()
        self.rtp_ports = free_udp_range(10, low=32000, high=40000)
        self.folder = work_dir / f"baresip-{self.sip_port}"
        self.folder.mkdir()
        self.log = self.folder / "output.log"
        registrar = credentials["registrar"]
        options = f";auth_user={credentials['username']};auth_pass={credentials['password']}"
        options += f';outbound="{registrar}";answermode=auto;audio_codecs={codecs};regint=600'
        (self.folder / "accounts").write_text(f"<{credentials['aor']}>{options}\n")
        self.voice = tone(self.folder / "voice.wav")
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> None:
        first, last = self.rtp_ports
        voice = self.voice
        (self.folder / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen 127.0.0.1:{self.sip_port}",
                    f"audio_source aufile,{voice}",
                    f"audio_alert aufile,{voice}",
                    f"rtp_ports {first}-{last}",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module aufile.so",
                    "module_app account.so",
                    "module_app menu.so",
                    "",
                ]
            )
        )

    def start(self, attempts: int = 3) -> Baresip:
        """Start the phone and wait until it is ready; `registered()` and `refused()` read its log.

        A port taken between choosing it and baresip's bind (UDP, TCP or TLS) makes baresip
        exit at once: it is started again on another port.
        """
        for _ in range(attempts):
            self._write_config()
            with self.log.open("w") as log:
                command = [BARESIP or "baresip", "-f", str(self.folder)]
                self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
            process = self.process
            until(lambda: "baresip is ready." in self.output() or process.poll() is not None, timeout=60)  # noqa: B023
            if "baresip is ready." in self.output():
                return self
            self.stop()
            if "Address already in use" not in self.output():
                break
            self.sip_port = free_sip_port()
        raise RuntimeError(f"baresip did not start:\n{self.output()[-2000:]}")

    def output(self) -> str:
        """What the phone logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def registered(self) -> bool:
        """True once the registrar accepted the phone's registration."""
        return bool(REGISTERED.search(self.output()))

    def refused(self) -> str | None:
        """The status the registrar refused the registration with (401, 403), if it did."""
        match = REFUSED.search(self.output())
        return match.group(1) if match else None

    def answered(self) -> bool:
        """True once the phone answered a call."""
        return "answering call" in self.output()

    def stop(self) -> None:
        """Stop the phone (it ignores SIGTERM while unregistering, so it is killed after a while)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def media_ports(self) -> range:
        """The phone's RTP ports."""
        return range(self.rtp_ports[0], self.rtp_ports[1] + 1)
