"""Service hours: weekly opening hours, Chinese public holidays and make-up working days, closures.

Holidays and make-up working days come from the one editable calendar
(`hotline.workdays`), the same the rota uses: a manager's change there changes
the line too. A year with no holiday data at all (plain weekends) is treated by
the weekly hours and a warning is logged: the line must still answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hotline.db import CommitWatch
from hotline.telephony.line_settings import DAYS, LineSettings
from hotline.workdays import services as workdays
from hotline.workdays.models import HOLIDAY, SOURCE_WEEKENDS, WORKING, CalendarDay, CalendarYear

log = logging.getLogger("hotline.telephony.hours")
CALENDAR_CHANGES = CommitWatch("calendar", lambda row: isinstance(row, CalendarDay | CalendarYear))
"""This process's committed changes to the calendar (the webhooks' copies of its days are dropped on each)."""
DAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DAY_NAMES_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class LineStatus:
    """Whether the line is open at a moment, and if not why (hours, holiday, closure)."""

    open: bool
    reason: str | None = None
    closure_message: str | None = None
    holiday_name: str | None = None


@dataclass(frozen=True)
class DayKind:
    """What kind of day a date is in the Chinese calendar."""

    holiday: bool = False
    makeup_workday: bool = False
    holiday_name: str | None = None
    known: bool = True


def parse_hhmm(text: str) -> time:
    """Parse "09:00" (or "24:00" as the end of the day)."""
    if text.strip() == "24:00":
        return time.max
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def day_kind(session: Session, day: date) -> DayKind:
    """Classify a date from the editable calendar (seeding its year the first time it is asked)."""
    row = workdays.day_info(session, day)
    if row.kind == HOLIDAY:
        return DayKind(holiday=True, holiday_name=row.holiday_name)
    if row.kind == WORKING and day.weekday() >= 5:
        return DayKind(makeup_workday=True, holiday_name=row.holiday_name)
    if row.source == SOURCE_WEEKENDS:
        log.warning("the calendar of %s has no holiday data; using the weekly hours", day.year)
        return DayKind(known=False)
    return DayKind()


class ServiceCalendar:
    """Answers "is the line open now?" from the settings and the working-day calendar.

    Without a database session (the hours text, the fallbacks built without the
    database) every day is an ordinary day of the weekly hours. `day_kinds`, when
    given, classifies the days instead of reading the session (the webhooks pass
    their process's copies of the calendar).
    """

    def __init__(
        self,
        settings: LineSettings,
        zone: ZoneInfo,
        session: Session | None = None,
        day_kinds: Callable[[date], DayKind] | None = None,
    ) -> None:
        self.settings = settings
        self.zone = zone
        self.session = session
        self.day_kinds = day_kinds

    def day_kind(self, day: date) -> DayKind:
        """Classify a date as a public holiday, a make-up working day, or an ordinary day."""
        if self.day_kinds is not None:
            return self.day_kinds(day)
        if self.session is None:
            return DayKind(known=False)
        return day_kind(self.session, day)

    def periods(self, day: date) -> list[tuple[time, time]]:
        """Return the opening periods of a date (local times), holidays and make-up days applied."""
        kind = self.day_kind(day)
        if kind.holiday and not self.settings.open_on_holidays:
            return []
        weekday = DAYS[day.weekday()]
        periods = self.settings.weekly_hours.get(weekday) or []
        if kind.makeup_workday and not periods:
            # A make-up working day opens with the hours of an ordinary working day.
            periods = next(
                (self.settings.weekly_hours.get(d) for d in DAYS[:5] if self.settings.weekly_hours.get(d)), []
            )
        return [(parse_hhmm(start), parse_hhmm(end)) for start, end in periods]

    def closure_at(self, now: datetime) -> dict[str, str] | None:
        """Return the manual closure covering `now`, if any."""
        for closure in self.settings.closures:
            try:
                starts = datetime.fromisoformat(closure["starts_at"])
                ends = datetime.fromisoformat(closure["ends_at"])
            except (KeyError, TypeError, ValueError):
                continue
            starts = starts if starts.tzinfo else starts.replace(tzinfo=self.zone)
            ends = ends if ends.tzinfo else ends.replace(tzinfo=self.zone)
            if starts <= now < ends:
                return closure
        return None

    def status(self, now: datetime) -> LineStatus:
        """Return whether the line is open at `now` (aware), and why not."""
        closure = self.closure_at(now)
        if closure is not None:
            return LineStatus(False, "closure", closure_message=closure.get("message") or None)
        local = now.astimezone(self.zone)
        kind = self.day_kind(local.date())
        for start, end in self.periods(local.date()):
            if start <= local.time() < end or (end == time.max and local.time() >= start):
                return LineStatus(True)
        if kind.holiday and not self.settings.open_on_holidays:
            return LineStatus(False, "holiday", holiday_name=kind.holiday_name)
        return LineStatus(False, "hours")

    def hours_text(self, language: str = "zh") -> str:
        """Describe the weekly hours: in Mandarin for the closed message ("每天9:00至17:00"), or in English."""
        english = language == "en"
        names = DAY_NAMES_EN if english else DAY_NAMES_ZH
        until, comma = ("–", ", ") if english else ("至", "，")

        def clock(value: str) -> str:
            hour, _sep, minute = value.partition(":")
            return f"{int(hour or 0)}:{minute or '00'}"

        def describe(periods: list[list[str]]) -> str:
            return (", " if english else "、").join(f"{clock(start)}{until}{clock(end)}" for start, end in periods)

        weekly = [self.settings.weekly_hours.get(d) or [] for d in DAYS]
        suffix = ""
        if not self.settings.open_on_holidays:
            suffix = ", closed on public holidays" if english else "，法定节假日休息"
        if all(w == weekly[0] for w in weekly) and weekly[0]:
            return f"{'Every day ' if english else '每天'}{describe(weekly[0])}{suffix}"
        parts: list[str] = []
        index = 0
        while index < len(DAYS):
            end = index
            while end + 1 < len(DAYS) and weekly[end + 1] == weekly[index]:
                end += 1
            if weekly[index]:
                days = names[index] if end == index else f"{names[index]}{until}{names[end]}"
                parts.append(f"{days}{' ' if english else ''}{describe(weekly[index])}")
            index = end + 1
        return (comma.join(parts) or ("not set yet" if english else "暂未设定")) + suffix
