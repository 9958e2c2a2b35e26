"""What every Twilio webhook view needs: its parameters, TwiML and empty answers, and the safety net.

`@safe_twiml` turns any failure of a view into the safe TwiML it names, so a
caller never hears an error or silence. Parameters are read without the
characters XML cannot hold, numbers only when finite, and every TwiML answer is
cleaned of them again, so that no value Twilio sends makes an answer invalid.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from hotline.extensions import db

log = logging.getLogger("hotline.telephony.routes")  # the webhooks' logger, whichever module the view is in
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold: NUL and the other C0 controls but tab and line ends, lone surrogates, U+FFFE/F."""
LARGEST_NUMBER = 10**9
"""Larger than any count Twilio sends (seconds, digits, positions); anything beyond is malformed."""


def xml_text(text: str) -> str:
    """Return the text without the characters XML cannot hold."""
    return NOT_XML.sub("", text)


def xml(response: VoiceResponse | MessagingResponse) -> Response:
    """Return TwiML as an HTTP response, valid XML whatever text went into it."""
    return Response(xml_text(str(response)), mimetype="text/xml")


def no_content() -> Response:
    """Answer a callback nobody listens to."""
    return Response(status=204)


def param(name: str) -> str:
    """Return a POST (or query) parameter as text without what XML cannot hold, empty when missing."""
    return xml_text(request.form.get(name) or request.args.get(name) or "").strip()


def int_param(name: str) -> int | None:
    """Return a numeric parameter as a whole number; None when missing, malformed, infinite, NaN or absurdly large."""
    try:
        number = float(param(name))
    except ValueError:
        return None
    if not math.isfinite(number) or abs(number) > LARGEST_NUMBER:
        return None
    return int(number)


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
