"""Input bounds for every request: integer path parameters and characters a database cannot hold.

Integer path parameters (`<int:…>`) match only 0 … 2³¹−1, the range of the
id columns, so a larger or negative id answers 404 instead of reaching the
database. Query parameters, form fields and JSON strings (keys and values) that
hold a control character (NUL, the other C0 and C1 controls except tab and line
ends) or a lone surrogate are refused with 400 before the view runs: PostgreSQL
cannot store NUL, and nothing a person types needs the others.

Twilio webhooks (/twilio/) are left alone: they must always answer 200 with
TwiML, and their own handlers clean what they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from hotline.access import is_api_request

# The id columns are 32-bit signed integers on PostgreSQL.
LARGEST_ID = 2**31 - 1
# C0 controls except tab, LF and CR; DEL; C1 controls; lone surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
EXEMPT_PREFIXES = ("/twilio/", "/static/")


class BoundedIntegerConverter(IntegerConverter):
    """The `int` converter limited to the range of an id column: beyond it, 404."""

    def to_python(self, value: str) -> Any:
        """Convert the path part, answering 404 past the largest id.

        Raises:
            NotFound: the number is larger than an id column holds. (A ValidationError
            would make werkzeug answer 405 when a sibling rule has another method.)
        """
        number = super().to_python(value)
        if number > LARGEST_ID:
            raise NotFound()
        return number


def register_converter(app: Flask) -> None:
    """Make `<int:…>` bounded app-wide; call before any blueprint is registered."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def strings_of(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Yield (location, text) for every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, str(key)
            yield from strings_of(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_of(item, f"{where}[{index}]")


def request_strings() -> Iterator[tuple[str, str]]:
    """Yield (field, text) for the path, every query parameter, form field and JSON string."""
    yield "path", request.path
    for source in (request.args, request.form):
        for key, values in source.lists():
            yield key, key
            for value in values:
                yield key, value
    for name, upload in request.files.items(multi=True):
        yield name, upload.filename or ""
    if request.is_json:
        yield from strings_of(request.get_json(silent=True), "")


def refused_fields() -> dict[str, str]:
    """Return {field: code point} for each field that holds a forbidden character."""
    refused: dict[str, str] = {}
    for field, text in request_strings():
        field = field or "body"
        match = FORBIDDEN.search(text)
        if match and field not in refused:
            refused[field] = f"U+{ord(match.group()):04X}"
    return refused


def refuse_control_characters() -> Any:
    """Answer 400 when the request carries a control character, before the view runs."""
    from hotline.api_errors import error_response

    if request.path.startswith(EXEMPT_PREFIXES):
        return None
    refused = refused_fields()
    if not refused:
        return None
    message = "; ".join(f"{field} contains the control character {point}" for field, point in refused.items())
    if is_api_request():
        fields = {field: f"control character {point} is not allowed" for field, point in refused.items()}
        return error_response(400, "invalid_character", f"Remove it and send again: {message}", fields)
    resend = request.method == "POST" and not request.files and "path" not in refused
    kept = {key: [FORBIDDEN.sub("", value) for value in values] for key, values in request.form.lists()}
    page = render_template(
        "invalid_input.html",
        refused=refused,
        kept=kept if resend else {},
        hidden={"csrf_token"},
        action=request.path if resend else None,
        explanation=_("Some of what was sent holds control characters (such as NUL) that cannot be stored."),
    )
    return page, 400


def init_app(app: Flask) -> None:
    """Refuse control characters in every request outside the Twilio webhooks."""
    app.before_request(refuse_control_characters)
