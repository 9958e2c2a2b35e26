"""Scheduled telephony work: retry the REST requests that failed (see hotline/scheduler.py JOBS)."""

from __future__ import annotations

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony.outbox import retry_commands
from hotline.telephony.providers import get_provider


def retry_outbox() -> None:
    """Send the outbox's due commands and settle interrupted ones."""
    retry_commands(db.session, get_provider(), utcnow())
