"""The working-day calendar: seeded from chinese_calendar, edited by managers, confirmed per year."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.rota.exceptions import CalendarNotConfirmed
from hotline.rota.models import CalendarDay, CalendarYear
from hotline.rota.models.calendar import DAY_KINDS, HOLIDAY, WEEKEND, WORKING

SOURCE_PACKAGE = "chinese_calendar"
SOURCE_WEEKENDS = "weekends"
SOURCE_MANAGER = "manager"


def package_day(day: date) -> tuple[str, str | None, bool]:
    """Return (kind, holiday name, make-up) for a day from chinese_calendar.

    Raises:
        NotImplementedError: the package has no data for the year.
    """
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    weekend = day.isoweekday() >= 6
    if chinese_calendar.is_workday(day):
        return WORKING, (name if weekend else None), weekend and name is not None
    if on_holiday and name is not None:
        return HOLIDAY, name, False
    return WEEKEND, None, False


def seed_year(session: Session, year: int) -> CalendarYear:
    """Fill a year's calendar (from chinese_calendar, else plain weekends); keep manager edits."""
    record = session.get(CalendarYear, year)
    if record is not None:
        return record
    try:
        package_day(date(year, 1, 1))
        source = SOURCE_PACKAGE
    except NotImplementedError:
        source = SOURCE_WEEKENDS
    existing = {row.day: row for row in session.scalars(select(CalendarDay).where(_in_year(year)))}
    day = date(year, 1, 1)
    while day.year == year:
        if day not in existing:
            if source == SOURCE_PACKAGE:
                kind, name, makeup = package_day(day)
            else:
                kind, name, makeup = (WEEKEND if day.isoweekday() >= 6 else WORKING), None, False
            session.add(CalendarDay(day=day, kind=kind, holiday_name=name, makeup=makeup, source=source))
        day += timedelta(days=1)
    record = CalendarYear(year=year, source=source)
    session.add(record)
    session.flush()
    return record


def _in_year(year: int):  # noqa: ANN202
    return CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))


def days(session: Session, date_from: date, date_to: date) -> dict[date, CalendarDay]:
    """Return the calendar from date_from to date_to inclusive, seeding years not seen yet."""
    for year in range(date_from.year, date_to.year + 1):
        seed_year(session, year)
    rows = session.scalars(select(CalendarDay).where(CalendarDay.day.between(date_from, date_to)))
    return {row.day: row for row in rows}


def day_kind(session: Session, day: date) -> str:
    """Return working, weekend or holiday for one day."""
    return days(session, day, day)[day].kind


def require_confirmed(session: Session, date_from: date, date_to: date) -> None:
    """Refuse to go on when a year in the range has a calendar nobody confirmed.

    Raises:
        CalendarNotConfirmed: naming the years a manager must confirm.
    """
    unconfirmed = [year for year in range(date_from.year, date_to.year + 1) if not seed_year(session, year).ready]
    if unconfirmed:
        raise CalendarNotConfirmed(unconfirmed)


def confirm_year(session: Session, year: int, actor_id: int, now: datetime) -> CalendarYear:
    """Record that a manager checked a year's calendar; commit."""
    record = seed_year(session, year)
    record.confirmed_at = now
    record.confirmed_by_id = actor_id
    session.commit()
    return record


def set_day(session: Session, day: date, kind: str, holiday_name: str | None, actor_id: int | None) -> CalendarDay:
    """Change one day's kind (a manager's edit) and commit."""
    if kind not in DAY_KINDS:
        raise ValueError(f"unknown day kind {kind!r}")
    row = days(session, day, day)[day]
    row.kind = kind
    row.holiday_name = holiday_name or None
    row.makeup = kind == WORKING and day.isoweekday() >= 6
    row.source = SOURCE_MANAGER
    row.updated_by_id = actor_id
    session.commit()
    return row


def years_status(session: Session, years: list[int]) -> list[CalendarYear]:
    """Return the calendar record of each year, seeding as needed."""
    return [seed_year(session, year) for year in years]
