"""Service hours: weekly hours, Chinese holidays and make-up days, closures, uncovered years."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.telephony.hours import ServiceCalendar
from hotline.telephony.line_settings import LineSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    """A moment in Shanghai time."""
    return datetime(*args, tzinfo=SHANGHAI)


def weekdays_only() -> LineSettings:
    settings = LineSettings()
    settings.weekly_hours = {
        d: ([["09:00", "17:00"]] if d not in ("sat", "sun") else []) for d in settings.weekly_hours
    }
    return settings


def test_default_hours_are_nine_to_five_every_day() -> None:
    calendar = ServiceCalendar(LineSettings(), SHANGHAI)
    assert calendar.status(at(2025, 3, 8, 9, 0)).open  # a Saturday
    assert calendar.status(at(2025, 3, 10, 16, 59)).open
    closed = calendar.status(at(2025, 3, 10, 17, 0))
    assert not closed.open and closed.reason == "hours"
    assert not calendar.status(at(2025, 3, 10, 8, 59)).open


def test_status_uses_the_hotline_zone_not_utc() -> None:
    calendar = ServiceCalendar(LineSettings(), SHANGHAI)
    assert calendar.status(datetime(2025, 3, 10, 1, 30, tzinfo=UTC)).open  # 09:30 in Shanghai


def test_public_holiday_closes_the_line_unless_the_setting_opens_it() -> None:
    settings = LineSettings()
    status = ServiceCalendar(settings, SHANGHAI).status(at(2025, 10, 1, 10, 0))
    assert not status.open and status.reason == "holiday" and status.holiday_name == "National Day"
    settings.open_on_holidays = True
    assert ServiceCalendar(settings, SHANGHAI).status(at(2025, 10, 1, 10, 0)).open


def test_make_up_working_day_opens_with_working_day_hours() -> None:
    calendar = ServiceCalendar(weekdays_only(), SHANGHAI)
    assert not calendar.status(at(2025, 10, 12, 10, 0)).open  # an ordinary Sunday
    assert calendar.status(at(2025, 10, 11, 10, 0)).open  # Saturday, make-up day for National Day
    assert calendar.day_kind(at(2025, 10, 11).date()).makeup_workday


def test_closure_wins_over_the_hours_and_carries_its_message() -> None:
    settings = LineSettings()
    settings.closures = [
        {
            "starts_at": at(2025, 7, 20, 0, 0).isoformat(),
            "ends_at": at(2025, 7, 21, 0, 0).isoformat(),
            "message": "台风",
        }
    ]
    calendar = ServiceCalendar(settings, SHANGHAI)
    status = calendar.status(at(2025, 7, 20, 10, 0))
    assert not status.open and status.reason == "closure" and status.closure_message == "台风"
    assert calendar.status(at(2025, 7, 21, 10, 0)).open


def test_year_the_calendar_does_not_cover_uses_weekly_hours_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hotline.telephony.hours"):
        status = ServiceCalendar(LineSettings(), SHANGHAI).status(at(2040, 10, 1, 10, 0))
    assert status.open
    assert "does not cover 2040" in caplog.text


def test_hours_are_described_in_mandarin() -> None:
    assert ServiceCalendar(LineSettings(), SHANGHAI).hours_text() == "每天9:00至17:00,法定节假日休息"
    text = ServiceCalendar(weekdays_only(), SHANGHAI).hours_text()
    assert text == "周一至周五9:00至17:00,法定节假日休息"
