"""The scheduler's work-order tick: follow new referrals, act on deadlines that passed."""

from __future__ import annotations

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.telephony.providers import get_provider
from hotline.workorders.closing import finish_submitted
from hotline.workorders.supervision import act_on_deadlines, open_orders, send_reminders, sign_accepted


def tick() -> None:
    """Open orders for new referrals, finish interrupted results, flag late orders and send reminders (JOBS)."""
    now = utcnow()
    open_orders(db.session, now)
    sign_accepted(db.session, now)
    finish_submitted(db.session, now)
    acts = act_on_deadlines(db.session, now)
    if acts:
        send_reminders(db.session, acts, get_provider(), now)
