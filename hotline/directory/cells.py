"""Read and write one cell of the directory's CSV: lists, times, numbers, phones, flags, channels.

Lists are joined with ";" (a "," is read as one too). A cell that cannot be read
raises RowError, which the import reports with the row's line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

from flask_babel import gettext

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
    """One cell is wrong: what is wrong (in the current language) and, once known, its column."""

    def __init__(self, problem: str, column: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.column = column

    def __str__(self) -> str:
        if self.column:
            return gettext("column “%(column)s”: %(problem)s", column=self.column, problem=self.problem)
        return self.problem


def in_column(column: str, parse: Callable[..., Any], *args: Any) -> Any:
    """Run one cell's parser; a RowError it raises names `column`."""
    try:
        return parse(*args)
    except RowError as error:
        error.column = error.column or column
        raise


def number(cell: str | None, cast: Callable[[str], Any] = float) -> Any:
    """Parse an optional number."""
    if not (cell or "").strip():
        return None
    try:
        return cast(cell.strip())
    except ValueError as exc:
        raise RowError(gettext("“%(value)s” is not a number", value=cell.strip())) from exc


def phone(cell: str | None) -> str | None:
    """Parse an optional phone number to E.164."""
    if not (cell or "").strip():
        return None
    parsed = normalise_phone(cell)
    if parsed is None:
        raise RowError(gettext("“%(value)s” is not a phone number", value=cell.strip()))
    return parsed


def time_of_day(cell: str | None) -> time | None:
    """Parse an optional HH:MM."""
    if not (cell or "").strip():
        return None
    try:
        return time.fromisoformat(cell.strip())
    except ValueError as exc:
        raise RowError(gettext("“%(value)s” is not a time of day (HH:MM)", value=cell.strip())) from exc


def flag(cell: str | None) -> bool:
    """Parse an active flag (empty means yes)."""
    return (cell or "1").strip().lower() not in ("0", "false", "no", "n")


def channels(cell: str | None) -> list[str]:
    """Parse notification channels."""
    values = split(cell)
    unknown = set(values) - CHANNEL_NAMES
    if unknown:
        raise RowError(
            gettext(
                "unknown channel %(values)s; use %(allowed)s",
                values="、".join(f"“{value}”" for value in sorted(unknown)),
                allowed=" ".join(sorted(CHANNEL_NAMES)),
            )
        )
    return values


def robot_kind(cell: str | None, url: str | None) -> str | None:
    """Parse a robot kind; empty means the kind its URL's host names (another host: webhook)."""
    value = (cell or "").strip().lower()
    if value and value not in ROBOT_KINDS:
        raise RowError(
            gettext("unknown robot “%(value)s”; use %(allowed)s", value=value, allowed=" ".join(sorted(ROBOT_KINDS)))
        )
    if not url:
        return None
    return value or kind_of_url(url) or "webhook"
