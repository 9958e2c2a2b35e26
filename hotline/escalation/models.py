"""Referrals: a case handed to a station, an expert volunteer or an organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.cases.models import Case
from hotline.clock import utcnow
from hotline.db import Base, code, intpk


class Referral(Base):
    """A request to a target to take over part of a case, chased until acknowledged."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_due_at", "status", "due_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[code]
    urgency: Mapped[code] = mapped_column(default="normal")
    status: Mapped[code] = mapped_column(default="pending")
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_volunteers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))

    case: Mapped[Case] = relationship()
