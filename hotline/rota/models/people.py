"""What the rota keeps about people: limits, wishes, leave, swaps and calendar feed tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import EncryptedString

PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"
CANCELLED = "cancelled"


class WorkerProfile(Base):
    """Rota settings of one person (part-time limits); absent means the defaults."""

    __tablename__ = "worker_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    max_hours_per_week: Mapped[int | None] = mapped_column(Integer)
    """Overrides the rota's maximum hours per week (part-time workers)."""
    notes: Mapped[str | None] = mapped_column(EncryptedString())


class RotaPreference(Base):
    """A worker's soft wish about a weekday or a shift: +1 prefer, -1 avoid."""

    __tablename__ = "rota_preferences"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int | None] = mapped_column(Integer)
    """ISO weekday 1-7, or None for every day."""
    label: Mapped[str | None] = mapped_column(String(60))
    """A shift label (上午班), or None for every shift of the day."""
    wish: Mapped[int] = mapped_column(Integer, default=-1)


class LeaveRequest(Base):
    """A worker's request to be off duty between two moments."""

    __tablename__ = "leave_requests"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(EncryptedString())
    status: Mapped[code] = mapped_column(default=PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(EncryptedString())

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SwapRequest(Base):
    """A worker asks a colleague to take their shift, or to exchange it for one of the colleague's."""

    __tablename__ = "swap_requests"

    id: Mapped[intpk]
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    colleague_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    colleague_shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    """The colleague's shift the requester takes in exchange; None when the colleague just takes over."""
    reason: Mapped[str | None] = mapped_column(EncryptedString())
    status: Mapped[code] = mapped_column(default=PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(EncryptedString())

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    colleague: Mapped[User] = relationship(foreign_keys=[colleague_id])


class FeedToken(Base):
    """A revocable secret in a calendar feed URL; only its SHA-256 is stored."""

    __tablename__ = "rota_feed_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[code]
    """own (the person's shifts) or all (the whole rota, managers only)."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
