"""Figures by station and organisation: orders received, on time, returned, extended, satisfaction, overdue now.

Counted from the orders' event logs in a period (each event carries the unit the
order was with, `at_unit`), so an order returned by one station and handled by
another counts once for each: received and returned for the first, received,
signed and completed for the second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import hotline_zone
from hotline.directory.models import Organisation, Station, Volunteer
from hotline.workorders.models import WITH_UNIT, WorkOrder, WorkOrderEvent


@dataclass
class UnitFigures:
    """One unit's figures in a period."""

    key: str
    name: str
    kind: str
    received: int = 0
    signed: int = 0
    signed_on_time: int = 0
    completed: int = 0
    completed_on_time: int = 0
    returned: int = 0
    extensions: int = 0
    ratings: list[int] = field(default_factory=list)
    overdue_now: int = 0

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        """Return part / whole, None for nothing counted."""
        return part / whole if whole else None

    @property
    def sign_rate(self) -> float | None:
        """Return the share of orders signed for by the sign-for deadline."""
        return self.rate(self.signed_on_time, self.signed)

    @property
    def completion_rate(self) -> float | None:
        """Return the share of results submitted by the handling deadline."""
        return self.rate(self.completed_on_time, self.completed)

    @property
    def return_rate(self) -> float | None:
        """Return the share of orders received that the unit returned."""
        return self.rate(self.returned, self.received)

    @property
    def satisfaction(self) -> float | None:
        """Return the mean satisfaction (1-5) of the return calls about the unit's results."""
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def as_json(self) -> dict[str, object]:
        """Return the figures for the API."""
        return {
            "unit": self.key,
            "name": self.name,
            "kind": self.kind,
            "received": self.received,
            "signed": self.signed,
            "signed_on_time_rate": self.sign_rate,
            "completed": self.completed,
            "completed_on_time_rate": self.completion_rate,
            "returned": self.returned,
            "return_rate": self.return_rate,
            "extensions": self.extensions,
            "return_calls_rated": len(self.ratings),
            "satisfaction": self.satisfaction,
            "overdue_now": self.overdue_now,
        }


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Return the first moment of a month and of the next, in the hotline's zone."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    zone = hotline_zone()
    return datetime.combine(first, time.min, tzinfo=zone), datetime.combine(following, time.min, tzinfo=zone)


def unit_names(session: Session) -> dict[str, tuple[str, str]]:
    """Return "station:<id>" → (name, kind) for every station, organisation and volunteer."""
    names = {f"station:{s.id}": (s.name, "station") for s in session.scalars(select(Station))}
    names.update({f"organisation:{o.id}": (o.name, "organisation") for o in session.scalars(select(Organisation))})
    names.update({f"volunteer:{v.id}": (v.name, "volunteer") for v in session.scalars(select(Volunteer))})
    return names


def unit_figures(session: Session, start: datetime, end: datetime, now: datetime) -> list[UnitFigures]:
    """Return each unit's figures for events in [start, end), with the orders overdue now; busiest first."""
    names = unit_names(session)
    table: dict[str, UnitFigures] = {}

    def row(key: str) -> UnitFigures:
        if key not in table:
            name, kind = names.get(key, (key, key.split(":")[0]))
            table[key] = UnitFigures(key=key, name=name, kind=kind)
        return table[key]

    events = session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.at >= start, WorkOrderEvent.at < end))
    for event in events:
        key = (event.detail or {}).get("at_unit")
        if not key:
            continue
        figures = row(key)
        if event.kind in ("dispatched", "redispatched"):
            figures.received += 1
        elif event.kind == "signed":
            figures.signed += 1
            figures.signed_on_time += bool(event.detail.get("on_time"))
        elif event.kind == "result_submitted":
            figures.completed += 1
            figures.completed_on_time += bool(event.detail.get("on_time"))
        elif event.kind == "returned" and event.via != "hotline":
            figures.returned += 1
        elif event.kind == "extension_granted":
            figures.extensions += 1
        elif event.kind == "verdict" and event.detail.get("satisfaction"):
            figures.ratings.append(int(event.detail["satisfaction"]))
    for order in session.scalars(select(WorkOrder).where(WorkOrder.state.in_(WITH_UNIT))):
        due = order.deadline()
        if due is not None and due < now and order.unit_key is not None:
            row(f"{order.unit_key[0]}:{order.unit_key[1]}").overdue_now += 1
    return sorted(table.values(), key=lambda f: (-f.received, f.name))
