"""The wallboard's alerts: the supervisor on call is told when a threshold is newly crossed or the trunk is lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline import push
from hotline.routing.adapters import on_duty_supervisor_ids
from hotline.settings import Setting
from hotline.wallboard.services import board
from hotline.wallboard.trunk import record_report

STATE_KEY = "wallboard.alerts"


def alert_on_call(session: Session, now: datetime) -> list[str]:
    """Alert the supervisor on call to each threshold crossed since the last check; return those alerts.

    The crossed thresholds are kept in the settings table, so an alert goes out once
    when a threshold is crossed (again only after it has been back within it).
    """
    current = board(session, now).alerts
    row = session.get(Setting, STATE_KEY)
    before = set(row.value.get("active", [])) if row is not None else set()
    new = [name for name in current if name not in before]
    if row is None:
        session.add(Setting(key=STATE_KEY, value={"active": current}))
    elif set(current) != before:
        row.value = {"active": current}
    session.commit()
    if new:
        push.wallboard_alert(on_duty_supervisor_ids(session, now), {"alerts": new, "at": now.isoformat()})
    return new


def trunk_reported(session: Session, params: dict[str, str], now: datetime) -> list[str]:
    """Record a SIP gateway's trunk report and alert the supervisor on call at once; return the alerts sent."""
    if record_report(session, params, now) is None:
        return []
    return alert_on_call(session, now)


def tick() -> None:
    """Check the thresholds (the scheduler's job)."""
    from hotline.clock import utcnow
    from hotline.extensions import db

    alert_on_call(db.session, utcnow())
