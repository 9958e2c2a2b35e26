"""The manager's wallboard thresholds: past them a figure turns red and the supervisor on call is alerted."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from hotline.settings import Setting

KEY = "wallboard.thresholds"


@dataclass(frozen=True)
class Thresholds:
    """Where the wallboard's colours change."""

    longest_wait_seconds: int = 60
    service_level_percent: int = 80
    abandonment_percent: int = 10
    callbacks_overdue: int = 1
    offered_seconds: int = 30
    on_call_minutes: int = 30
    wrap_up_minutes: int = 5
    away_minutes: int = 15

    def state_limit_seconds(self, state: str) -> int | None:
        """Return how long a worker may stay in a state before it is coloured (None: no limit)."""
        minutes = {"on_call": self.on_call_minutes, "wrap_up": self.wrap_up_minutes, "away": self.away_minutes}
        if state == "offered":
            return self.offered_seconds
        return minutes[state] * 60 if state in minutes else None


LIMITS: dict[str, tuple[int, int]] = {
    "longest_wait_seconds": (5, 3600),
    "service_level_percent": (1, 100),
    "abandonment_percent": (1, 100),
    "callbacks_overdue": (1, 1000),
    "offered_seconds": (5, 600),
    "on_call_minutes": (1, 600),
    "wrap_up_minutes": (1, 120),
    "away_minutes": (1, 600),
}


def load(session: Session) -> Thresholds:
    """Return the thresholds in force (defaults where the manager set nothing)."""
    row = session.get(Setting, KEY)
    stored = row.value if row is not None else {}
    return Thresholds(**{name: int(stored[name]) for name in LIMITS if name in stored})


def save(session: Session, values: dict[str, Any], actor_id: int) -> Thresholds:
    """Store new thresholds (already checked against LIMITS by the form); commit."""
    value = {name: int(values[name]) for name in LIMITS}
    row = session.get(Setting, KEY)
    if row is None:
        session.add(Setting(key=KEY, value=value, updated_by_id=actor_id))
    else:
        row.value, row.updated_by_id = value, actor_id
    session.commit()
    return load(session)


def as_dict(thresholds: Thresholds) -> dict[str, int]:
    """Return the thresholds as a plain dict (the form's data)."""
    return asdict(thresholds)
