"""The JSON API's common parts: one error shape, request helpers, the OpenAPI document.

API routes live in each package's routes.py under /api/v1/. Each documents itself
in its docstring (YAML after a `---` line, read by apispec's Flask plugin); the
document at /api/v1/openapi.json is assembled from the URL map, so a route
cannot exist without appearing there (tests/test_api.py checks each is described).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apispec import APISpec
from apispec.yaml_utils import load_yaml_from_docstring
from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from hotline import api_contract
from hotline.access import is_api_request, logged_in, public
from hotline.api_errors import error_response

API_PREFIX = "/api/v1"
bp = Blueprint("api", __name__)


class ApiError(Exception):
    """An error to answer as JSON with a status, a code, a message and field errors."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def parse_date(raw: str) -> date:
    """Parse an RFC 3339 full-date, years outside 2 … 9998 moved to those bounds.

    Raises:
        ValueError: not a YYYY-MM-DD date.
    """
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) and raw[:4] in ("0000", "0001", "9999"):
        raw = ("0002" if raw[:4] < "0002" else "9998") + raw[4:]
    return date.fromisoformat(raw)


def parse_datetime(raw: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 date-time (leap seconds and years outside 2 … 9998 moved inside).

    Raises:
        ValueError: not a date-time.
    """
    text = raw.strip().upper().replace("Z", "+00:00").replace(" ", "+")
    text = re.sub(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):60", r"\1:59", text)
    value = datetime.fromisoformat(parse_date(text[:10]).isoformat() + text[10:])
    if value.tzinfo is not None:
        value.astimezone(UTC)  # raises OverflowError at the edges of the calendar
    return value


def query_date(name: str) -> date | None:
    """Parse an optional YYYY-MM-DD query parameter, or raise a 400 ApiError."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_parameter", f"{name} must be a date (YYYY-MM-DD)", {name: raw}) from exc


def query_datetime(name: str) -> datetime | None:
    """Parse an optional ISO 8601 query parameter, or raise a 400 ApiError."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_datetime(raw)
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, "invalid_parameter", f"{name} must be an ISO 8601 date-time", {name: raw}) from exc


def period(first: date, second: date, longest_days: int) -> tuple[date, date]:
    """Return the days between two dates, earlier first, cut to `longest_days` after the earlier one."""
    start, end = min(first, second), max(first, second)
    return start, min(end, start + timedelta(days=longest_days))


def flask_path_to_openapi(rule: str) -> str:
    """Turn /calls/<string:call_sid> into /calls/{call_sid}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def build_openapi(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI 3 document from the API routes and their docstrings."""
    spec = APISpec(
        title="Hotline API",
        version="1",
        openapi_version="3.0.3",
        info={"description": "Authenticate with the log-in session or `Authorization: Bearer <token>`."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                    "required": ["code", "message", "fields"],
                }
            },
        },
    )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        operations = load_yaml_from_docstring(view.__doc__ or "") or {}
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        documented = {method.lower(): operations.get(method.lower(), {}) for method in methods}
        for operation in documented.values():
            api_contract.complete_operation(app, rule, operation)
        spec.path(path=flask_path_to_openapi(rule.rule), operations=documented)
    return spec.to_dict()


def http_error_response(error: HTTPException) -> Response:
    """Answer an HTTP error in the error shape, keeping its Allow header (405)."""
    response = error_response(
        error.code or 500, (error.name or "error").lower().replace(" ", "_"), error.description or ""
    )
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def handle_http_error(error: HTTPException) -> Any:
    """Answer API errors as JSON; leave pages to the page handlers."""
    if not is_api_request():
        return error
    return http_error_response(error)


def handle_api_error(error: ApiError) -> Response:
    """Answer a typed API error."""
    return error_response(error.status, error.code, error.message, error.fields)


@bp.get(f"{API_PREFIX}/openapi.json")
@public("the API description is not secret")
def openapi() -> Response:
    """Return the OpenAPI document.
    ---
    get:
      summary: The OpenAPI 3 description of this API
      security: []
      responses:
        200:
          description: The document
    """
    from flask import current_app

    return jsonify(current_app.extensions["hotline_openapi"])


@bp.get(f"{API_PREFIX}/me")
@logged_in
def me() -> Response:
    """Return the authenticated user.
    ---
    get:
      summary: Who am I
      security: [{bearer: []}]
      responses:
        200:
          description: The user's id, username, name and role
        401:
          description: Not authenticated
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    """
    from flask_login import current_user

    return jsonify(
        {
            "id": current_user.id,
            "username": current_user.username,
            "display_name": current_user.display_name,
            "role": current_user.role,
        }
    )


def init_app(app: Flask) -> None:
    """Register the API blueprint and its error handlers."""
    app.register_blueprint(bp)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.before_request(api_contract.check_request)


def register_openapi(app: Flask) -> None:
    """Build the OpenAPI document once every blueprint is registered."""
    app.extensions["hotline_openapi"] = build_openapi(app)
    api_contract.compile_document(app, app.extensions["hotline_openapi"])
