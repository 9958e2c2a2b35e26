"""The scheduler's SMS job: send due template SMS, settle interrupted ones."""

from __future__ import annotations

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.sms.services import retry_due


def retry_tick() -> None:
    """Send due messages and mark those a dead process left `sending` as uncertain (never resent)."""
    retry_due(db.session, utcnow())
