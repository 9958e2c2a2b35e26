"""Read and write one cell of the directory's CSV: lists, times, numbers, phones, flags, channels.

Lists are joined with ";" (a "," is read as one too). A cell that cannot be read
raises RowError, which the import reports with the row's line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

from flask_babel import gettext as _

from hotline.privacy import normalise_phone
from hotline.robots.clients import kind_of_url

CHANNEL_NAMES = {"sms", "voice", "webhook", "wecom", "dingtalk", "feishu"}
ROBOT_KINDS = {"wecom", "dingtalk", "feishu", "webhook"}


def joined(values: list[Any] | None) -> str:
    """Join a list for one CSV cell."""
    return ";".join(str(value) for value in values or [])


def split(cell: str | None) -> list[str]:
    """Split a CSV cell into a list."""
    return [part.strip() for part in (cell or "").replace(",", ";").split(";") if part.strip()]


def clock(value: time | None) -> str:
    """Format a time of day."""
    return value.strftime("%H:%M") if value else ""


class RowError(ValueError):
    """One cell is wrong: the message in the UI's language, and the column when known."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column

    def __str__(self) -> str:
        message = super().__str__()
        return _("column %(column)s: %(message)s", column=self.column, message=message) if self.column else message


def read(row: dict[str, str], column: str, parse: Callable[[str | None], Any]) -> Any:
    """Parse one cell of a row; a RowError names the column."""
    try:
        return parse(row.get(column))
    except RowError as error:
        raise RowError(error.args[0], column) from error


def number(cell: str | None, cast: Callable[[str], Any] = float) -> Any:
    """Parse an optional number."""
    if not (cell or "").strip():
        return None
    try:
        return cast(cell.strip())
    except ValueError as exc:
        raise RowError(_("not a number: %(value)s", value=cell)) from exc


def phone(cell: str | None) -> str | None:
    """Parse an optional phone number to E.164."""
    if not (cell or "").strip():
        return None
    parsed = normalise_phone(cell)
    if parsed is None:
        raise RowError(_("not a phone number: %(value)s", value=cell))
    return parsed


def time_of_day(cell: str | None) -> time | None:
    """Parse an optional HH:MM."""
    if not (cell or "").strip():
        return None
    try:
        return time.fromisoformat(cell.strip())
    except ValueError as exc:
        raise RowError(_("not a time (HH:MM): %(value)s", value=cell)) from exc


def flag(cell: str | None) -> bool:
    """Parse an active flag (empty means yes)."""
    return (cell or "1").strip().lower() not in ("0", "false", "no", "n")


def channels(cell: str | None) -> list[str]:
    """Parse notification channels."""
    values = split(cell)
    unknown = set(values) - CHANNEL_NAMES
    if unknown:
        raise RowError(_("unknown channel: %(value)s", value=", ".join(sorted(unknown))))
    return values


def robot_kind(cell: str | None, url: str | None) -> str | None:
    """Parse a robot kind; empty means the kind its URL's host names (another host: webhook)."""
    value = (cell or "").strip().lower()
    if value and value not in ROBOT_KINDS:
        raise RowError(_("unknown robot: %(value)s", value=value))
    if not url:
        return None
    return value or kind_of_url(url) or "webhook"
