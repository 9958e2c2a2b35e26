"""What every Twilio webhook view needs: its parameters, TwiML and empty answers, and the safety net.

`@safe_twiml` turns any failure of a view into the safe TwiML it names, so a
caller never hears an error or silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.extensions import db

log = logging.getLogger("hotline.telephony.routes")  # the webhooks' logger, whichever module the view is in


def xml(response: VoiceResponse | MessagingResponse) -> Response:
    """Return TwiML as an HTTP response."""
    return Response(str(response), mimetype="text/xml")


def no_content() -> Response:
    """Answer a callback nobody listens to."""
    return Response(status=204)


def param(name: str) -> str:
    """Return a POST (or query) parameter as text, empty when missing."""
    return (request.form.get(name) or request.args.get(name) or "").strip()


def int_param(name: str) -> int | None:
    """Return a numeric parameter, None when missing or malformed."""
    try:
        return int(float(param(name)))
    except ValueError:
        return None


def safe_twiml(fallback: Callable[[], Response]) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Answer `fallback()` when the route fails, so the caller never hears an error or silence."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except Exception:  # noqa: BLE001  (any failure becomes safe TwiML, never a 500)
                log.exception("telephony webhook %s failed; answering safe TwiML", request.path)
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001
                    log.exception("rollback failed")
                return fallback()

        return guarded

    return decorate
