"""Connecting a waiting caller to a worker: the <Dial> TwiML, and what happens when the <Dial> ends.

These views join the telephony blueprint (`routes.bp`); the services behind them
are in `connecting`.
"""

from __future__ import annotations

from flask import Response

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony import connecting, services, survey, twiml
from hotline.telephony.events import announce
from hotline.telephony.routes.voice import (
    P_ENQUEUE,
    P_STATUS,
    bp,
    enqueue_twiml,
    enqueue_without_database,
    line_settings,
)
from hotline.telephony.security import twilio_webhook
from hotline.telephony.timeline import TERMINAL
from hotline.telephony.urls import public_url
from hotline.telephony.webhook_support import int_param, param, safe_twiml, xml


@bp.post("/twilio/voice/connect/<call_sid>")
@twilio_webhook
@safe_twiml(enqueue_without_database)
def voice_connect(call_sid: str) -> Response:
    """Dial the worker the call was given to: their browser (<Client>) or their phone (<Number>)."""
    settings = line_settings()
    call = services.get_call(db.session, call_sid)
    target = connecting.dial_target(call)
    if not target or call.status in TERMINAL:
        return enqueue_twiml(settings, call)
    worker = target.get("worker_id")
    return xml(
        twiml.dial_worker(
            settings,
            identity=target.get("identity"),  # type: ignore[arg-type]
            number=target.get("number"),  # type: ignore[arg-type]
            action_url=public_url(f"/twilio/voice/dial-result/{call.call_sid}"),
            status_callback_url=public_url(P_STATUS, worker=worker),
            caller_id=param("From") or None,
        )
    )


@bp.post("/twilio/voice/dial-result/<call_sid>")
@twilio_webhook
@safe_twiml(enqueue_without_database)
def dial_result(call_sid: str) -> Response:
    """After the <Dial>: goodbye if the worker talked with the caller, else back to the front of the queue."""
    settings = line_settings()
    call = services.get_call(db.session, call_sid)
    action = connecting.dial_result(db.session, call, param("DialCallStatus"), int_param("DialCallDuration"), utcnow())
    announce(call)
    if action == "goodbye":
        if survey.is_enabled():
            # The worker hung up after talking: ask the caller the optional 1-5 question.
            return xml(twiml.redirect_to(survey.survey_url(call.call_sid)))
        return xml(twiml.goodbye(settings))
    return xml(twiml.back_to_queue(settings, public_url(P_ENQUEUE)))
