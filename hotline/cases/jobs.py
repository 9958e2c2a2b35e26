"""Scheduler ticks of the case package (listed in hotline/scheduler.py JOBS)."""

from __future__ import annotations

from hotline import push
from hotline.cases.followups import claim_due_follow_ups
from hotline.clock import utcnow
from hotline.extensions import db


def announce_due_follow_ups() -> int:
    """Claim follow-ups that fell due and push each to its assignee's console (after the commit)."""
    claimed = claim_due_follow_ups(db.session, utcnow())
    for assignee_id, payload in claimed:
        push.follow_up_due(assignee_id, payload)
    return len(claimed)


def apply_retention() -> None:
    """Apply the retention periods (daily)."""
    from hotline.cases.retention import run_retention

    run_retention(db.session, utcnow(), dry_run=False)
