"""The working-day calendar: 2025 and 2026 holidays and make-up days, edits, years to confirm."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from hotline.rota import calendar
from hotline.rota.editing import generate_weeks
from hotline.rota.exceptions import CalendarNotConfirmed
from hotline.rota.models.calendar import HOLIDAY, WEEKEND, WORKING

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "kind", "makeup", "name"),
    [
        (date(2025, 10, 1), HOLIDAY, False, "National Day"),  # Wednesday, National Day
        (date(2025, 10, 8), HOLIDAY, False, "National Day"),  # Mid-autumn folded into the break
        (date(2025, 9, 28), WORKING, True, "National Day"),  # Sunday worked instead
        (date(2025, 10, 11), WORKING, True, "National Day"),  # Saturday worked instead
        (date(2025, 1, 26), WORKING, True, "Spring Festival"),  # Sunday before Spring Festival
        (date(2025, 1, 29), HOLIDAY, False, "Spring Festival"),
        (date(2025, 5, 1), HOLIDAY, False, "Labour Day"),
        (date(2025, 3, 8), WEEKEND, False, None),  # an ordinary Saturday
        (date(2025, 3, 10), WORKING, False, None),  # an ordinary Monday
        (date(2026, 1, 1), HOLIDAY, False, "New Year's Day"),
        (date(2026, 1, 4), WORKING, True, "New Year's Day"),  # Sunday worked
        (date(2026, 2, 14), WORKING, True, "Spring Festival"),  # Saturday worked
        (date(2026, 2, 16), HOLIDAY, False, "Spring Festival"),  # Monday off
        (date(2026, 2, 28), WORKING, True, "Spring Festival"),  # Saturday worked
        (date(2026, 10, 1), HOLIDAY, False, "National Day"),
        (date(2026, 9, 20), WORKING, True, "National Day"),
        (date(2026, 10, 10), WORKING, True, "National Day"),
    ],
)
def test_holidays_and_make_up_days_come_from_chinese_calendar(
    db_session: Any, day: date, kind: str, makeup: bool, name: str | None
) -> None:
    row = calendar.days(db_session, day, day)[day]
    assert (row.kind, row.makeup, row.holiday_name) == (kind, makeup, name)
    assert row.source == "chinese_calendar"


def test_a_seeded_year_is_ready_without_confirmation(db_session: Any) -> None:
    record = calendar.seed_year(db_session, 2026)
    assert record.source == "chinese_calendar" and record.ready
    assert len(calendar.days(db_session, date(2026, 1, 1), date(2026, 12, 31))) == 365


def test_a_year_the_package_does_not_cover_must_be_confirmed(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    record = calendar.seed_year(db_session, 2031)
    assert record.source == "weekends" and not record.ready
    assert calendar.days(db_session, date(2031, 1, 4), date(2031, 1, 4))[date(2031, 1, 4)].kind == WEEKEND
    with pytest.raises(CalendarNotConfirmed) as refused:
        generate_weeks(db_session, date(2031, 1, 6), 1, NOW)
    assert refused.value.years == [2031]
    calendar.set_day(db_session, date(2031, 1, 1), HOLIDAY, "元旦", manager.id)
    calendar.confirm_year(db_session, 2031, manager.id, NOW)
    with pytest.raises(CalendarNotConfirmed) as refused:
        generate_weeks(db_session, date(2030, 12, 30), 1, NOW)
    assert refused.value.years == [2030]
    calendar.confirm_year(db_session, 2030, manager.id, NOW)
    made = generate_weeks(db_session, date(2030, 12, 30), 1, NOW)
    days = {shift.starts_at.astimezone(calendar_zone()).date() for shift in made}
    assert date(2031, 1, 1) in days  # the hotline opens every day; the holiday is marked for fairness


def calendar_zone() -> Any:
    from hotline.clock import hotline_zone

    return hotline_zone()


def test_a_manager_edit_is_kept_and_marked(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    row = calendar.set_day(db_session, date(2026, 3, 7), WORKING, None, manager.id)
    assert row.makeup and row.source == "manager" and row.updated_by_id == manager.id
    with pytest.raises(ValueError, match="unknown day kind"):
        calendar.set_day(db_session, date(2026, 3, 7), "party", None, manager.id)


def test_a_pattern_slot_can_skip_holidays(db_session: Any) -> None:
    from hotline.rota.editing import default_pattern

    pattern = default_pattern(db_session)
    pattern.slots[1].day_kinds = [WORKING, WEEKEND]  # no afternoon shift on public holidays
    db_session.commit()
    made = generate_weeks(db_session, date(2025, 9, 29), 2, NOW)
    by_day: dict[date, list[str]] = {}
    for shift in made:
        by_day.setdefault(shift.starts_at.astimezone(calendar_zone()).date(), []).append(shift.label)
    assert by_day[date(2025, 10, 1)] == ["上午班"]
    assert by_day[date(2025, 9, 30)] == ["上午班", "下午班"]
    assert by_day[date(2025, 10, 11)] == ["上午班", "下午班"]  # a make-up working Saturday
