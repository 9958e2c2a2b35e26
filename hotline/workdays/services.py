"""The working-day calendar: seeded from the holidays library, edited by managers, confirmed per year.

The State Council announces each November the next year's public holidays and
the weekend days worked instead (调休). The `holidays` library carries those
arrangements for the years it has been told of; for a later year it knows only
the statutory holiday dates (元旦, 春节…), not the make-up days. Such a year is
seeded with those dates (source `holidays-estimated`) and must be confirmed by
a manager before the rota generates weeks in it; the line already treats the
statutory dates as holidays meanwhile.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays as holiday_library
from flask_babel import lazy_gettext as _l
from holidays.countries.china import ChinaStaticHolidays
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.workdays.exceptions import CalendarNotConfirmed, NoHolidaysNotAcknowledged
from hotline.workdays.models import (
    DAY_KINDS,
    HOLIDAY,
    SOURCE_ESTIMATED,
    SOURCE_LEGACY,
    SOURCE_LIBRARY,
    SOURCE_MANAGER,
    SOURCE_WEEKENDS,
    WEEKEND,
    WORKING,
    CalendarDay,
    CalendarYear,
)

FIRST_YEAR = 2000
LAST_YEAR = 2100


def announced_through() -> int:
    """Return the last year whose arrangements (holidays and make-up days) the holidays library carries."""
    return max(ChinaStaticHolidays.special_public_holidays)


HOLIDAY_LABELS = {
    "元旦": _l("New Year's Day"),
    "春节": _l("Spring Festival"),
    "农历除夕": _l("Spring Festival's Eve"),
    "清明节": _l("Tomb-sweeping Day"),
    "劳动节": _l("Labour Day"),
    "端午节": _l("Dragon Boat Festival"),
    "中秋节": _l("Mid-autumn Festival"),
    "国庆节": _l("National Day"),
    "调休": _l("Day off in lieu"),
}
"""The statutory holidays' names in the user's language (stored in Chinese, as announced)."""
LEGACY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}
"""The English names chinesecalendar gave, as older seeds stored them."""

SOURCE_LABELS = {
    SOURCE_LIBRARY: _l("State Council announcement"),
    SOURCE_LEGACY: _l("State Council announcement"),
    SOURCE_ESTIMATED: _l("Statutory holidays only (not yet announced)"),
    SOURCE_WEEKENDS: _l("Weekends only"),
    SOURCE_MANAGER: _l("Changed by a manager"),
}


def holiday_label(name: str | None) -> str:
    """Return a holiday's name in the user's language (a manager's own wording as written)."""
    if not name:
        return ""
    name = LEGACY_NAMES.get(name, name)
    label = HOLIDAY_LABELS.get(name)
    return str(label) if label is not None else name


def source_label(source: str | None) -> str:
    """Return where a day or a year came from, for people."""
    label = SOURCE_LABELS.get(source or "")
    return str(label) if label is not None else (source or "")


def _base_name(name: str) -> str:
    """Strip the library's remarks: "清明节（补假）" -> "清明节"."""
    return name.split("（", 1)[0].strip()


def library_year(year: int) -> tuple[str, dict[date, tuple[str, str | None, bool]]]:
    """Return (source, {day: (kind, holiday name, make-up)}) for the days of a year that are not plain.

    Days left out are ordinary: a working day Monday to Friday, a weekend day otherwise.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"no holiday data for {year}")
    announced = year <= announced_through()
    found = holiday_library.country_holidays("CN", years=year, language="zh_CN", observed=announced)
    special: dict[date, tuple[str, str | None, bool]] = {}
    named = {day: _base_name(str(name)) for day, name in found.items() if not str(name).startswith("休息日")}
    for day in found:
        if day.year != year:
            continue
        if day in named:
            special[day] = (HOLIDAY, named[day], False)
        else:
            special[day] = (HOLIDAY, _nearest_name(day, named), False)
    if announced:
        for entry in _entries(ChinaStaticHolidays.special_public_holidays.get(year, ())):
            if len(entry) == 4 and isinstance(entry[2], int):
                worked = date(year, entry[2], entry[3])
                holiday = date(year, entry[0], entry[1])
                special[worked] = (
                    WORKING,
                    special.get(holiday, (HOLIDAY, _nearest_name(holiday, named), False))[1],
                    True,
                )
    return (SOURCE_LIBRARY if announced else SOURCE_ESTIMATED), special


def _entries(value: tuple) -> list[tuple]:
    """The library writes one arrangement as a tuple and several as a tuple of tuples."""
    if value and isinstance(value[0], int):
        return [value]
    return list(value)


def _nearest_name(day: date, named: dict[date, str]) -> str:
    """Name a day off in lieu after the statutory holiday nearest to it."""
    near = sorted(named, key=lambda other: abs((other - day).days))
    if near and abs((near[0] - day).days) <= 10:
        return named[near[0]]
    return "调休"


def seed_year(session: Session, year: int) -> CalendarYear:
    """Fill a year's calendar from the holidays library (plain weekends outside it); keep manager edits.

    The first call of a year seeds it inside whatever transaction asked (a call's
    arrival, often), so the seed runs in a savepoint: when another process seeds
    the same year at the same moment, only the savepoint is rolled back and the
    other's rows are read; the asking transaction (the call's record) goes on.
    """
    record = session.get(CalendarYear, year)
    if record is not None:
        return record
    try:
        with session.begin_nested():
            return _seed(session, year)
    except IntegrityError:
        record = session.get(CalendarYear, year)
        if record is None:
            raise
        return record


def _seed(session: Session, year: int) -> CalendarYear:
    try:
        source, special = library_year(year)
    except (KeyError, NotImplementedError, ValueError):
        source, special = SOURCE_WEEKENDS, {}
    existing = {row.day for row in session.scalars(select(CalendarDay.day).where(_in_year(year)))}
    day = date(year, 1, 1)
    while day.year == year:
        if day not in existing:
            kind, name, makeup = special.get(day) or ((WEEKEND if day.isoweekday() >= 6 else WORKING), None, False)
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


def day_info(session: Session, day: date) -> CalendarDay:
    """Return one day of the calendar (seeding its year the first time it is asked)."""
    row = session.get(CalendarDay, day)
    if row is None:
        seed_year(session, day.year)
        row = session.get(CalendarDay, day)
    return row


def day_kind(session: Session, day: date) -> str:
    """Return working, weekend or holiday for one day."""
    return day_info(session, day).kind


def is_working_day(session: Session, day: date) -> bool:
    """Return whether a day is a working day (make-up working days included, holidays not)."""
    return day_info(session, day).kind == WORKING


def add_working_days(session: Session, start: date, count: int) -> date:
    """Return the date `count` working days after `start` (0: start itself if working, else the next one)."""
    day = start
    while not is_working_day(session, day):
        day += timedelta(days=1)
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(session, day):
            left -= 1
    return day


def require_confirmed(session: Session, date_from: date, date_to: date) -> None:
    """Refuse to go on when a year in the range has a calendar nobody confirmed.

    Raises:
        CalendarNotConfirmed: naming the years a manager must confirm.
    """
    unconfirmed = [year for year in range(date_from.year, date_to.year + 1) if not seed_year(session, year).ready]
    if unconfirmed:
        raise CalendarNotConfirmed(unconfirmed)


def holiday_count(session: Session, year: int) -> int:
    """Return how many public holidays a year's calendar holds."""
    seed_year(session, year)
    rows = session.scalars(select(CalendarDay.day).where(_in_year(year), CalendarDay.kind == HOLIDAY))
    return len(list(rows))


