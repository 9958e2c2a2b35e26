"""The scheduler's work-order tick: follow new referrals, act on deadlines that passed."""

from __future__ import annotations

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.workorders.closing import finish_submitted
from hotline.workorders.supervision import act_on_deadlines, open_orders


def tick() -> None:
    """Open orders for new station and organisation referrals, then flag late ones (listed in JOBS)."""
    now = utcnow()
    open_orders(db.session, now)
    finish_submitted(db.session, now)
    act_on_deadlines(db.session, now)
