"""The caller's options when nobody answers: a voicemail or a callback, and the recording's callbacks.

These views join the telephony blueprint (`routes.bp`); like every webhook they
answer safe TwiML when anything fails.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from hotline import signals
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.sms import services as sms_services
from hotline.telephony import services, twiml
from hotline.telephony.events import announce
from hotline.telephony.routes.voice import (
    P_OPTIONS,
    P_RECORDING,
    P_SMS_CONSENT,
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
            if sms_services.may_offer_sms(db.session, call.from_number):
                return xml(twiml.offer_sms(settings, public_url(P_SMS_CONSENT)))
            return xml(twiml.goodbye(settings, "callback_confirmed"))
        lead = "callback_no_number"
        return xml(twiml.record_voicemail(settings, public_url(P_VOICEMAIL_DONE), public_url(P_RECORDING), lead=lead))
    return xml(twiml.record_voicemail(settings, public_url(P_VOICEMAIL_DONE), public_url(P_RECORDING)))


@bp.post(P_SMS_CONSENT)
@twilio_webhook
@safe_twiml(goodbye_without_database)
def sms_consent() -> Response:
    """1 records the caller's consent to SMS (the callback confirmation follows by SMS); then goodbye."""
    settings = line_settings()
    call = services.find_call(db.session, param("CallSid"))
    if call is None or param("Digits")[:1] != "1" or not call.from_number:
        return xml(twiml.goodbye(settings, "goodbye"))
    sms_services.record_consent(db.session, call.from_number, "keypress", utcnow())
    db.session.commit()
    signals.sms_consent_given.send(current_app._get_current_object(), call_id=call.id)
    return xml(twiml.goodbye(settings, "sms_consent_thanks"))


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
