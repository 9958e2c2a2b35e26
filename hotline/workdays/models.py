"""The calendar's tables: one row per date, one per year (where it came from, whether it is confirmed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, code

WORKING = "working"
WEEKEND = "weekend"
HOLIDAY = "holiday"
DAY_KINDS = (WORKING, WEEKEND, HOLIDAY)

SOURCE_LIBRARY = "holidays"
"""Seeded from the holidays library's announced arrangements for the year."""
SOURCE_ESTIMATED = "holidays-estimated"
"""Seeded with the statutory holiday dates only: the year's arrangements are not announced yet."""
SOURCE_LEGACY = "chinese_calendar"
"""Seeded from chinesecalendar before the calendar moved to the holidays library."""
SOURCE_WEEKENDS = "weekends"
"""Plain weekends: no holiday data at all for the year."""
SOURCE_MANAGER = "manager"
"""A day a manager changed."""
ANNOUNCED_SOURCES = (SOURCE_LIBRARY, SOURCE_LEGACY)


class CalendarDay(Base):
    """One date's kind: a working day, a weekend day or a public holiday; managers may edit it."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[code]
    """working, weekend or holiday."""
    holiday_name: Mapped[str | None] = mapped_column(String(80))
    makeup: Mapped[bool] = mapped_column(Boolean, default=False)
    """A make-up working day (调休上班): a weekend day worked instead of a holiday."""
    source: Mapped[code]
    """holidays, holidays-estimated, chinese_calendar (older seeds), weekends or manager."""
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_working(self) -> bool:
        """Return whether it is a working day (make-up days included)."""
        return self.kind == WORKING


class CalendarYear(Base):
    """Whether a year's calendar can be trusted: seeded from announced data, or confirmed by a manager."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[code]
    """holidays (announced), holidays-estimated (statutory dates only), chinese_calendar or weekends."""
    seeded_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    no_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The manager confirmed the year explicitly as having no public holidays at all."""

    @property
    def announced(self) -> bool:
        """Return whether the seed holds the year's announced arrangements."""
        return self.source in ANNOUNCED_SOURCES

    @property
    def ready(self) -> bool:
        """Return whether the calendar can be trusted: announced data, or a manager confirmed it."""
        return self.announced or self.confirmed_at is not None
