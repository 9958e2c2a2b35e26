"""The manager's callback schedule: the deadlines and the retries, kept in the settings table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from hotline.callbacks.exceptions import BadSchedule
from hotline.settings import Setting

KEY = "callbacks.schedule"
DEFAULTS: dict[str, Any] = {"deadline_minutes": 120, "high_risk_deadline_minutes": 30, "retry_minutes": [30, 120]}
MAX_MINUTES = 7 * 24 * 60
MAX_RETRIES = 10


@dataclass(frozen=True)
class Schedule:
    """How soon a caller is to be reached, and when to try again after an attempt that failed."""

    deadline_minutes: int
    high_risk_deadline_minutes: int
    retry_minutes: tuple[int, ...]
    """The wait before the 2nd, 3rd… attempt; the task closes after the attempt past the last one."""

    @property
    def max_attempts(self) -> int:
        """Return how many dials a task gets before it closes unreached."""
        return len(self.retry_minutes) + 1


def load(session: Session) -> Schedule:
    """Return the schedule in force (the defaults where the manager set nothing)."""
    row = session.get(Setting, KEY)
    values = {**DEFAULTS, **(row.value if row is not None else {})}
    return Schedule(
        int(values["deadline_minutes"]),
        int(values["high_risk_deadline_minutes"]),
        tuple(int(minutes) for minutes in values["retry_minutes"]),
    )


def parse_minutes_list(text: str) -> list[int] | None:
    """Parse "30, 120" (commas, Chinese commas or spaces) into whole minutes; None when malformed."""
    parts = [part for part in text.replace("，", ",").replace(" ", ",").split(",") if part]
    if not all(part.isdigit() for part in parts):
        return None
    return [int(part) for part in parts]


def save(
    session: Session, *, deadline: int, high_risk_deadline: int, retries: list[int] | None, actor_id: int
) -> Schedule:
    """Check and store a new schedule; commit.

    Raises:
        BadSchedule: a deadline or a retry is out of range (every problem named).
    """
    errors: dict[str, str] = {}
    if not 1 <= deadline <= MAX_MINUTES:
        errors["deadline_minutes"] = str(_l("Give a deadline between 1 minute and 7 days."))
    if not 1 <= high_risk_deadline <= MAX_MINUTES:
        errors["high_risk_deadline_minutes"] = str(_l("Give a deadline between 1 minute and 7 days."))
    if retries is None or len(retries) > MAX_RETRIES or not all(1 <= minutes <= MAX_MINUTES for minutes in retries):
        errors["retry_minutes"] = str(
            _l("List up to 10 waits in minutes, separated by commas, each between 1 and 10080 (e.g. 30, 120).")
        )
    if errors:
        raise BadSchedule(errors)
    value = {"deadline_minutes": deadline, "high_risk_deadline_minutes": high_risk_deadline, "retry_minutes": retries}
    row = session.get(Setting, KEY)
    if row is None:
        session.add(Setting(key=KEY, value=value, updated_by_id=actor_id))
    else:
        row.value, row.updated_by_id = value, actor_id
    session.commit()
    return load(session)
