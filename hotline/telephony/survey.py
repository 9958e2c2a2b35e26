"""The optional post-call question: its settings and its TwiML (the webhooks are in routes/survey.py).

The telephony Dial action redirects the caller's leg to `survey_url(call_sid)`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from twilio.twiml.voice_response import VoiceResponse

from hotline.extensions import db
from hotline.settings import Setting
from hotline.telephony.line_settings import LineSettings
from hotline.telephony.twiml import speak

SETTING_KEY = "cases.survey"
DEFAULTS = {"enabled": True}
"""Whether callers are asked; what they hear are prompts of the line (survey_question, survey_again, survey_thanks)."""


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


def twiml(response: VoiceResponse) -> Response:
    """Answer TwiML."""
    return Response(str(response), mimetype="text/xml")


def hang_up(line: LineSettings, prompt: str | None = None) -> Response:
    """Speak the line's prompt `prompt` (if any) and hang up."""
    response = VoiceResponse()
    if prompt:
        speak(response, line, prompt)
    response.hangup()
    return twiml(response)


def ask(line: LineSettings, call_sid: str, attempt: int, lead: str | None = None) -> Response:
    """Ask the question (after the line's prompt `lead`, if any) and gather one digit."""
    response = VoiceResponse()
    action = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "survey.answer", call_sid=call_sid, attempt=attempt
    )
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=8, action_on_empty_result=True)
    if lead:
        speak(gather, line, lead)
    speak(gather, line, "survey_question")
    return twiml(response)
