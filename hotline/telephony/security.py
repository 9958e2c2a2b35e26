"""X-Twilio-Signature validation for every /twilio/ webhook.

The URL Twilio signed is rebuilt from PUBLIC_BASE_URL + path + the raw query
string (never re-encoded), so validation works behind a proxy that terminates
TLS. A request that fails validation gets 403 and a log line, and changes nothing.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

from hotline.access import public

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("hotline.telephony.security")


def signed_url() -> str:
    """Return the URL as Twilio saw it: the public base URL, the path and the raw query string."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=4)
def validator(token: str) -> RequestValidator:
    """Return the validator of an auth token."""
    return RequestValidator(token)


def request_is_from_twilio() -> bool:
    """Check the request's X-Twilio-Signature against every POST parameter (see signature_is_valid)."""
    params = request.form.to_dict(flat=True) if request.method == "POST" else {}
    return signature_is_valid(
        current_app.config.get("TWILIO_AUTH_TOKEN"), signed_url(), params, request.headers.get("X-Twilio-Signature", "")
    )


class SignedParameters(dict[str, str]):
    """POST parameters, one value each, with the `getall` the Twilio validator tries first.

    Given a plain dict, the validator reads each parameter after two caught
    AttributeErrors (it tries `getall`, then `getlist`): some 40 exceptions a webhook.
    """

    def getall(self, name: str) -> list[str]:
        """Return the parameter's values: its one value."""
        return [self[name]]


def signature_is_valid(token: str | None, url: str, params: dict[str, str], signature: str) -> bool:
    """Check a Twilio signature of `url` and the POST `params` with the account's auth token.

    The URL as rebuilt is tried first (one HMAC); only when it does not match
    does the Twilio library try its variants (with and without the port).
    """
    if not token or not signature:
        return False
    checker = validator(token)
    params = params if isinstance(params, SignedParameters) else SignedParameters(params)
    if hmac.compare_digest(checker.compute_signature(url, params), signature):
        return True
    return checker.validate(url, params, signature)


def twilio_webhook(view: F) -> F:
    """Mark a view as a Twilio webhook: public (Twilio has no session), CSRF-exempt, signature checked."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not request_is_from_twilio():
            log.warning("refused %s: missing or invalid X-Twilio-Signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return public("Twilio webhooks are authenticated by X-Twilio-Signature", csrf_exempt=True)(checked)  # type: ignore[return-value]
