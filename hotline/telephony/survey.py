"""The optional post-call question: after the worker hangs up, the caller may press 1-5.

The telephony Dial action redirects the caller's leg to `survey_url(call_sid)`.
Every answer is TwiML, never an error page: a caller must never hear Twilio's
error prompt because of a survey.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.settings import Setting
from hotline.telephony.security import twilio_webhook
from hotline.telephony.services import record_satisfaction

log = logging.getLogger("hotline.telephony.survey")
bp = Blueprint("survey", __name__, url_prefix="/twilio/survey")
SETTING_KEY = "cases.survey"
DEFAULTS = {
    "enabled": True,
    "question": "感谢您的来电。请为本次服务打分：非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。",
    "thanks": "谢谢您的评价，再见。",
    "again": "请按1到5之间的数字。",
}


def survey_url(call_sid: str) -> str:
    """Return the absolute URL the Dial action redirects the caller to after the worker hangs up."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/twilio/survey/{call_sid}"


def is_enabled() -> bool:
    """Tell whether callers are asked the post-call question."""
    return bool(settings()["enabled"])


def settings() -> dict[str, Any]:
    """Return the survey settings (the defaults overlaid with the manager's)."""
    row = db.session.get(Setting, SETTING_KEY)
    return {**DEFAULTS, **(row.value if row is not None else {})}


def say(response: Any, text: str) -> None:
    """Speak Mandarin with the configured voice."""
    voice = current_app.config.get("TWILIO_SAY_VOICE", "Polly.Zhiyu")
    response.say(text, language="cmn-CN", voice=voice)


def twiml(response: VoiceResponse) -> Response:
    """Answer TwiML."""
    return Response(str(response), mimetype="text/xml")


def hang_up(text: str | None = None) -> Response:
    """Say `text` (if any) and hang up."""
    response = VoiceResponse()
    if text:
        say(response, text)
    response.hangup()
    return twiml(response)


def ask(call_sid: str, attempt: int, lead: str | None = None) -> Response:
    """Ask the question and gather one digit."""
    config = settings()
    response = VoiceResponse()
    action = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "survey.answer", call_sid=call_sid, attempt=attempt
    )
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=8, action_on_empty_result=True)
    if lead:
        say(gather, lead)
    say(gather, config["question"])
    return twiml(response)


@bp.route("/<call_sid>", methods=["GET", "POST"])
@twilio_webhook
def start(call_sid: str) -> Response:
    """Ask the caller to rate the call (or hang up when the survey is off)."""
    try:
        if not settings()["enabled"]:
            return hang_up()
        return ask(call_sid, 1)
    except Exception:  # noqa: BLE001  (the caller must hear TwiML, never an error)
        log.exception("survey start failed")
        db.session.rollback()
        return hang_up()


@bp.post("/<call_sid>/answer")
@twilio_webhook
def answer(call_sid: str) -> Response:
    """Record a 1-5 answer against the call; ask once more on anything else, then hang up."""
    try:
        config = settings()
        digits = (request.form.get("Digits") or "").strip()
        if record_satisfaction(db.session, call_sid, digits, utcnow()) is not None:
            return hang_up(config["thanks"])
        attempt = request.args.get("attempt", default=1, type=int)
        if attempt < 2 and digits:
            return ask(call_sid, attempt + 1, lead=config["again"])
        return hang_up(config["thanks"] if digits else None)
    except Exception:  # noqa: BLE001  (the caller must hear TwiML, never an error)
        log.exception("survey answer failed")
        db.session.rollback()
        return hang_up()
