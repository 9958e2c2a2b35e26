"""The caller's options when nobody answers: a voicemail or a callback, and the recording's callbacks.

These views join the telephony blueprint (`routes.bp`); like every webhook they
answer safe TwiML when anything fails.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony import services, twiml
from hotline.telephony.events import announce
from hotline.telephony.routes.voice import (
    P_OPTIONS,
    P_RECORDING,
    P_VOICEMAIL_DONE,
    bp,
    goodbye_without_database,
    line_settings,
    voicemail_without_database,
)
from hotline.telephony.security import twilio_webhook
from hotline.telephony.urls import public_url
from hotline.telephony.webhook_support import int_param, no_content, param, safe_twiml, xml


@bp.post(P_OPTIONS)
@twilio_webhook
@safe_twiml(voicemail_without_database)
def voice_options() -> Response:
    """1 leaves a voicemail, 2 asks for a callback; anything else (or silence) goes to voicemail."""
    settings = line_settings()
    call = services.find_call(db.session, param("CallSid"))
    if call is not None and param("Digits")[:1] == "2":
        if services.request_callback(db.session, call, utcnow()):
            announce(call, callback_reason="callback-requested")
            return xml(twiml.goodbye(settings, "callback_confirmed"))
        lead = "callback_no_number"
        return xml(twiml.record_voicemail(settings, public_url(P_VOICEMAIL_DONE), public_url(P_RECORDING), lead=lead))
    return xml(twiml.record_voicemail(settings, public_url(P_VOICEMAIL_DONE), public_url(P_RECORDING)))


def store_voicemail(call: Any) -> None:
    """Store the recording the request describes (action or status callback), once per RecordingSid."""
    new = services.store_recording(
        db.session,
        call,
        recording_sid=param("RecordingSid"),
        url=param("RecordingUrl") or None,
        duration=int_param("RecordingDuration"),
        status=param("RecordingStatus") or "completed",
        now=utcnow(),
    )
    if new:
        announce(call, callback_reason="voicemail")


@bp.post(P_VOICEMAIL_DONE)
@twilio_webhook
@safe_twiml(goodbye_without_database)
def voicemail_done() -> Response:
    """Thank the caller for the message (or note there was none) and hang up."""
    settings = line_settings()
    call = services.find_call(db.session, param("CallSid"))
    if call is not None and param("RecordingSid"):
        store_voicemail(call)
    if (int_param("RecordingDuration") or 0) > 0:
        return xml(twiml.goodbye(settings, "voicemail_thanks"))
    return xml(twiml.goodbye(settings, "no_voicemail", "goodbye"))


@bp.post(P_RECORDING)
@twilio_webhook
@safe_twiml(no_content)
def recording_status() -> Response:
    """Store the finished recording against the call (Twilio's recording status callback)."""
    call = services.find_call(db.session, param("CallSid"))
    if call is not None:
        store_voicemail(call)
    return no_content()
