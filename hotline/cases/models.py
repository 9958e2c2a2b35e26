"""Cases: what a call (or several) was about and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import LOOKUP_HASH, EncryptedString

if TYPE_CHECKING:
    from hotline.directory.models import Area
    from hotline.telephony.models import Call


class Case(Base):
    """A caller's matter, opened at intake and closed once its outcome is confirmed."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_created_at", "status", "created_at"),)

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    status: Mapped[code] = mapped_column(default="open")
    caller_name: Mapped[str | None] = mapped_column(EncryptedString())
    caller_phone: Mapped[str | None] = mapped_column(EncryptedString())
    caller_phone_hash: Mapped[str | None] = mapped_column(LOOKUP_HASH, index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    services: Mapped[list[str]] = mapped_column(default=list)
    target_groups: Mapped[list[str]] = mapped_column(default=list)
    risk: Mapped[code] = mapped_column(default="none")
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))
    consent_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_share: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]

    calls: Mapped[list[Call]] = relationship(order_by="Call.created_at", viewonly=True)
    area: Mapped[Area | None] = relationship()
