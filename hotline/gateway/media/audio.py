"""Audio files as a phone line plays them: 8 kHz, mono, 16-bit signed PCM WAV, made by sox.

Shared by the SIP backend (prompts fetched or spoken) and the application (prompts
a manager uploads), so that both hear the same conversion.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

RATE = 8000
CONVERT_TIMEOUT_SECONDS = 60.0


def convert_to_line(source: Path, target: Path, timeout: float = CONVERT_TIMEOUT_SECONDS) -> None:
    """Convert any file sox reads (WAV, MP3) to the line's WAV at `target`, which appears only when complete.

    Raises:
        subprocess.SubprocessError (sox failed or ran past `timeout`), OSError (sox missing).
    """
    partial = target.with_suffix(".part.wav")
    try:
        subprocess.run(
            ["sox", str(source), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(partial)],
            check=True,
            timeout=timeout,
            capture_output=True,
        )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def line_wav_seconds(path: Path) -> float:
    """The length of a complete WAV file in seconds (0 when it is empty or unreadable)."""
    try:
        with wave.open(str(path), "rb") as sound:
            return sound.getnframes() / sound.getframerate()
    except (wave.Error, EOFError, OSError, ZeroDivisionError):
        return 0.0
