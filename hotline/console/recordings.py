"""Listening to a call's voicemail: who may, the audit row, the media from the phone network, seeking in it."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts.models import User
from hotline.audit import AuditEntry
from hotline.console.exceptions import NoRecording, NotAllowedToListen, RecordingUnavailable
from hotline.console.services import may_see_call
from hotline.escalation.models import Escalation, Reason
from hotline.telephony.models import Call
from hotline.telephony.providers import RecordingAudio, TelephonyError, TelephonyProvider

log = logging.getLogger("hotline.console.recordings")
LISTEN_AUDIT_WINDOW = timedelta(minutes=10)
"""A user's listens to one call within this window make one audit row (a player seeking asks again)."""
MAX_SEEKABLE_BYTES = 16 * 1024 * 1024
"""A part of a recording is served from a copy in memory up to this size (hours of voicemail MP3)."""


def may_listen(session: Session, call: Call, user: User) -> bool:
    """Return whether the user may hear the call's recording.

    Its worker and supervisors may, as on the call page; any worker may when the call
    awaits a callback, since whoever takes the callback must hear the message first.
    """
    if may_see_call(session, call, user):
        return True
    callback = select(Escalation.id).where(Escalation.call_id == call.id, Escalation.reason == Reason.CALLBACK.value)
    return session.scalar(callback) is not None


def listen(session: Session, call_id: int, user: User, provider: TelephonyProvider, now: datetime) -> RecordingAudio:
    """Fetch the call's voicemail for the user to hear, and record in the audit log that they listened.

    Args:
        session: the database session (committed here, with the audit row).
        call_id: the call whose recording is asked for.
        user: the logged-in worker.
        provider: the phone network that holds the recording.
        now: the time of the listen.

    Returns:
        The recording's media, to stream back.

    Raises:
        NoRecording: no such call, or it has no recording.
        NotAllowedToListen: the user may not hear this call.
        RecordingUnavailable: the phone network did not deliver the media.
    """
    call = session.get(Call, call_id)
    if call is None or not call.recording_url:
        raise NoRecording(call_id)
    if not may_listen(session, call, user):
        raise NotAllowedToListen(call_id)
    try:
        audio = provider.fetch_recording(call.recording_url)
    except TelephonyError as exc:
        log.warning("recording of call %s unavailable: %s", call.id, exc)
        raise RecordingUnavailable(call_id) from exc
    if not listened_recently(session, call, user, now):
        entry = audit.record(
            session,
            "recording.listen",
            actor_id=user.id,
            target=f"call:{call.id}",
            detail={"recording_sid": call.recording_sid, "simulated": audio.simulated},
        )
        entry.at = now
        session.commit()
    return audio


def listened_recently(session: Session, call: Call, user: User, now: datetime) -> bool:
    """Return whether the user's listen to this call is in the audit log already, from the last few minutes.

    A browser's player asks for the recording again for every seek (a byte range
    each time): the audit log keeps one row per sitting, not one per seek, and
    every request is still checked and counted within that window.
    """
    since = now - LISTEN_AUDIT_WINDOW
    query = select(AuditEntry.id).where(
        AuditEntry.action == "recording.listen",
        AuditEntry.actor_id == user.id,
        AuditEntry.target == f"call:{call.id}",
        AuditEntry.at > since,
        AuditEntry.at <= now,
    )
    return session.scalar(query.limit(1)) is not None


def audio_response(audio: RecordingAudio, request: Request) -> Response:
    """Return the recording as a response: streamed whole, or the byte range a seeking player asked for (206).

    The phone network's media is fetched whole either way; for a range it is read
    into memory (at most MAX_SEEKABLE_BYTES, else the whole media is streamed, which
    HTTP allows) and Werkzeug answers the range, or 416 when it lies outside.
    """
    if request.range is None:
        response = Response(audio.chunks, mimetype=audio.content_type)
        if audio.length is not None:
            response.content_length = audio.length
    else:
        body, chunks = _read_at_most(audio, MAX_SEEKABLE_BYTES)
        if body is None:
            response = Response(chunks, mimetype=audio.content_type)
        else:
            response = Response(body, mimetype=audio.content_type)
            response.make_conditional(request, accept_ranges=True, complete_length=len(body))
    response.accept_ranges = "bytes"
    response.headers["Cache-Control"] = "no-store"
    return response


def _read_at_most(audio: RecordingAudio, limit: int) -> tuple[bytes | None, Iterable[bytes]]:
    """Read the whole media into memory; (None, every chunk) instead when it is longer than `limit`."""
    if audio.length is not None and audio.length > limit:
        return None, audio.chunks
    chunks: list[bytes] = []
    size = 0
    iterator = iter(audio.chunks)
    for chunk in iterator:
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None, itertools.chain(chunks, iterator)
    return b"".join(chunks), chunks
