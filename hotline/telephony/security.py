"""X-Twilio-Signature validation for every /twilio/ webhook.

The URL Twilio signed is rebuilt from PUBLIC_BASE_URL + path + the raw query
string (never re-encoded), so validation works behind a proxy that terminates
TLS. Every value of a repeated parameter is signed, as Twilio signs it. A
request that fails validation gets 403 and a log line, and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, request
from werkzeug.datastructures import MultiDict

from hotline.access import public

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("hotline.telephony.security")


def signed_url() -> str:
    """Return the URL as Twilio saw it: the public base URL, the path and the raw query string."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def request_is_from_twilio() -> bool:
    """Check the request's X-Twilio-Signature against every POST parameter, every value of each."""
    params = request.form if request.method == "POST" else None
    return signature_is_valid(
        current_app.config.get("TWILIO_AUTH_TOKEN"), signed_url(), params, request.headers.get("X-Twilio-Signature", "")
    )


def compute_signature(token: str, url: str, params: Mapping[str, Any] | None) -> str:
    """Return the signature Twilio sends for a POST of `params` to `url` (its library's algorithm).

    The URL, then each parameter name (sorted) followed by each of its distinct
    values (sorted), without separators; HMAC-SHA1 with the auth token, base64.
    A parameter given twice is signed with both values, as Twilio signs it. A
    werkzeug MultiDict is read with `lists()`, a plain mapping as one value each.
    """
    parts = [url]
    if params:
        pairs = params.lists() if isinstance(params, MultiDict) else ((k, [v]) for k, v in params.items())
        for name, values in sorted(pairs):
            for value in sorted(set(values)):
                parts += (name, value)
    digest = hmac.new(token.encode("utf-8"), "".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def url_variants(url: str) -> tuple[str, ...]:
    """Return the URL without and with its default port: the other forms Twilio may have signed."""
    parsed = urlsplit(url)
    try:
        port = parsed.port
    except ValueError:
        return ()
    host = parsed.netloc.rsplit(":", 1)[0] if port is not None else parsed.netloc
    default = 443 if parsed.scheme == "https" else 80
    variants = {parsed._replace(netloc=host).geturl(), parsed._replace(netloc=f"{host}:{port or default}").geturl()}
    variants.discard(url)
    return tuple(sorted(variants))


def signature_is_valid(token: str | None, url: str, params: Mapping[str, Any] | None, signature: str) -> bool:
    """Check a Twilio signature of `url` and the POST `params` with the account's auth token.

    The URL as rebuilt is tried first (one HMAC); only when it does not match are
    the forms without and with the port tried. Nothing here raises on any input.
    """
    if not token or not signature:
        return False
    expected = signature.strip().encode("utf-8", "replace")
    for candidate in (url, *url_variants(url)):
        if hmac.compare_digest(compute_signature(token, candidate, params).encode("ascii"), expected):
            return True
    return False


def twilio_webhook(view: F) -> F:
    """Mark a view as a Twilio webhook: public (Twilio has no session), CSRF-exempt, signature checked."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not request_is_from_twilio():
            log.warning("refused %s: missing or invalid X-Twilio-Signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return public("Twilio webhooks are authenticated by X-Twilio-Signature", csrf_exempt=True)(checked)  # type: ignore[return-value]
