"""TwiML for the warm transfer's conference (Twilio fetches it; the signature is checked)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.console.routes import bp
from hotline.console.transfers import conference_name
from hotline.extensions import db
from hotline.telephony.models import Call
from hotline.telephony.security import twilio_webhook


@bp.post("/twilio/console/conference/<int:call_id>")
@twilio_webhook
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
    return Response(str(response), mimetype="text/xml")
