"""The scheduler's escalation tick: run every due step, send what was stored but never sent."""

from __future__ import annotations

from hotline.clock import utcnow
from hotline.escalation.steps import run_due
from hotline.extensions import db
from hotline.telephony.providers import get_provider


def tick() -> None:
    """Claim due chains and run their next step (listed in hotline/scheduler.py JOBS)."""
    run_due(db.session, utcnow(), get_provider())
