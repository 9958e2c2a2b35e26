"""Signing requests as Twilio does (`X-Twilio-Signature`), for tests that post webhooks to the app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from twilio.request_validator import RequestValidator


def twilio_signature(app: Flask, url_or_path: str, params: Mapping[str, Any] | None = None) -> str:
    """Return the signature Twilio would send for a POST of `params` to a URL (or a path on PUBLIC_BASE_URL).

    `params` may be a MultiDict: every value of a repeated parameter is signed, as Twilio does.
    """
    url = url_or_path if "://" in url_or_path else app.config["PUBLIC_BASE_URL"].rstrip("/") + url_or_path
    return RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params or {})


def signed_post(app: Flask, client: Any, path: str, params: dict[str, str] | None = None) -> Any:
    """POST a correctly signed webhook through a Flask test client."""
    params = params or {}
    return client.post(path, data=params, headers={"X-Twilio-Signature": twilio_signature(app, path, params)})
