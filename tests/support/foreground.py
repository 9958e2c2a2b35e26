"""A server that tests run in the foreground of a child process (Kamailio, rtpengine), logging to a file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Self

from tests.support.waiting import until


class Foreground:
    """The child process, its log, waiting until it answers and stopping it; `answers()` is the server's."""

    log: Path
    process: subprocess.Popen | None = None

    def answers(self) -> bool:
        """Whether the server answers one probe now."""
        raise NotImplementedError

    def wait_ready(self, timeout: float = 60) -> Self:
        """Wait until the server answers (it failed to start if it exited)."""
        until(lambda: self.answers() or (self.process and self.process.poll() is not None), timeout=timeout)
        assert self.process is not None and self.process.poll() is None, self.output()
        return self

    def stop(self) -> None:
        """Stop it and wait for it to exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def output(self) -> str:
        """What it logged, for an assertion message."""
        return self.log.read_text(errors="replace")[-4000:]
