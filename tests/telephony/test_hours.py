"""Service hours: weekly hours, Chinese holidays and make-up days, closures, uncovered years."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from hotline.telephony.hours import ServiceCalendar
from hotline.telephony.line_settings import DAYS, LineSettings
from hotline.telephony.models import Call
from hotline.workdays import services as workdays
from tests.telephony.conftest import said

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALLER = "+8613812345678"
LINE = "+862288880000"


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


def test_public_holiday_closes_the_line_unless_the_setting_opens_it(db_session: Any) -> None:
    settings = LineSettings()
    status = ServiceCalendar(settings, SHANGHAI, db_session).status(at(2025, 10, 1, 10, 0))
    assert not status.open and status.reason == "holiday" and status.holiday_name == "国庆节"
    settings.open_on_holidays = True
    assert ServiceCalendar(settings, SHANGHAI, db_session).status(at(2025, 10, 1, 10, 0)).open


def test_make_up_working_day_opens_with_working_day_hours(db_session: Any) -> None:
    calendar = ServiceCalendar(weekdays_only(), SHANGHAI, db_session)
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


def test_year_the_calendar_does_not_cover_uses_weekly_hours_and_warns(
    db_session: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hotline.telephony.hours"):
        status = ServiceCalendar(LineSettings(), SHANGHAI, db_session).status(at(2101, 10, 3, 10, 0))
    assert status.open
    assert "calendar of 2101 has no holiday data" in caplog.text


@pytest.mark.parametrize(
    ("moment", "holiday"),
    [
        (datetime(2026, 10, 7, 2, tzinfo=UTC), "国庆节"),  # 10:00 in Shanghai, the last day of the 2026 break
        (datetime(2027, 1, 1, 2, tzinfo=UTC), "元旦"),  # beyond chinesecalendar's data: still a holiday
        (datetime(2027, 2, 8, 2, tzinfo=UTC), "春节"),
    ],
)
def test_a_caller_on_a_holiday_hears_the_line_is_closed_in_2026_and_2027(
    twilio_post: Any, db_session: Any, moment: datetime, holiday: str
) -> None:
    with time_machine.travel(moment, tick=False):
        answer = twilio_post("/twilio/voice/incoming", CallSid=f"CA-h{moment:%Y%m%d}", From=CALLER, To=LINE)
    assert "今天是法定节假日" in said(answer), said(answer)
    call = db_session.scalar(select(Call).where(Call.call_sid == f"CA-h{moment:%Y%m%d}"))
    closed = [event.data for event in call.events if event.kind == "closed"]
    assert closed == [{"reason": "holiday", "holiday": holiday}]


def test_a_day_a_manager_marks_a_holiday_closes_the_line(twilio_post: Any, db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    with time_machine.travel(datetime(2027, 10, 6, 2, tzinfo=UTC), tick=False):
        before = twilio_post("/twilio/voice/incoming", CallSid="CA-m1", From=CALLER, To=LINE)
        workdays.set_day(db_session, date(2027, 10, 6), "holiday", "国庆节", manager.id)
        after = twilio_post("/twilio/voice/incoming", CallSid="CA-m2", From=CALLER, To=LINE)
    assert "今天是法定节假日" not in said(before) and "今天是法定节假日" in said(after)


def test_hours_are_described_in_mandarin() -> None:
    assert ServiceCalendar(LineSettings(), SHANGHAI).hours_text() == "每天9:00至17:00，法定节假日休息"
    text = ServiceCalendar(weekdays_only(), SHANGHAI).hours_text()
    assert text == "周一至周五9:00至17:00，法定节假日休息"


def test_hours_are_described_in_english_for_an_english_page() -> None:
    assert (
        ServiceCalendar(weekdays_only(), SHANGHAI).hours_text("en") == "Mon–Fri 9:00–17:00, closed on public holidays"
    )
    around_the_clock = LineSettings(weekly_hours={day: [["00:00", "24:00"]] for day in DAYS}, open_on_holidays=True)
    assert ServiceCalendar(around_the_clock, SHANGHAI).hours_text() == "每天0:00至24:00"
