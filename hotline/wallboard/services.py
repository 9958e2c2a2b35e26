"""What the wallboard shows: the queue by service, today's figures against the targets, callbacks due, every
worker's state with time in it, the live calls a supervisor may join; and which thresholds are crossed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.callbacks.models import OPEN_STATUSES, CallbackTask
from hotline.callbacks.services import due_count
from hotline.clock import local, to_utc
from hotline.reports.figures import Counts
from hotline.reports.queries import call_groups
from hotline.reports.services import service_level_target
from hotline.routing.adapters import on_duty_supervisor_ids, on_duty_worker_ids, queued_calls
from hotline.routing.models import WorkerPresence
from hotline.telephony.models import Call
from hotline.wallboard.thresholds import Thresholds, load
from hotline.wallboard.trunk import lost_gateways

STATE_ORDER = ("offered", "on_call", "wrap_up", "available", "away", "offline")


@dataclass
class Waiting:
    """Calls waiting for one service."""

    service: str | None
    count: int = 0
    longest_since: datetime | None = None
    longest_seconds: float = 0.0
    over: bool = False


@dataclass
class WorkerState:
    """One worker on the wallboard."""

    user_id: int
    name: str
    state: str
    since: datetime
    seconds: float
    over: bool
    call_id: int | None
    supervisor: bool


@dataclass
class LiveCall:
    """A call a worker is talking on now."""

    call_id: int
    worker: str
    service: str | None
    since: datetime


@dataclass
class Board:
    """Everything the wallboard shows at one moment."""

    now: datetime
    thresholds: Thresholds
    waiting: list[Waiting]
    today: Counts
    target_seconds: int
    callbacks_due: int
    callbacks_overdue: int
    workers: list[WorkerState]
    live_calls: list[LiveCall]
    alerts: list[str] = field(default_factory=list)

    @property
    def waiting_total(self) -> int:
        """Return how many callers wait in all."""
        return sum(group.count for group in self.waiting)

    @property
    def service_level(self) -> float | None:
        """Return today's share answered within the target (None before the first call)."""
        return self.today.within_target / self.today.offered if self.today.offered else None

    @property
    def abandonment(self) -> float | None:
        """Return today's share of offered calls abandoned (None before the first call)."""
        return self.today.abandoned / self.today.offered if self.today.offered else None


def start_of_day(now: datetime) -> datetime:
    """Return the start of the hotline's day containing now, in UTC."""
    return to_utc(local(now).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None))


def wall_state(presence: WorkerPresence) -> str:
    """Return the wallboard's name for a presence: offered, on_call, wrap_up, available, away or offline."""
    if presence.state == "available":
        return "offered" if presence.offered_call_id is not None else "available"
    if presence.state == "busy":
        return "on_call" if presence.current_call_id is not None else "away"
    if presence.state == "wrap_up":
        return "wrap_up"
    if presence.state == "break":
        return "away"
    return "offline"


def waiting_by_service(session: Session, now: datetime, limits: Thresholds) -> list[Waiting]:
    """Return the queue grouped by service, the longest wait first."""
    groups: dict[str | None, Waiting] = {}
    for call in queued_calls(session):
        group = groups.setdefault(call.service, Waiting(call.service))
        group.count += 1
        if group.longest_since is None or call.queued_at < group.longest_since:
            group.longest_since = call.queued_at
    for group in groups.values():
        group.longest_seconds = max(0.0, (now - group.longest_since).total_seconds()) if group.longest_since else 0.0
        group.over = group.longest_seconds > limits.longest_wait_seconds
    return sorted(groups.values(), key=lambda group: -group.longest_seconds)


def workers(session: Session, now: datetime, limits: Thresholds) -> list[WorkerState]:
    """Return every worker on duty or not offline, busiest states first."""
    supervisors = on_duty_supervisor_ids(session, now)
    on_duty = on_duty_worker_ids(session, now) | supervisors
    rows = session.scalars(
        select(WorkerPresence).where((WorkerPresence.state != "offline") | WorkerPresence.user_id.in_(on_duty))
    )
    found = {row.user_id: row for row in rows}
    missing = on_duty - set(found)
    people: list[WorkerState] = []
    for presence in found.values():
        state = wall_state(presence)
        seconds = max(0.0, (now - presence.state_since).total_seconds())
        limit = limits.state_limit_seconds(state)
        people.append(
            WorkerState(
                presence.user_id,
                presence.user.display_name,
                state,
                presence.state_since,
                seconds,
                limit is not None and seconds > limit,
                presence.current_call_id if state == "on_call" else presence.offered_call_id,
                presence.user_id in supervisors,
            )
        )
    for user in session.scalars(select(User).where(User.id.in_(missing))):
        people.append(WorkerState(user.id, user.display_name, "offline", now, 0.0, False, None, user.id in supervisors))
    return sorted(people, key=lambda person: (STATE_ORDER.index(person.state), -person.seconds, person.name))


def live_calls(session: Session) -> list[LiveCall]:
    """Return the calls a worker is talking on now (answered, not ended)."""
    query = (
        select(Call, User.display_name)
        .join(User, User.id == Call.worker_id)
        .where(Call.answered_at.is_not(None), Call.ended_at.is_(None), Call.direction == "inbound")
        .order_by(Call.answered_at)
    )
    return [LiveCall(call.id, name, call.service, call.answered_at) for call, name in session.execute(query)]


def overdue_callbacks(session: Session, now: datetime) -> int:
    """Return how many open callbacks are past their deadline."""
    query = select(CallbackTask.id).where(CallbackTask.status.in_(OPEN_STATUSES), CallbackTask.due_at < now)
    return len(list(session.scalars(query)))


def board(session: Session, now: datetime) -> Board:
    """Return the wallboard at `now`, with the thresholds crossed (and a trunk lost) named in `alerts`."""
    limits = load(session)
    target = service_level_target(session)
    start = start_of_day(now)
    today = Counts()
    for counts in call_groups(session, start, start + timedelta(days=1), "service", target).values():
        today.add(counts)
    result = Board(
        now,
        limits,
        waiting_by_service(session, now, limits),
        today,
        target,
        due_count(session, now),
        overdue_callbacks(session, now),
        workers(session, now, limits),
        live_calls(session),
    )
    result.alerts = crossed(result) + (["trunk_lost"] if lost_gateways(session) else [])
    return result


def crossed(result: Board) -> list[str]:
    """Return the names of the thresholds the board is past: long_wait, service_level, abandonment, callbacks."""
    limits, alerts = result.thresholds, []
    if any(group.over for group in result.waiting):
        alerts.append("long_wait")
    if result.service_level is not None and result.service_level * 100 < limits.service_level_percent:
        alerts.append("service_level")
    if result.abandonment is not None and result.abandonment * 100 > limits.abandonment_percent:
        alerts.append("abandonment")
    if result.callbacks_overdue >= limits.callbacks_overdue:
        alerts.append("callbacks")
    return alerts
