"""Twilio's REST wire format as the gateway speaks it: paths, parameters, errors, dates, media."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

Json = dict[str, Any]
Params = dict[str, str | list[str]]
API = "/2010-04-01/Accounts/{account}"
MULTI_VALUED = {"StatusCallbackEvent", "RecordingStatusCallbackEvent", "MediaUrl"}
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/x-wav"}


SILENT_MP3_FRAME = b"\xff\xfb\x90\xc0" + bytes(413)
"""One MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz, mono) with no audio data: 26 ms of silence."""


def recording_media(sid: str, extension: str) -> bytes:
    """Return the audio served for a simulated recording: one playable second, named after its SID.

    The MP3 is an ID3 tag whose title holds the SID, then silence; the WAV is a quiet 440 Hz tone.
    """
    if extension == "mp3":
        title = b"\x03" + f"simulated recording {sid}".encode()  # 3: UTF-8
        frame = b"TIT2" + _syncsafe(len(title)) + b"\x00\x00" + title
        tag = b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame
        return tag + SILENT_MP3_FRAME * 38
    rate = 8000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(4000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(rate))
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return buffer.getvalue()


def _syncsafe(size: int) -> bytes:
    """Return an ID3v2.4 size: four bytes of seven bits each."""
    return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


@dataclass
class Media:
    """A non-JSON answer (a recording's audio)."""

    content_type: str
    data: bytes


@dataclass
class RestRequest:
    """One request the app made to the REST API, and the status it got."""

    method: str
    path: str
    params: Params
    username: str | None
    status: int


class RestError(Exception):
    """An error answered in Twilio's JSON format."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> Json:
        """Return Twilio's error JSON."""
        more_info = f"https://www.twilio.com/docs/errors/{self.code}"
        return {"code": self.code, "message": self.message, "more_info": more_info, "status": self.status}


def rfc2822(moment: datetime | None) -> str | None:
    """Format a datetime as Twilio's REST API does."""
    return format_datetime(moment) if moment else None
