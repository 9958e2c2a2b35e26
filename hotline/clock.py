"""The clock, behind one function so tests can pin it and services can take `now`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def hotline_zone() -> ZoneInfo:
    """Return the hotline's time zone (HOTLINE_TZ, default Asia/Shanghai)."""
    name = current_app.config["HOTLINE_TZ"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def local(moment: datetime) -> datetime:
    """Convert an aware datetime to the hotline's zone for display."""
    return moment.astimezone(hotline_zone())


def to_utc(moment: datetime) -> datetime:
    """Interpret a naive datetime in the hotline's zone and return it in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=hotline_zone())
    return moment.astimezone(UTC)
