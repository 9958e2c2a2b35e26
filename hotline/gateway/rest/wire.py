"""Twilio's REST wire format as the gateway speaks it: paths, parameters, errors, dates, media."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

Json = dict[str, Any]
Params = dict[str, str | list[str]]
API = "/2010-04-01/Accounts/{account}"
MULTI_VALUED = {"StatusCallbackEvent", "RecordingStatusCallbackEvent", "MediaUrl"}
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/x-wav"}


def recording_media(sid: str, extension: str) -> bytes:
    """Return the stand-in bytes served for a recording: a format's magic number, then the SID."""
    magic = b"ID3\x04\x00\x00\x00\x00\x00\x00" if extension == "mp3" else b"RIFF\x00\x00\x00\x00WAVE"
    return magic + f"fake recording {sid}".encode()


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
