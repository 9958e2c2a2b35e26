"""No copies of personal data in caches: every authenticated or responder response is `Cache-Control: no-store`.

The rule is the simplest sound one: any response to a logged-in user (page, API,
fragment, download) or to a responder link (/r/…) may hold personal data, so
none may be stored by the browser or a proxy. Static files and anonymous
public pages keep their caching.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from hotline.access import carries_credentials

RESPONDER_PREFIX = "/r/"


def forbid_storing(response: Response) -> Response:
    """Mark the response no-store when it answers a logged-in user or a responder link."""
    if request.endpoint == "static":
        return response
    if request.path.startswith(RESPONDER_PREFIX) or (carries_credentials() and current_user.is_authenticated):
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


def init_app(app: Flask) -> None:
    """Install the no-store rule after every request."""
    app.after_request(forbid_storing)
