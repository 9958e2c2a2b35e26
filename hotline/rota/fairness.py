"""Fairness of the rota over a period: each person's hours, shifts and weekend shifts on duty in force.

Counts published duties (`ShiftAssignment`) of people with an account, duty
workers and supervisors alike; expert volunteers' duty days are not hours of
the rota. A shift that crosses the period's edge counts only its hours inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.rota.models import Shift, ShiftAssignment


@dataclass(frozen=True)
class Share:
    """One person's share of the rota over the period."""

    user_id: int
    name: str
    shifts: int
    hours: float
    weekend_shifts: int
    difference: float
    """Hours above (+) or below (−) the period's mean over everyone on the rota."""


def hours_per_person(session: Session, first: date, last: date, zone: ZoneInfo) -> list[Share]:
    """Return each person's hours of duty in force between the local days `first` and `last` (inclusive).

    Sorted by hours, most first; `difference` is against the mean of the people listed.
    """
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    rows = session.execute(
        select(ShiftAssignment.user_id, User.display_name, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .join(User, User.id == ShiftAssignment.user_id)
        .where(Shift.starts_at < end, Shift.ends_at > start)
    ).all()
    totals: dict[int, list[Any]] = {}
    for user_id, name, starts_at, ends_at in rows:
        inside = (min(ends_at, end) - max(starts_at, start)).total_seconds() / 3600
        entry = totals.setdefault(user_id, [name, 0, 0.0, 0])
        entry[1] += 1
        entry[2] += inside
        entry[3] += starts_at.astimezone(zone).weekday() >= 5
    mean = sum(entry[2] for entry in totals.values()) / len(totals) if totals else 0.0
    shares = [
        Share(user_id, name, shifts, round(hours, 2), weekend, round(hours - mean, 2))
        for user_id, (name, shifts, hours, weekend) in totals.items()
    ]
    return sorted(shares, key=lambda share: (-share.hours, share.name))
