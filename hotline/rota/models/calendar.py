"""Working days and weekly shift patterns, from which weeks of shifts are generated."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, intpk, short_text

WORKING = "working"
WEEKEND = "weekend"
HOLIDAY = "holiday"
DAY_KINDS = (WORKING, WEEKEND, HOLIDAY)


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
    """chinese_calendar, weekends (a year the package does not cover) or manager."""
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_working(self) -> bool:
        """Return whether it is a working day (make-up days included)."""
        return self.kind == WORKING


class CalendarYear(Base):
    """Whether a year's calendar can be trusted: seeded from chinese_calendar, or confirmed by a manager."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[code]
    """chinese_calendar, or weekends when the package does not cover the year."""
    seeded_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def ready(self) -> bool:
        """Return whether weeks may be generated in this year."""
        return self.source == "chinese_calendar" or self.confirmed_at is not None


class ShiftPattern(Base):
    """A weekly pattern of shifts; the active one is used to generate weeks."""

    __tablename__ = "shift_patterns"

    id: Mapped[intpk]
    name: Mapped[short_text] = mapped_column(unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    slots: Mapped[list[ShiftPatternSlot]] = relationship(
        back_populates="pattern", cascade="all, delete-orphan", order_by="ShiftPatternSlot.start_time"
    )


class ShiftPatternSlot(Base):
    """One shift of a pattern: local times, the kinds of day it runs on, its minimum staffing."""

    __tablename__ = "shift_pattern_slots"

    id: Mapped[intpk]
    pattern_id: Mapped[int] = mapped_column(ForeignKey("shift_patterns.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    """At or before start_time means the shift ends the next day (it crosses midnight)."""
    day_kinds: Mapped[list[str]] = mapped_column(default=lambda: list(DAY_KINDS))
    min_duty_workers: Mapped[int] = mapped_column(Integer, default=2)
    min_qualified: Mapped[int] = mapped_column(Integer, default=1)
    min_supervisors: Mapped[int] = mapped_column(Integer, default=1)
    expert_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    """Put expert volunteers on their duty days into generated shifts."""

    pattern: Mapped[ShiftPattern] = relationship(back_populates="slots")
