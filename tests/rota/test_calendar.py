"""The rota on the shared calendar: unconfirmed years refuse generation, manager edits, pattern slots by kind of day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from hotline.clock import hotline_zone
from hotline.rota.editing import default_pattern, generate_weeks
from hotline.rota.exceptions import CalendarNotConfirmed
from hotline.workdays import services as calendar
from hotline.workdays.models import HOLIDAY, WEEKEND, WORKING

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_a_year_the_data_does_not_announce_must_be_confirmed(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    record = calendar.seed_year(db_session, 2031)
    assert record.source == "holidays-estimated" and not record.ready
    assert calendar.days(db_session, date(2031, 1, 4), date(2031, 1, 4))[date(2031, 1, 4)].kind == WEEKEND
    with pytest.raises(CalendarNotConfirmed) as refused:
        generate_weeks(db_session, date(2031, 1, 6), 1, NOW)
    assert refused.value.years == [2031]
    calendar.confirm_year(db_session, 2031, manager.id, NOW)
    with pytest.raises(CalendarNotConfirmed) as refused:
        generate_weeks(db_session, date(2030, 12, 30), 1, NOW)
    assert refused.value.years == [2030]
    calendar.confirm_year(db_session, 2030, manager.id, NOW)
    made = generate_weeks(db_session, date(2030, 12, 30), 1, NOW)
    days = {shift.starts_at.astimezone(hotline_zone()).date() for shift in made}
    assert date(2031, 1, 1) in days  # the hotline opens every day; the holiday is marked for fairness
    assert calendar.day_kind(db_session, date(2031, 1, 1)) == HOLIDAY


def test_a_manager_edit_is_kept_and_marked(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    row = calendar.set_day(db_session, date(2026, 3, 7), WORKING, None, manager.id)
    assert row.makeup and row.source == "manager" and row.updated_by_id == manager.id
    with pytest.raises(ValueError, match="unknown day kind"):
        calendar.set_day(db_session, date(2026, 3, 7), "party", None, manager.id)


def test_a_pattern_slot_can_skip_holidays(db_session: Any) -> None:
    pattern = default_pattern(db_session)
    pattern.slots[1].day_kinds = [WORKING, WEEKEND]  # no afternoon shift on public holidays
    db_session.commit()
    made = generate_weeks(db_session, date(2025, 9, 29), 2, NOW)
    by_day: dict[date, list[str]] = {}
    for shift in made:
        by_day.setdefault(shift.starts_at.astimezone(hotline_zone()).date(), []).append(shift.label)
    assert by_day[date(2025, 10, 1)] == ["上午班"]
    assert by_day[date(2025, 9, 30)] == ["上午班", "下午班"]
    assert by_day[date(2025, 10, 11)] == ["上午班", "下午班"]  # a make-up working Saturday


def test_from_november_the_supervisor_on_call_is_told_daily_until_next_year_is_confirmed(
    db_session: Any, make_user: Any, make_shift: Any, crew: dict
) -> None:
    from hotline.rota import jobs
    from tests.rota.conftest import local

    manager = make_user("manager")
    for day in (date(2026, 10, 31), date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)):
        make_shift(day, 9, 13, workers=[crew["ann"]], supervisors=[crew["sue"]])
    assert jobs.remind_calendar(db_session, local(date(2026, 10, 31), 10)) == []  # not November yet
    told = jobs.remind_calendar(db_session, local(date(2026, 11, 2), 10))
    assert [n.user_id for n in told] == [crew["sue"].id] and "2027" in told[0].body
    assert jobs.remind_calendar(db_session, local(date(2026, 11, 2), 11)) == []  # once a day
    assert [n.user_id for n in jobs.remind_calendar(db_session, local(date(2026, 11, 3), 10))] == [crew["sue"].id]
    calendar.confirm_year(db_session, 2027, manager.id, local(date(2026, 11, 3), 12))
    assert jobs.remind_calendar(db_session, local(date(2026, 11, 4), 10)) == []


def test_the_managers_home_page_says_next_year_is_not_confirmed(client: Any, db_session: Any, make_user: Any) -> None:
    import time_machine

    from tests.conftest import csrf_token, log_in

    manager = make_user("manager")
    with time_machine.travel(datetime(2026, 12, 3, 2, tzinfo=UTC), tick=False):
        log_in(client, manager)
        page = client.get("/").get_data(as_text=True)
        assert 'id="calendar-pending"' in page and "/rota/calendar?year=2027" in page
        client.post("/rota/calendar/2027/confirm", data={"csrf_token": csrf_token(client, "/rota/calendar?year=2027")})
        assert 'id="calendar-pending"' not in client.get("/").get_data(as_text=True)
    with time_machine.travel(datetime(2026, 9, 3, 2, tzinfo=UTC), tick=False):
        log_in(client, manager)
        assert 'id="calendar-pending"' not in client.get("/").get_data(as_text=True)


def test_the_calendar_page_names_holidays_and_sources_in_words(client: Any, make_user: Any) -> None:
    from tests.conftest import log_in

    log_in(client, make_user("manager"))
    page = client.get("/rota/calendar?year=2026").get_data(as_text=True)
    assert "春节" in page and "国务院放假安排" in page and "chinese_calendar" not in page
    client.set_cookie("hotline_lang", "en")
    english = client.get("/rota/calendar?year=2026").get_data(as_text=True)
    assert "Spring Festival" in english and "State Council announcement" in english and "春节" not in english
