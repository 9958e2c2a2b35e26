"""The urgency table (sign-for and handling limits) and deadlines counted on the line's calendar.

A limit is an amount and a unit: minutes, hours (wall-clock) or working days
(the same local time on the Nth working day after, skipping weekends and
holidays and counting make-up days, from the calendar managers edit).
The table is the setting `workorders.limits`, edited by managers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hotline import audit
from hotline.clock import hotline_zone
from hotline.settings import Setting
from hotline.workdays.models import WORKING
from hotline.workdays.services import days

LIMITS_KEY = "workorders.limits"
UNITS = ("minutes", "hours", "working_days")
URGENCIES = ("emergency", "urgent", "normal")
DEFAULT_LIMITS: dict[str, dict[str, dict[str, Any]]] = {
    "emergency": {"sign": {"amount": 15, "unit": "minutes"}, "handle": {"amount": 12, "unit": "hours"}},
    "urgent": {"sign": {"amount": 30, "unit": "minutes"}, "handle": {"amount": 24, "unit": "hours"}},
    "normal": {"sign": {"amount": 4, "unit": "hours"}, "handle": {"amount": 5, "unit": "working_days"}},
}
MAX_AMOUNT = {"minutes": 10_080, "hours": 720, "working_days": 60}
SECOND_LIMIT_FACTOR = 2
"""The district centre is told once an order is this many limits late (twice the limit)."""


class BadLimits(ValueError):
    """The urgency table has a wrong value; `problems` maps "urgency.kind" to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(f"{key}: {why}" for key, why in problems.items()))
        self.problems = problems


def limits(session: Session) -> dict[str, dict[str, dict[str, Any]]]:
    """Return the urgency table, the defaults filled in for urgencies never edited."""
    row = session.get(Setting, LIMITS_KEY)
    stored = row.value if row is not None else {}
    return {urgency: {**DEFAULT_LIMITS[urgency], **stored.get(urgency, {})} for urgency in URGENCIES}


def check_limits(table: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Return a clean urgency table or raise BadLimits naming each wrong cell."""
    clean: dict[str, dict[str, dict[str, Any]]] = {}
    problems: dict[str, str] = {}
    for urgency in URGENCIES:
        clean[urgency] = {}
        for kind in ("sign", "handle"):
            cell = (table.get(urgency) or {}).get(kind) or {}
            unit = cell.get("unit")
            try:
                amount = int(cell.get("amount"))
            except (TypeError, ValueError):
                problems[f"{urgency}.{kind}"] = "a whole number is needed"
                continue
            if unit not in UNITS:
                problems[f"{urgency}.{kind}"] = f"unit must be one of {', '.join(UNITS)}"
            elif not 1 <= amount <= MAX_AMOUNT[unit]:
                problems[f"{urgency}.{kind}"] = f"between 1 and {MAX_AMOUNT[unit]}"
            else:
                clean[urgency][kind] = {"amount": amount, "unit": unit}
    if problems:
        raise BadLimits(problems)
    return clean


def save_limits(session: Session, table: dict[str, Any], *, actor_id: int) -> dict[str, Any]:
    """Store the urgency table a manager edited; commit. Orders already dispatched keep their deadlines.

    Raises:
        BadLimits: nothing is saved.
    """
    clean = check_limits(table)
    row = session.get(Setting, LIMITS_KEY)
    before = row.value if row is not None else {}
    if row is None:
        row = Setting(key=LIMITS_KEY, value=clean, updated_by_id=actor_id)
        session.add(row)
    else:
        row.value, row.updated_by_id = clean, actor_id
    audit.record(
        session,
        "settings.change",
        actor_id=actor_id,
        target=f"setting:{LIMITS_KEY}",
        detail={"from": before, "to": clean},
    )
    session.commit()
    return clean


def add_limit(session: Session, start: datetime, limit: dict[str, Any]) -> datetime:
    """Return the moment a limit counted from `start` runs out (working days on the line's calendar)."""
    amount, unit = int(limit["amount"]), limit["unit"]
    if unit == "minutes":
        return start + timedelta(minutes=amount)
    if unit == "hours":
        return start + timedelta(hours=amount)
    zone = hotline_zone()
    local_start = start.astimezone(zone)
    day = local_start.date()
    calendar = days(session, day, day + timedelta(days=amount * 3 + 31))
    counted = 0
    while counted < amount:
        day += timedelta(days=1)
        row = calendar.get(day)
        if row is None:  # a long holiday run: read further on
            calendar.update(days(session, day, day + timedelta(days=31)))
            row = calendar[day]
        if row.kind == WORKING:
            counted += 1
    moment = datetime.combine(day, local_start.timetz().replace(tzinfo=None), tzinfo=zone)
    return moment.astimezone(start.tzinfo)


def due_times(session: Session, urgency: str, start: datetime) -> tuple[datetime, datetime]:
    """Return (sign-for deadline, handling deadline) of an order dispatched at `start`."""
    table = limits(session)
    row = table.get(urgency) or table["normal"]
    return add_limit(session, start, row["sign"]), add_limit(session, start, row["handle"])


def second_limit(start: datetime, due: datetime) -> datetime:
    """Return when an order late for `due` (counted from `start`) goes to the district centre."""
    return start + (due - start) * SECOND_LIMIT_FACTOR
