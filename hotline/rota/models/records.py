"""Records of what the rota did: published versions, notices sent, marks, automatic draft requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.db import Base, JSONType, code, intpk
from hotline.privacy import EncryptedString


class RotaVersion(Base):
    """One publish (or an approved swap or leave): who, when, and which duties changed."""

    __tablename__ = "rota_versions"

    id: Mapped[intpk]
    kind: Mapped[code] = mapped_column(default="publish")
    """publish, swap or leave."""
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """The hard errors that were overridden, as the validator reported them."""
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """[{"shift_id", "starts_at", "label", "duty", "user_id", "expert_id", "name", "change": added|removed}]"""

    published_by: Mapped[User | None] = relationship()


class RotaNotice(Base):
    """A message to one person: shown in their console, and sent by SMS when sms_to is set."""

    __tablename__ = "rota_notices"
    __table_args__ = (Index("ix_rota_notices_sms_status", "sms_status"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[code]
    """rota_changed, shift_reminder, certificate_expiring, certificate_expired, swap, leave."""
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    """Set by scheduled work so a second tick never sends the same notice twice."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    sms_to: Mapped[str | None] = mapped_column(EncryptedString())
    sms_status: Mapped[code] = mapped_column(default="none")
    """none, pending, queued (the template SMS outbox retries it), sent or failed."""
    sms_attempts: Mapped[int] = mapped_column(Integer, default=0)
    sms_sent_at: Mapped[datetime | None]
    sms_id: Mapped[str | None] = mapped_column(String(64))


class RotaMark(Base):
    """A record that a one-off step (a shift start push) was done, keyed by what it was."""

    __tablename__ = "rota_marks"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DraftRequest(Base):
    """A manager's request to fill the rota automatically; run off the request thread."""

    __tablename__ = "rota_draft_requests"

    id: Mapped[intpk]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    status: Mapped[code] = mapped_column(default="queued", index=True)
    """queued, running, done, infeasible, nothing (no unpublished shift in the period) or failed."""
    progress: Mapped[int] = mapped_column(Integer, default=0)
    """0-100, for the progress bar."""
    time_limit_seconds: Mapped[int] = mapped_column(Integer, default=20)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """Why the request is impossible: [{"rule", "message", ...}]."""
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
