"""The optional post-call question: its settings and its TwiML (the webhooks are in routes/survey.py).

The telephony Dial action redirects the caller's leg to `survey_url(call_sid)`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from twilio.twiml.voice_response import VoiceResponse

from hotline.extensions import db
from hotline.settings import Setting

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
