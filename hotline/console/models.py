"""Transfers started from the console: warm (conference with an expert) and cold (to another worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, code, intpk


class CallTransfer(Base):
    """One transfer of a call, with the legs the phone network created for it."""

    __tablename__ = "call_transfers"

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[code]
    """warm (conference with an expert volunteer) or cold (handed to another duty worker)."""
    status: Mapped[code] = mapped_column(default="started")
    """started, worker_left, taken, failed."""
    from_worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"))
    conference: Mapped[str | None] = mapped_column(String(80))
    worker_leg_sid: Mapped[str | None] = mapped_column(String(64))
    expert_leg_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
