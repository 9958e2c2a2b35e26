"""TwiML for the warm transfer's conference (Twilio fetches it; the signature is checked)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.console.routes import bp
from hotline.console.transfers import conference_name
from hotline.extensions import db
from hotline.telephony.models import Call
from hotline.telephony.routes.voice import apologise_and_hang_up, enqueue_without_database
from hotline.telephony.security import twilio_webhook
from hotline.telephony.webhook_support import safe_twiml, xml


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
        dial = Dial()
        dial.conference(
            conference_name(call),
            start_conference_on_enter=True,
            end_conference_on_exit=(leg == "caller"),
            beep=False,
        )
        response.append(dial)
    return xml(response)