def confirm_year(
    session: Session, year: int, actor_id: int, now: datetime, *, no_holidays: bool = False
) -> CalendarYear:
    """Record that a manager checked a year's calendar; commit.

    Raises:
        NoHolidaysNotAcknowledged: the year has no public holiday and the manager did not say
            explicitly that it has none (a calendar nobody filled in is not confirmed by a click).
    """
    record = seed_year(session, year)
    has_holidays = holiday_count(session, year) > 0
    if not has_holidays and not no_holidays:
        raise NoHolidaysNotAcknowledged(year)
    record.confirmed_at = now
    record.confirmed_by_id = actor_id
    record.no_holidays = not has_holidays
    session.commit()
    return record


def set_day(session: Session, day: date, kind: str, holiday_name: str | None, actor_id: int | None) -> CalendarDay:
    """Change one day's kind (a manager's edit) and commit."""
    if kind not in DAY_KINDS:
        raise ValueError(f"unknown day kind {kind!r}")
    row = day_info(session, day)
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


REMINDER_FROM_MONTH = 11
"""From November, next year's calendar is due (the State Council announces it then)."""


def next_year_pending(session: Session, today: date) -> int | None:
    """Return next year when it is November or December and next year's calendar is not ready yet."""
    if today.month < REMINDER_FROM_MONTH:
        return None
    year = today.year + 1
    return None if seed_year(session, year).ready else year
