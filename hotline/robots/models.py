"""Every post to a robot, kept for the client-side rate limits (all processes share the table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, code, intpk
from hotline.privacy import LOOKUP_HASH


class RobotSend(Base):
    """One post to a robot (or one refused by its rate limit) at a moment."""

    __tablename__ = "robot_sends"
    __table_args__ = (Index("ix_robot_sends_robot_at", "robot", "at"),)

    id: Mapped[intpk]
    robot: Mapped[str] = mapped_column(LOOKUP_HASH)
    """The keyed hash of the robot's URL: the URL (or its key) is the secret, so it is not stored here."""
    kind: Mapped[code]
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    """sent, failed, limited (the robot answered with its rate-limit code)."""
