"""Sound for SIP calls: WAV players that say when they finish, and recorders."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import pjsua2 as pj

# A recorder at the bridge's 8 kHz writes 16-bit mono: 16000 bytes a second after the header.
BYTES_PER_SECOND = 16000
WAV_HEADER = 44


class Player(pj.AudioMediaPlayer):
    """Play one WAV file (once, or looping); `finished` is set at its end (from PJSIP's media thread)."""

    def __init__(self, path: Path, wake: threading.Event | None = None, loop: bool = False) -> None:
        super().__init__()
        self.finished = threading.Event()
        self._wake = wake
        self.createPlayer(str(path), 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)

    def onEof2(self) -> None:  # noqa: N802 - pjsua2's name
        """Flag the end of the file; the owner stops and drops the player on the PJSIP thread."""
        self.finished.set()
        if self._wake is not None:
            self._wake.set()


class Recorder(pj.AudioMediaRecorder):
    """Write what one call's caller says to a WAV file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.createRecorder(str(path))


def wav_seconds(path: Path) -> float:
    """The length of a WAV file in seconds (0 when it is empty or unreadable)."""
    try:
        with wave.open(str(path), "rb") as sound:
            frames = sound.getnframes()
            if frames:
                return frames / sound.getframerate()
    except (wave.Error, EOFError, OSError):
        pass
    # PJSIP fills in the header's sizes only when the recorder is destroyed.
    size = path.stat().st_size if path.exists() else 0
    return max(0, size - WAV_HEADER) / BYTES_PER_SECOND
