"""Shifts and who works them, stored as concrete rows so "who is on duty" is one indexed query.

Each shift holds two layers of duties: `shift_assignments`, the duties in force
that workers, the router and the API read, and `shift_draft_assignments`, the
draft the managers edit. Publishing copies the draft over the duties in force
and records a version.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.directory.models import ExpertVolunteer

DUTY_WORKER = "duty_worker"
SUPERVISOR = "supervisor"
EXPERT = "expert"
ANSWERING_DUTIES = (DUTY_WORKER, SUPERVISOR)
"""Duties that answer calls and so need a valid certificate."""
DRAFT = "draft"
PUBLISHED = "published"


class Shift(Base):
    """A concrete period of hotline duty (UTC start inclusive, end exclusive)."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_window", "starts_at", "ends_at"),)

    id: Mapped[intpk]
    label: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[code] = mapped_column(default=DRAFT)
    """draft (never published) or published."""
    min_duty_workers: Mapped[int] = mapped_column(Integer, default=2)
    min_qualified: Mapped[int] = mapped_column(Integer, default=1)
    """How many of the duty workers must be intermediate or senior social workers."""
    min_supervisors: Mapped[int] = mapped_column(Integer, default=1)
    pattern_slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift_pattern_slots.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    assignments: Mapped[list[ShiftAssignment]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="ShiftAssignment.id"
    )
    """The duties in force (what workers, the router and the API see once published)."""
    draft_assignments: Mapped[list[DraftAssignment]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="DraftAssignment.id"
    )
    """The editor's draft; equal to `assignments` right after a publish."""

    @property
    def hours(self) -> float:
        """Return the shift's length in hours."""
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    def layer(self, name: str) -> list[ShiftAssignment] | list[DraftAssignment]:
        """Return the duties of one layer (draft or published)."""
        return self.draft_assignments if name == DRAFT else self.assignments


class _Duty:
    """Who does which duty in a shift; shared by the rota in force and the draft."""

    duty: Mapped[code]
    """duty_worker, supervisor or expert."""
    skill: Mapped[str | None] = mapped_column(String(40))

    @property
    def key(self) -> tuple[str, int | None, int | None, str | None]:
        """Return what identifies this duty within a shift, whatever its layer."""
        return (self.duty, self.user_id, self.expert_id, self.skill)  # type: ignore[attr-defined]

    @property
    def person_name(self) -> str:
        """Return the name of the worker or expert."""
        if self.user is not None:  # type: ignore[attr-defined]
            return self.user.display_name  # type: ignore[attr-defined]
        return self.expert.name if self.expert is not None else ""  # type: ignore[attr-defined]


class ShiftAssignment(_Duty, Base):
    """A duty in force (published): duty worker, supervisor on call, or expert duty."""

    __tablename__ = "shift_assignments"
    __table_args__ = (
        UniqueConstraint("shift_id", "user_id"),
        UniqueConstraint("shift_id", "expert_id"),
    )
    layer = PUBLISHED

    id: Mapped[intpk]
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"), index=True)

    shift: Mapped[Shift] = relationship(back_populates="assignments")
    user: Mapped[User | None] = relationship()
    expert: Mapped[ExpertVolunteer | None] = relationship()


class DraftAssignment(_Duty, Base):
    """A duty in the draft the managers edit; publishing copies the draft over the duties in force."""

    __tablename__ = "shift_draft_assignments"
    __table_args__ = (
        UniqueConstraint("shift_id", "user_id"),
        UniqueConstraint("shift_id", "expert_id"),
    )
    layer = DRAFT

    id: Mapped[intpk]
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"), index=True)

    shift: Mapped[Shift] = relationship(back_populates="draft_assignments")
    user: Mapped[User | None] = relationship()
    expert: Mapped[ExpertVolunteer | None] = relationship()
