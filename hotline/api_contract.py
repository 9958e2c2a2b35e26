"""The API keeps to its document: requests are checked against the OpenAPI operation before the view runs.

Query parameters are converted by their declared type and, with the JSON body,
validated against the operation's schemas (JSON Schema draft 7 keywords, formats
checked). A request the document calls invalid is refused with 400 and the error
shape, naming each field; the views then only see what the document promises.
The same build adds the answers every operation can give because of the
framework (401, 403, 400, 404) so the document lists every status it returns.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from flask import Flask, current_app, request
from flask_babel import gettext as _

from hotline.access import access_of
from hotline.inputs import LARGEST_ID
from hotline.vocabulary import Role

# Strings without a format or enum must not hold what inputs.py refuses (it answers 400 first).
CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
PRINTABLE = f"^[^{CONTROL}]*$"
# `x-not-blank: true` in a docstring: printable, and something besides white space.
NOT_BLANK = f"^[^{CONTROL}]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^{CONTROL}]*$"
INTEGER = re.compile(r"-?\d{1,19}")
REQUIRED = re.compile(r'^"([^"]+)" is a required property')
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
SHARED_ANSWERS = {
    "400": "A parameter or the body does not match this document, or holds a control character",
    "401": "Not authenticated",
    "403": "The user's role may not do this",
    "404": "No such resource (an id beyond the id columns' range included)",
}


@dataclass
class Operation:
    """What one operation accepts: its query parameters by name and its body schema."""

    query: dict[str, dict[str, Any]]
    query_validator: Any
    body_validator: Any
    body_required: bool


def bounded_values(schema: dict[str, Any]) -> None:
    """Keep control characters out of free-text strings and integers within the columns' range.

    A string without a format, enum or pattern of its own gets the pattern that refuses
    what inputs.py refuses; an integer without bounds gets those of a 32-bit column.
    """
    if schema.pop("x-not-blank", False):
        schema["pattern"] = NOT_BLANK
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
        schema["pattern"] = PRINTABLE
    if schema.get("type") == "integer":
        schema.setdefault("minimum", -LARGEST_ID - 1)
        schema.setdefault("maximum", LARGEST_ID)
    for value in schema.get("properties", {}).values():
        bounded_values(value)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            bounded_values(schema[key])
    for key in ("anyOf", "oneOf", "allOf"):
        for value in schema.get(key, []):
            bounded_values(value)


def complete_operation(app: Flask, rule: Any, operation: dict[str, Any]) -> None:
    """Add the shared answers and the printable-string patterns to one operation."""
    kind, required = access_of(app.view_functions[rule.endpoint]) or ("public", None)
    responses = operation.setdefault("responses", {})
    responses = {str(code): answer for code, answer in responses.items()}
    operation["responses"] = responses
    wanted = []
    if kind != "public":
        operation.setdefault("security", [{"bearer": []}])
        wanted.append("401")
        if required is not Role.WORKER:
            wanted.append("403")
    if operation.get("parameters") or operation.get("requestBody") or kind != "public":
        wanted.append("400")  # control characters, malformed parameters, CSRF for cookie sessions
    if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
        wanted.append("404")
    for code in wanted:
        responses.setdefault(code, {"description": SHARED_ANSWERS[code], "content": ERROR})
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"].setdefault("minimum", 0)  # the <int:…> converter's range
        bounded_values(parameter.get("schema", {}))
    for media in operation.get("requestBody", {}).get("content", {}).values():
        bounded_values(media.get("schema", {}))


def compile_operation(operation: dict[str, Any], components: dict[str, Any]) -> Operation:
    """Build the validators of one operation."""
    query = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    query_schema = {
        "type": "object",
        "properties": {name: p.get("schema", {}) for name, p in query.items()},
        "required": [name for name, p in query.items() if p.get("required")],
    }
    body = operation.get("requestBody", {})
    body_schema = body.get("content", {}).get("application/json", {}).get("schema")
    return Operation(
        query=query,
        query_validator=validator(query_schema, components) if query else None,
        body_validator=validator(body_schema, components) if body_schema is not None else None,
        body_required=bool(body.get("required")),
    )


def validator(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """Compile a schema, its #/components references resolvable."""
    return jsonschema_rs.Draft7Validator({**schema, "components": components}, validate_formats=True)


def convert(raw: str, schema: dict[str, Any]) -> Any:
    """Turn a query string value into its declared type; leave it a string when it does not parse.

    A date-time's `+08:00` sent unencoded arrives as ` 08:00`: it is read as the `+` it was.
    """
    if "date-time" in json.dumps(schema):
        raw = raw.replace(" ", "+")
    kind = schema.get("type")
    if kind == "integer" and INTEGER.fullmatch(raw):
        return int(raw)
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def problems(checker: Any, instance: Any, prefix: str) -> dict[str, str]:
    """Return {field: message} for each schema violation."""
    found: dict[str, str] = {}
    for error in checker.iter_errors(instance):
        parts = [str(part) for part in error.instance_path]
        missing = REQUIRED.match(error.message)
        if missing:
            parts.append(missing.group(1))
        found.setdefault(".".join(parts) or prefix or "body", error.message)
    return found


def request_problems(operation: Operation) -> dict[str, str]:
    """Return {field: message} for everything in the request its operation does not accept."""
    found: dict[str, str] = {}
    if operation.query_validator is not None:
        values = {
            name: convert(request.args[name], parameter.get("schema", {}))
            for name, parameter in operation.query.items()
            if name in request.args
        }
        found.update(problems(operation.query_validator, values, "query"))
    if operation.body_validator is not None and (request.content_length or request.data):
        body = request.get_json(silent=True) if request.is_json else None
        if body is None:
            found["body"] = "expected a JSON body (Content-Type: application/json)"
        else:
            found.update(problems(operation.body_validator, body, "body"))
    elif operation.body_validator is not None and operation.body_required:
        found["body"] = "a JSON body is required"
    return found


def check_request() -> Any:
    """Refuse an API request its operation in the document does not accept."""
    from hotline.api_errors import error_response

    if request.url_rule is None:
        return None
    operations = current_app.extensions.get("hotline_operations", {})
    operation = operations.get((request.url_rule.rule, request.method.lower()))
    if operation is None:
        return None
    found = request_problems(operation)
    if not found:
        return None
    message = _("These values do not fit what the API accepts: %(fields)s", fields=", ".join(found))
    return error_response(400, "invalid_request", message[:500], found)


def compile_document(app: Flask, document: dict[str, Any]) -> None:
    """Keep a validator for each operation of the document, by Flask rule and method."""
    components = document.get("components", {})
    operations: dict[tuple[str, str], Operation] = {}
    for rule in app.url_map.iter_rules():
        item = document["paths"].get(rule.rule) or document["paths"].get(openapi_path(rule.rule))
        for method, operation in (item or {}).items():
            operations[(rule.rule, method)] = compile_operation(operation, components)
    app.extensions["hotline_operations"] = operations


def openapi_path(rule: str) -> str:
    """Turn /calls/<string:call_sid> into /calls/{call_sid}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
