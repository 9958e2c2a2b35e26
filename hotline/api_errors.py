"""The one JSON error shape of /api/v1, below everything that answers API errors."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Response:
    """Return the one error shape every API failure uses."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response
