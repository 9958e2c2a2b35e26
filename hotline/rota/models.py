"""Shifts and who works them, stored as concrete rows so "who is on duty" is one query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.accounts.models import User
from hotline.db import Base, code, intpk
from hotline.directory.models import ExpertVolunteer


class Shift(Base):
    """A concrete period of hotline duty (UTC start inclusive, end exclusive)."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_window", "starts_at", "ends_at"),)

    id: Mapped[intpk]
    label: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[code] = mapped_column(default="draft")
    """draft or published."""
    min_duty_workers: Mapped[int] = mapped_column(Integer, default=2)
    min_supervisors: Mapped[int] = mapped_column(Integer, default=1)

    assignments: Mapped[list[ShiftAssignment]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="ShiftAssignment.id"
    )


class ShiftAssignment(Base):
    """A person's duty in a shift: duty worker, supervisor on call, or expert duty."""

    __tablename__ = "shift_assignments"
    __table_args__ = (
        UniqueConstraint("shift_id", "user_id"),
        UniqueConstraint("shift_id", "expert_id"),
    )

    id: Mapped[intpk]
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    duty: Mapped[code]
    """duty_worker, supervisor or expert."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"), index=True)
    skill: Mapped[str | None] = mapped_column(String(40))

    shift: Mapped[Shift] = relationship(back_populates="assignments")
    user: Mapped[User | None] = relationship()
    expert: Mapped[ExpertVolunteer | None] = relationship()
