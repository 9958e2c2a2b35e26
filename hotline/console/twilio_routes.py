"""TwiML and callbacks of the call's conference (Twilio fetches them; the signature is checked)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.clock import utcnow
from hotline.console import line, transfers
from hotline.console.routes import bp
from hotline.extensions import db
from hotline.routing import adapters
from hotline.telephony import twiml
from hotline.telephony.models import Call
from hotline.telephony.routes.voice import (
    P_ENQUEUE,
    apologise_and_hang_up,
    enqueue_without_database,
    line_settings,
)
from hotline.telephony.security import twilio_webhook
from hotline.telephony.urls import public_url
from hotline.telephony.webhook_support import param, safe_twiml, xml

CONFERENCE_EVENTS = "join leave mute hold"


def conference_without_database() -> Response:
    """Hold the caller in the queue, apologising; a worker's or expert's leg hears the apology and hangs up."""
    if request.args.get("leg") == "caller":
        return enqueue_without_database()
    return apologise_and_hang_up()


@bp.post("/twilio/console/conference/<int:call_id>")
@twilio_webhook
@safe_twiml(conference_without_database)
def conference(call_id: int) -> Any:
    """Put a leg (caller, worker or expert) into the call's conference; it ends when the caller leaves."""
    call = db.session.get(Call, call_id)
    response = VoiceResponse()
    if call is None:
        response.hangup()
    else:
        leg = request.args.get("leg", "expert")
        options = line.joining_twiml_options(db.session, call, param("CallSid"), leg, utcnow())
        dial = Dial()
        dial.conference(
            line.conference_name(call),
            start_conference_on_enter=True,
            end_conference_on_exit=(leg == "caller"),
            beep=False,
            status_callback=public_url(f"/twilio/console/conference/{call.id}/events"),
            status_callback_event=CONFERENCE_EVENTS,
            **options,
        )
        response.append(dial)
    return xml(response)


@bp.post("/twilio/console/conference/<int:call_id>/events")
@twilio_webhook
def conference_events(call_id: int) -> Any:
    """Take the conference's status callbacks: who joined or left, hold and mute confirmed."""
    call = db.session.get(Call, call_id)
    if call is not None:
        line.conference_event(db.session, call, request.form.to_dict(), utcnow(), adapters.get_provider())
    return Response(status=204)


def hold_without_database() -> Response:
    """Keep a held caller waiting in silence, asking again in a while: hold never drops a caller."""
    return xml(twiml.on_hold(None, public_url("/twilio/console/hold")))


@bp.post("/twilio/console/hold")
@twilio_webhook
@safe_twiml(hold_without_database)
def hold_music() -> Any:
    """Play the line's hold music (or say that the worker is coming back) to a caller on hold."""
    return xml(twiml.on_hold(line_settings(), public_url("/twilio/console/hold")))


@bp.post("/twilio/console/expert/<int:call_id>")
@twilio_webhook
@safe_twiml(enqueue_without_database)
def expert_dial(call_id: int) -> Any:
    """Dial the expert of a cold transfer for the caller, from the hotline's number; else back to the queue."""
    settings = line_settings()
    call = db.session.get(Call, call_id)
    number = transfers.expert_phone(db.session, request.args.get("transfer", 0, type=int), call) if call else None
    if number is None:
        return xml(twiml.back_to_queue(settings, public_url(P_ENQUEUE)))
    action = public_url(f"/twilio/console/expert/{call_id}/result", transfer=request.args.get("transfer"))
    return xml(
        twiml.dial_number(settings, number, action_url=action, caller_id=current_app.config.get("TWILIO_NUMBER"))
    )


@bp.post("/twilio/console/expert/<int:call_id>/result")
@twilio_webhook
@safe_twiml(enqueue_without_database)
def expert_dial_result(call_id: int) -> Any:
    """After the expert's <Dial>: goodbye when they talked, else the caller goes back to the front of the queue."""
    settings = line_settings()
    call = db.session.get(Call, call_id)
    transfer_id = request.args.get("transfer", 0, type=int)
    if call is not None and transfers.expert_dial_ended(
        db.session, transfer_id, call, param("DialCallStatus"), utcnow()
    ):
        return xml(twiml.goodbye(settings))
    return xml(twiml.back_to_queue(settings, public_url(P_ENQUEUE)))
