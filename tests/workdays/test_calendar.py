"""The one working-day calendar: seeded from the holidays library, read by the line and the rota, 2026 and 2027."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from hotline.rota.editing import generate_weeks
from hotline.telephony.hours import ServiceCalendar
from hotline.telephony.line_settings import LineSettings
from hotline.workdays import services as calendar
from hotline.workdays.exceptions import CalendarNotConfirmed, NoHolidaysNotAcknowledged
from hotline.workdays.models import HOLIDAY, WEEKEND, WORKING

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "kind", "makeup", "name"),
    [
        (date(2025, 10, 1), HOLIDAY, False, "国庆节"),
        (date(2025, 9, 28), WORKING, True, "中秋节"),  # Sunday worked for the joined break
        (date(2025, 1, 26), WORKING, True, "春节"),  # Sunday worked before the Spring Festival
        (date(2025, 1, 29), HOLIDAY, False, "春节"),
        (date(2025, 3, 8), WEEKEND, False, None),  # an ordinary Saturday
        (date(2025, 3, 10), WORKING, False, None),  # an ordinary Monday
        (date(2026, 1, 1), HOLIDAY, False, "元旦"),
        (date(2026, 1, 2), HOLIDAY, False, "元旦"),  # Friday off in lieu
        (date(2026, 1, 4), WORKING, True, "元旦"),  # Sunday worked
        (date(2026, 2, 14), WORKING, True, "春节"),  # Saturday worked
        (date(2026, 2, 16), HOLIDAY, False, "农历除夕"),
        (date(2026, 2, 23), HOLIDAY, False, "春节"),  # Monday off in lieu
        (date(2026, 2, 28), WORKING, True, "春节"),
        (date(2026, 10, 7), HOLIDAY, False, "国庆节"),
        (date(2026, 9, 20), WORKING, True, "国庆节"),
        (date(2026, 10, 10), WORKING, True, "国庆节"),
    ],
)
def test_announced_years_come_from_the_holidays_library_in_chinese(
    db_session: Any, day: date, kind: str, makeup: bool, name: str | None
) -> None:
    row = calendar.days(db_session, day, day)[day]
    assert (row.kind, row.makeup, row.holiday_name) == (kind, makeup, name)
    assert row.source == "holidays"
    assert calendar.seed_year(db_session, day.year).ready


def test_2027_is_seeded_with_the_statutory_dates_and_waits_for_a_manager(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    record = calendar.seed_year(db_session, 2027)
    assert record.source == "holidays-estimated" and not record.ready
    assert calendar.day_kind(db_session, date(2027, 1, 1)) == HOLIDAY
    assert calendar.day_kind(db_session, date(2027, 2, 8)) == HOLIDAY  # 春节 (初三)
    assert calendar.day_kind(db_session, date(2027, 10, 1)) == HOLIDAY
    assert calendar.day_kind(db_session, date(2027, 1, 4)) == WORKING
    with pytest.raises(CalendarNotConfirmed) as refused:
        generate_weeks(db_session, date(2027, 1, 4), 1, NOW)
    assert refused.value.years == [2027]
    calendar.confirm_year(db_session, 2027, manager.id, NOW)
    assert calendar.seed_year(db_session, 2027).ready
    assert generate_weeks(db_session, date(2027, 1, 4), 1, NOW)


def test_a_year_without_holidays_needs_the_explicit_choice(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    record = calendar.seed_year(db_session, 2101)  # beyond the library: plain weekends
    assert record.source == "weekends" and not record.ready
    with pytest.raises(NoHolidaysNotAcknowledged):
        calendar.confirm_year(db_session, 2101, manager.id, NOW)
    assert not calendar.seed_year(db_session, 2101).ready
    confirmed = calendar.confirm_year(db_session, 2101, manager.id, NOW, no_holidays=True)
    assert confirmed.ready and confirmed.no_holidays


def test_the_line_and_the_rota_read_the_same_edited_day(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    line = ServiceCalendar(LineSettings(), SHANGHAI, db_session)
    closed = line.status(datetime(2027, 10, 1, 10, tzinfo=SHANGHAI))
    assert not closed.open and closed.reason == "holiday" and closed.holiday_name == "国庆节"
    assert line.status(datetime(2027, 10, 6, 10, tzinfo=SHANGHAI)).open  # not announced yet: a working day
    calendar.set_day(db_session, date(2027, 10, 6), HOLIDAY, "国庆节", manager.id)  # the announcement came
    assert not line.status(datetime(2027, 10, 6, 10, tzinfo=SHANGHAI)).open
    assert calendar.day_kind(db_session, date(2027, 10, 6)) == HOLIDAY
    calendar.set_day(db_session, date(2027, 9, 26), WORKING, "国庆节", manager.id)  # a Sunday worked
    assert line.day_kind(date(2027, 9, 26)).makeup_workday


def test_working_days_are_counted_over_holidays_and_make_up_days(db_session: Any) -> None:
    assert calendar.add_working_days(db_session, date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(db_session, date(2026, 10, 9), 1) == date(2026, 10, 10)  # make-up Saturday
    assert calendar.add_working_days(db_session, date(2026, 12, 31), 1) == date(2027, 1, 4)  # 2027 元旦 estimated
    assert not calendar.is_working_day(db_session, date(2026, 2, 20))
    assert calendar.is_working_day(db_session, date(2026, 2, 28))


def test_next_year_is_due_from_november_until_confirmed(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    assert calendar.next_year_pending(db_session, date(2026, 10, 31)) is None
    assert calendar.next_year_pending(db_session, date(2026, 11, 1)) == 2027
    assert calendar.next_year_pending(db_session, date(2026, 12, 3)) == 2027
    assert calendar.next_year_pending(db_session, date(2025, 11, 20)) is None  # 2026 was announced
    calendar.confirm_year(db_session, 2027, manager.id, NOW)
    assert calendar.next_year_pending(db_session, date(2026, 12, 3)) is None


def test_holiday_names_and_sources_are_words_in_both_languages(app: Any) -> None:
    with app.test_request_context():
        with force_locale("en"):
            assert calendar.holiday_label("春节") == "Spring Festival"
            assert calendar.holiday_label("Spring Festival") == "Spring Festival"  # an older English seed
            assert calendar.source_label("holidays") == "State Council announcement"
        with force_locale("zh"):
            assert calendar.holiday_label("春节") == "春节"
            assert calendar.holiday_label("National Day") == "国庆节"
            assert calendar.source_label("holidays") == "国务院放假安排"
            assert calendar.holiday_label("区庆日") == "区庆日"  # a manager's own name as written
