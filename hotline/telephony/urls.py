"""Absolute URLs Twilio is given: PUBLIC_BASE_URL + path, the same base the signatures are checked against."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app


def public_url(path: str, **query: object) -> str:
    """Return the public URL of an app path (with an optional query string)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    suffix = (
        ("&" if "?" in path else "?") + urlencode({k: v for k, v in query.items() if v is not None}) if query else ""
    )
    return f"{base}{path}{suffix}"
