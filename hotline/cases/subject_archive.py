"""The copy a caller gets of what is held about them: a zip of the JSON document and their recordings' audio.

The recordings are fetched from the phone network through the telephony provider
(the Twilio REST Recordings resource, or the gateway's copy of it), the way the
console plays them. A recording the network cannot deliver is named in the document
as unavailable; the archive is still made. The export is served as a subject
request (a SubjectRequest row and a `subject.export` audit entry naming the
recordings included).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO

import requests
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.cases.subjects import collect, export_document, serve
from hotline.telephony.providers import TelephonyError, TelephonyProvider

log = logging.getLogger(__name__)
DOCUMENT_NAME = "personal-data.json"
SPOOL_BYTES = 16 * 1024 * 1024
"""Archives up to this size stay in memory; larger ones go to a temporary file."""
EXTENSIONS = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav"}


@dataclass
class Archive:
    """A subject's export archive, ready to send."""

    file: IO[bytes]
    filename: str
    recordings: int
    unavailable: int


def export_archive(
    session: Session, number: str, requested_by: str, actor: User, now: datetime, provider: TelephonyProvider
) -> Archive:
    """Build the caller's export archive (the JSON document and each recording's audio) and record it as served.

    Args:
        session: the database session (committed here, with the request row and the audit entry).
        number: the caller's number (E.164).
        requested_by: who asked and how they were identified.
        actor: the supervisor serving the request.
        now: the time of the export.
        provider: the phone network holding the recordings.

    Returns:
        The archive, positioned at its start.
    """
    data = collect(session, number)
    document = export_document(data, now)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (handed to the response)
    included: list[str] = []
    unavailable: list[str] = []
    with zipfile.ZipFile(spool, "w") as archive:
        for call, entry in zip(data.calls, document["calls"], strict=True):
            if not call.recording_sid or not call.recording_url:
                continue
            name = add_recording(archive, call.recording_sid, call.recording_url, provider)
            entry["recording"]["file"] = name
            (included if name else unavailable).append(call.recording_sid)
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        archive.writestr(DOCUMENT_NAME, body, compress_type=zipfile.ZIP_DEFLATED)
    result = {"exported": data.counts(), "recordings_included": included, "recordings_unavailable": unavailable}
    serve(session, "export", data, requested_by, actor, now, result)
    spool.seek(0)
    return Archive(spool, f"personal-data-{now:%Y%m%d-%H%M%S}.zip", len(included), len(unavailable))


def add_recording(
    archive: zipfile.ZipFile, recording_sid: str, recording_url: str, provider: TelephonyProvider
) -> str | None:
    """Fetch one recording and store it as recordings/<sid>.<ext>; return that name, or None when unavailable.

    The audio is read whole before it is added, so a stream that breaks half-way adds nothing.
    """
    buffer = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (closed below)
    try:
        audio = provider.fetch_recording(recording_url)
        for chunk in audio.chunks:
            buffer.write(chunk)
    except (TelephonyError, OSError, requests.exceptions.RequestException) as exc:
        log.warning("recording %s unavailable for a subject export: %s", recording_sid, type(exc).__name__)
        buffer.close()
        return None
    extension = EXTENSIONS.get(audio.content_type.split(";")[0].strip().lower(), "audio")
    name = f"recordings/{recording_sid}.{extension}"
    buffer.seek(0)
    with buffer, archive.open(zipfile.ZipInfo(name), "w") as out:  # audio is compressed already: stored
        shutil.copyfileobj(buffer, out)
    return name
