"""Weekly shift patterns, from which weeks of shifts are generated (the days come from hotline.workdays)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, intpk, short_text
from hotline.workdays.models import DAY_KINDS, HOLIDAY, WEEKEND, WORKING, CalendarDay, CalendarYear

# The calendar's tables moved to hotline.workdays (one calendar for the line and the rota);
# they are named here too so the rota's code reads as before.
__all__ = [
    "DAY_KINDS",
    "HOLIDAY",
    "WEEKEND",
    "WORKING",
    "CalendarDay",
    "CalendarYear",
    "ShiftPattern",
    "ShiftPatternSlot",
]


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
