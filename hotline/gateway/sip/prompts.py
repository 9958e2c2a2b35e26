"""What a SIP caller hears, as 8 kHz mono WAV files rendered once and cached.

`<Say>` is spoken by espeak-ng (Mandarin voice `cmn` unless the language says otherwise),
`<Play>` URLs are fetched and converted by sox (WAV, MP3), and the beep and hold music are
made here. A prompt that cannot be rendered falls back to a tone: never silence.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import struct
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import requests

from hotline.gateway.media.audio import RATE, convert_to_line
from hotline.gateway.media.backend import Prompt
from hotline.gateway.sip.audio import wav_seconds

log = logging.getLogger(__name__)
FETCHED_FRESH_SECONDS = 300.0
VOICES = {"cmn": "cmn", "zh": "cmn", "yue": "yue", "en": "en"}


def espeak_voice(language: str | None) -> str:
    """The espeak-ng voice for a TwiML language ("cmn-CN", "zh-CN" -> cmn; "en-GB" -> en)."""
    prefix = (language or "cmn").split("-", 1)[0].lower()
    return VOICES.get(prefix, "cmn")


def write_tone(path: Path, parts: list[tuple[float, float]], volume: int = 6000) -> Path:
    """Write a WAV of (frequency Hz, seconds) parts; frequency 0 is silence."""
    frames = bytearray()
    for frequency, seconds in parts:
        for n in range(int(RATE * seconds)):
            sample = int(volume * math.sin(2 * math.pi * frequency * n / RATE)) if frequency else 0
            frames += struct.pack("<h", sample)
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(RATE)
        sound.writeframes(bytes(frames))
    return path


class Prompts:
    """Render prompts into `cache_dir`; `render(prompt)` returns the file and its length in seconds."""

    def __init__(self, cache_dir: Path, http: requests.Session | None = None, fetch_timeout: float = 5.0) -> None:
        self.cache_dir = cache_dir
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.http = http or requests.Session()
        self.fetch_timeout = fetch_timeout
        self.beep = self._made("beep", [(1000.0, 0.5)])
        chime = [(440.0, 0.4), (0, 0.1), (554.0, 0.4), (0, 0.1), (659.0, 0.8), (0, 1.2)]
        self.hold_music = self._made("hold-music", chime)
        self.fault_tone = self._made("fault-tone", [(950.0, 0.33), (1400.0, 0.33), (1800.0, 0.33), (0, 0.5)])

    def render(self, prompt: Prompt) -> tuple[Path, float]:
        """Return the WAV file for a prompt and how long it plays once."""
        if prompt.kind == "say":
            path = self.say(prompt.text, prompt.language)
        elif prompt.kind == "play":
            path = self.fetch(prompt.url)
        elif prompt.kind == "beep":
            path = self.beep
        elif prompt.kind == "hold-music":
            path = self.hold_music
        else:  # digits: the far end hears a short pause
            path = self._made("pause-1s", [(0, 1.0)])
        return path, wav_seconds(path)

    def say(self, text: str, language: str | None = None) -> Path:
        """Speak `text` with espeak-ng into a cached WAV (the fault tone when espeak-ng is missing)."""
        voice = espeak_voice(language)
        target = self.cache_dir / f"say-{_digest(voice, text)}.wav"
        if target.exists():
            return target
        if not shutil.which("espeak-ng") or not shutil.which("sox"):
            log.error("espeak-ng or sox is missing: playing a tone for %r", text[:40])
            return self.fault_tone
        with tempfile.TemporaryDirectory(dir=self.cache_dir) as work:
            spoken = Path(work) / "spoken.wav"
            try:
                subprocess.run(["espeak-ng", "-v", voice, "-w", str(spoken), "--", text], check=True, timeout=30)
                convert_to_line(spoken, target)
            except (subprocess.SubprocessError, OSError):
                log.exception("text-to-speech failed for %r", text[:40])
                return self.fault_tone
        return target

    def fetch(self, url: str) -> Path:
        """Fetch a <Play> URL and convert it to 8 kHz mono WAV, cached for a few minutes."""
        target = self.cache_dir / f"play-{_digest(url)}.wav"
        if target.exists() and time.time() - target.stat().st_mtime < FETCHED_FRESH_SECONDS:
            return target
        try:
            response = self.http.get(url, timeout=self.fetch_timeout)
            response.raise_for_status()
            suffix = ".mp3" if "mpeg" in response.headers.get("Content-Type", "") or url.endswith(".mp3") else ".wav"
            with tempfile.TemporaryDirectory(dir=self.cache_dir) as work:
                fetched = Path(work) / f"fetched{suffix}"
                fetched.write_bytes(response.content)
                convert_to_line(fetched, target)
        except (requests.RequestException, subprocess.SubprocessError, OSError):
            log.exception("cannot play %s", url)
            return target if target.exists() else self.fault_tone
        return target

    def _made(self, name: str, parts: list[tuple[float, float]]) -> Path:
        path = self.cache_dir / f"{name}.wav"
        if not path.exists():
            write_tone(path, parts)
        return path


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
