"""Escalation figures: referrals by station and by expert volunteer, with acknowledgement times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.models import ExpertVolunteer, Station
from hotline.reports.queries import ReferralFact, referral_facts
from hotline.reports.services import utc_range

ESCALATION_VIEWS = ("station", "expert")
ESCALATION_FIELDS = (
    "referrals_created",
    "acknowledged",
    "acknowledged_within_deadline",
    "acknowledged_late",
    "not_acknowledged",
    "overdue_now",
    "median_minutes_to_acknowledge",
    "with_outcome",
)


@dataclass
class EscalationRow:
    """Referral figures of one station or expert."""

    key: int | None
    label: str
    figures: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return the row for JSON or export."""
        return {"key": self.key, "label": self.label, **self.figures}


def escalation_figures(facts: list[ReferralFact], now: datetime) -> dict[str, Any]:
    """Return the figures of a group of referrals."""
    acknowledged = [fact for fact in facts if fact.acknowledged_at is not None]
    minutes = [(fact.acknowledged_at - fact.created_at).total_seconds() / 60 for fact in acknowledged]
    in_time = sum(1 for fact in facts if fact.in_time)
    return {
        "referrals_created": len(facts),
        "acknowledged": len(acknowledged),
        "acknowledged_within_deadline": in_time,
        "acknowledged_late": len(acknowledged) - in_time,
        "not_acknowledged": len(facts) - len(acknowledged),
        "overdue_now": sum(1 for f in facts if f.acknowledged_at is None and f.due_at is not None and f.due_at < now),
        "median_minutes_to_acknowledge": round(median(minutes), 1) if minutes else None,
        "with_outcome": sum(1 for fact in facts if fact.outcome),
    }


def escalation_breakdown(
    session: Session, start_day: date, end_day: date, view: str, now: datetime
) -> list[EscalationRow]:
    """Return referral figures by station or by expert for local days start..end (referrals to neither are left out)."""
    if view not in ESCALATION_VIEWS:
        raise ValueError(view)
    start, end = utc_range(start_day, end_day)
    groups: dict[int, list[ReferralFact]] = {}
    for fact in referral_facts(session, start, end):
        key = fact.station_id if view == "station" else fact.expert_id
        if key is not None:
            groups.setdefault(key, []).append(fact)
    model = Station if view == "station" else ExpertVolunteer
    names = {
        row.id: row.name for row in session.execute(select(model.id, model.name).where(model.id.in_(list(groups))))
    }
    rows = [
        EscalationRow(key, names.get(key, str(key)), escalation_figures(facts, now)) for key, facts in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row.figures["referrals_created"], row.label))
