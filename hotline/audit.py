"""The audit log: who did what, when, from where. Append-only; managers read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, code, intpk
from hotline.privacy import EncryptedJSON


class AuditEntry(Base):
    """One recorded action; rows are never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_action_at", "action", "at"))

    id: Mapped[intpk]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[code]
    """e.g. case.view, export, user.role_change, rota.publish, settings.change."""
    target: Mapped[str | None] = mapped_column(String(120))
    """What was acted on, as "kind:id" (case:42, user:7)."""
    detail: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    address: Mapped[str | None] = mapped_column(String(64))


def record(
    session: Session,
    action: str,
    actor_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
) -> AuditEntry:
    """Append an entry to the audit log (the caller commits with its own change)."""
    if address is None and has_request_context():
        address = request.remote_addr
    entry = AuditEntry(action=action, actor_id=actor_id, target=target, detail=detail or {}, address=address)
    session.add(entry)
    return entry
