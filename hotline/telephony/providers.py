"""The telephony provider: the one door to the phone network (Twilio or the simulator).

Application code never imports twilio.rest; it calls `get_provider()` and the
methods below. Which implementation answers is chosen by TELEPHONY.
"""

from __future__ import annotations

import io
import itertools
import math
import struct
import threading
import wave
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app


class TelephonyError(Exception):
    """The provider could not do what was asked.

    `retryable`: trying again later may work (network down, a 5xx).
    `maybe_done`: the request may have reached the network (a timeout), so a
    create (SMS, call) must not be sent again blindly.
    """

    def __init__(self, message: str, *, retryable: bool = False, maybe_done: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.maybe_done = maybe_done


@dataclass
class RecordingAudio:
    """A recording's media, ready to stream to a browser."""

    content_type: str
    chunks: Iterable[bytes]
    length: int | None = None
    simulated: bool = False
    """True when there is no real audio (the simulator): the bytes are a generated tone."""


def simulated_audio() -> RecordingAudio:
    """Return a generated one-second quiet 440 Hz tone as WAV: the simulator records no real audio."""
    rate = 8000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(4000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(rate))
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    data = buffer.getvalue()
    return RecordingAudio("audio/wav", [data], len(data), simulated=True)


class TelephonyProvider(Protocol):
    """What the application may ask of the phone network."""

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
        """Send an SMS to an E.164 number; return the provider's message id."""

    def place_call(self, to: str, url: str, status_callback: str | None = None) -> str:
        """Call an E.164 number (or client:identity) and fetch TwiML from `url`; return the call id."""

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Move a live call (queued or in progress) to the TwiML at `url`."""

    def hang_up(self, call_sid: str) -> None:
        """End a live call."""

    def update_participant(
        self, conference: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None, hold_url: str = ""
    ) -> None:
        """Mute or unmute, hold or resume a call in the live conference named `conference`.

        A held participant hears the TwiML at `hold_url` (hold music) and is not heard.

        Raises:
            TelephonyError: no such live conference or participant, or the network refused.
        """

    def fetch_recording(self, recording_url: str) -> RecordingAudio:
        """Fetch a recording's media (the RecordingUrl Twilio sent) to stream to a worker.

        Raises:
            TelephonyError: the media could not be fetched.
        """

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording from the phone network (done already, or unknown there, is success).

        Raises:
            TelephonyError: the network did not confirm the deletion (try again on the next run).
        """


@dataclass
class RecordingProvider:
    """Keeps what it was asked to do in memory (tests and the simulator's base)."""

    messages: list[dict[str, str | None]] = field(default_factory=list)
    calls: list[dict[str, str | None]] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    hangups: list[str] = field(default_factory=list)
    participant_updates: list[dict[str, object]] = field(default_factory=list)
    deleted_recordings: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
        """Record an SMS."""
        with self._lock:
            sid = f"SM{next(self._ids):032d}"
            self.messages.append({"sid": sid, "to": to, "body": body, "status_callback": status_callback})
        return sid

    def place_call(self, to: str, url: str, status_callback: str | None = None) -> str:
        """Record an outgoing call."""
        with self._lock:
            sid = f"CA{next(self._ids):032d}"
            self.calls.append({"sid": sid, "to": to, "url": url, "status_callback": status_callback})
        return sid

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Record a redirect."""
        with self._lock:
            self.redirects.append((call_sid, url))

    def hang_up(self, call_sid: str) -> None:
        """Record a hang-up."""
        with self._lock:
            self.hangups.append(call_sid)

    def update_participant(
        self, conference: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None, hold_url: str = ""
    ) -> None:
        """Record a participant's update."""
        with self._lock:
            self.participant_updates.append(
                {"conference": conference, "call_sid": call_sid, "muted": muted, "hold": hold, "hold_url": hold_url}
            )

    def fetch_recording(self, recording_url: str) -> RecordingAudio:
        """Return a generated tone: nothing real was recorded."""
        return simulated_audio()

    def delete_recording(self, recording_sid: str) -> None:
        """Record a deletion."""
        with self._lock:
            self.deleted_recordings.append(recording_sid)


def get_provider() -> TelephonyProvider:
    """Return the app's telephony provider (installed by the telephony package, else a recorder)."""
    provider = current_app.extensions.get("hotline_telephony")
    if provider is None:
        provider = RecordingProvider()
        current_app.extensions["hotline_telephony"] = provider
    return provider
