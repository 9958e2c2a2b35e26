"""Settings that managers edit in the browser, stored as JSON values by key.

The model sits beside the other foundations (db, clock) because every layer
reads settings: the line, the rota, routing, cases, escalation, reports and the
scheduler. Each package owns the keys under its own prefix ("telephony.",
"rota.", "routing.", ...) and reads and writes only those.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base


class Setting(Base):
    """One named setting; each package owns the keys under its own prefix."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
