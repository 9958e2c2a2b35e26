"""The post-call question's webhooks: after the worker hangs up, the caller may press 1-5.

Every answer is TwiML, never an error page: a caller must never hear Twilio's
error prompt because of a survey.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony.routes.voice import cached_settings, line_settings
from hotline.telephony.security import twilio_webhook
from hotline.telephony.services import record_satisfaction
from hotline.telephony.survey import ask, hang_up, settings

log = logging.getLogger("hotline.telephony.survey")
bp = Blueprint("survey", __name__, url_prefix="/twilio/survey")


@bp.route("/<call_sid>", methods=["GET", "POST"])
@twilio_webhook
def start(call_sid: str) -> Response:
    """Ask the caller to rate the call (or hang up when the survey is off)."""
    try:
        if not settings()["enabled"]:
            return hang_up(cached_settings())
        return ask(line_settings(), call_sid, 1)
    except Exception:  # noqa: BLE001  (the caller must hear TwiML, never an error)
        log.exception("survey start failed")
        db.session.rollback()
        return hang_up(cached_settings())


@bp.post("/<call_sid>/answer")
@twilio_webhook
def answer(call_sid: str) -> Response:
    """Record a 1-5 answer against the call; ask once more on anything else, then hang up."""
    try:
        line = line_settings()
        digits = (request.form.get("Digits") or "").strip()
        if record_satisfaction(db.session, call_sid, digits, utcnow()) is not None:
            return hang_up(line, "survey_thanks")
        attempt = request.args.get("attempt", default=1, type=int)
        if attempt < 2 and digits:
            return ask(line, call_sid, attempt + 1, lead="survey_again")
        return hang_up(line, "survey_thanks" if digits else None)
    except Exception:  # noqa: BLE001  (the caller must hear TwiML, never an error)
        log.exception("survey answer failed")
        db.session.rollback()
        return hang_up(cached_settings())
