"""Listening to a call's voicemail: who may, the audit row, the media from the phone network."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.accounts.models import User
from hotline.console.exceptions import NoRecording, NotAllowedToListen, RecordingUnavailable
from hotline.console.services import may_see_call
from hotline.escalation.models import Escalation, Reason
from hotline.telephony.models import Call
from hotline.telephony.providers import RecordingAudio, TelephonyError, TelephonyProvider

log = logging.getLogger("hotline.console.recordings")


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
