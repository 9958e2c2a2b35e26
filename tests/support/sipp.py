"""Run sipp (Debian `sip-tester`) as a carrier or a caller against a SIP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

from tests.support.ports import free_udp_port

SIPP = shutil.which("sipp")
PCAP_DIR = Path("/usr/share/sip-tester")


def pcap(name: str) -> str:
    """The path of a pcap sipp's package ships (`g711a.pcap`, `dtmf_2833_2.pcap`…)."""
    return str(PCAP_DIR / name)


@dataclasses.dataclass
class SippRun:
    """A finished sipp run: exit status (0: every call succeeded), output, error log."""

    returncode: int
    stdout: str
    errors: str

    def explain(self) -> str:
        """What went wrong, for an assertion message."""
        return f"sipp exited {self.returncode}\n{self.errors[-3000:]}\n{self.stdout[-1500:]}"


@dataclasses.dataclass
class Sipp:
    """A sipp user agent: its own SIP and media ports, and the scenario to run."""

    scenario: Path | str
    target: str
    keys: dict[str, str] = dataclasses.field(default_factory=dict)
    service: str = "02222292209"
    sip_port: int = dataclasses.field(default_factory=free_udp_port)
    media_port: int = dataclasses.field(default_factory=free_udp_port)
    calls: int = 1
    rate: int | None = None
    timeout: int = 60
    work_dir: Path | None = None

    def command(self) -> list[str]:
        """The sipp command line."""
        scenario = ["-sn", self.scenario] if self.scenario in ("uac", "uas") else ["-sf", str(self.scenario)]
        command = [SIPP or "sipp", self.target, *scenario, "-s", self.service, "-m", str(self.calls)]
        command += ["-i", "127.0.0.1", "-p", str(self.sip_port), "-mi", "127.0.0.1", "-mp", str(self.media_port)]
        command += ["-nostdin", "-timeout", f"{self.timeout}s", "-timeout_error", "-trace_err"]
        if self.rate:
            command += ["-r", str(self.rate)]
        for key, value in self.keys.items():
            command += ["-key", key, value]
        return command

    def run(self) -> SippRun:
        """Run the scenario to its end and return the result."""
        work_dir = self.work_dir or Path.cwd()
        error_file = work_dir / f"sipp-{self.sip_port}-errors.log"
        command = [*self.command(), "-error_file", str(error_file)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout + 30, cwd=work_dir)
        errors = error_file.read_text(errors="replace") if error_file.exists() else ""
        return SippRun(done.returncode, done.stdout + done.stderr, errors)

    def start(self) -> subprocess.Popen:
        """Start the scenario in the background (the caller waits for it)."""
        work_dir = self.work_dir or Path.cwd()
        command = [*self.command(), "-error_file", str(work_dir / f"sipp-{self.sip_port}-errors.log")]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work_dir)
