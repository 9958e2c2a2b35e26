"""The figures: calls, answers, waits, referrals and satisfaction over local days, by any dimension.

Definitions are in docs/reports.md. Calls are aggregated in the database (three
grouped passes over the range's rows, using ix_calls_created_at); referrals, which
are few, are folded in Python. Day, hour and week come from 15-minute UTC buckets
converted to HOTLINE_TZ, so any zone offset (a multiple of 15 minutes) is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context
from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.cases.models import CallSatisfaction, Case, IntakeVersion
from hotline.clock import hotline_zone
from hotline.directory.models import Area
from hotline.escalation.models import Referral
from hotline.manage.models import Setting
from hotline.telephony.models import Call
from hotline.vocabulary import Service, TargetGroup
from hotline.vocabulary import label as glossary_label

BUCKET_SECONDS = 900
DEFAULT_SERVICE_LEVEL_SECONDS = 20
SETTING_KEY = "reports"
FIELDS = (
    "calls_offered",
    "calls_answered",
    "calls_abandoned",
    "answer_rate",
    "avg_speed_of_answer_s",
    "avg_handle_time_s",
    "service_level",
    "voicemails",
    "callbacks_requested",
    "referrals_created",
    "referrals_acknowledged_within_deadline",
    "first_contact_resolution_rate",
    "satisfaction_avg",
)
RATE_FIELDS = ("answer_rate", "service_level", "first_contact_resolution_rate")
SECONDS_FIELDS = ("avg_speed_of_answer_s", "avg_handle_time_s")
CALL_VIEWS = ("hour", "day", "week", "service", "target_group", "area", "worker")


def label(value: Any) -> str:
    """Return a glossary label in the request's language (the code itself outside a request)."""
    return glossary_label(value) if has_request_context() else str(value)


class RangeInvalid(ValueError):
    """The date range is backwards or too long."""


@dataclass
class Counts:
    """Sums from which every figure is computed; counts of parts add up to the whole."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_sum: float = 0.0
    within_target: int = 0
    handle_sum: float = 0.0
    handle_n: int = 0
    voicemails: int = 0
    callbacks: int = 0
    content_calls: int = 0
    resolved_calls: int = 0
    satisfaction_sum: int = 0
    satisfaction_n: int = 0
    referrals: int = 0
    referrals_in_time: int = 0

    def add(self, other: Counts) -> None:
        """Add another group's sums to these."""
        mine, theirs = self.__dict__, other.__dict__
        for name in COUNT_NAMES:
            mine[name] += theirs[name]

    def figures(self) -> dict[str, Any]:
        """Return the reported figures (None where the denominator is zero)."""

        def share(part: float, whole: float, digits: int = 4) -> float | None:
            return round(part / whole, digits) if whole else None

        return {
            "calls_offered": self.offered,
            "calls_answered": self.answered,
            "calls_abandoned": self.abandoned,
            "answer_rate": share(self.answered, self.offered),
            "avg_speed_of_answer_s": share(self.wait_sum, self.answered, 1),
            "avg_handle_time_s": share(self.handle_sum, self.handle_n, 1),
            "service_level": share(self.within_target, self.offered),
            "voicemails": self.voicemails,
            "callbacks_requested": self.callbacks,
            "referrals_created": self.referrals,
            "referrals_acknowledged_within_deadline": self.referrals_in_time,
            "first_contact_resolution_rate": share(self.resolved_calls, self.content_calls),
            "satisfaction_avg": share(self.satisfaction_sum, self.satisfaction_n, 2),
        }


COUNT_NAMES = tuple(item.name for item in fields(Counts))
FLOAT_COUNTS = ("wait_sum", "handle_sum")


@dataclass
class Row:
    """One line of a report table: a key (day, service code, area id…), its label and its figures."""

    key: Any
    label: str
    counts: Counts = field(default_factory=Counts)

    @property
    def figures(self) -> dict[str, Any]:
        """Return the row's figures."""
        return self.counts.figures()

    def as_dict(self, key_name: str = "key") -> dict[str, Any]:
        """Return the row for JSON: its key, label and figures."""
        return {key_name: self.key, "label": self.label, **self.figures}


def service_level_target(session: Session) -> int:
    """Return the service-level target in seconds (setting `reports`, default 20)."""
    row = session.get(Setting, SETTING_KEY)
    return int((row.value if row else {}).get("service_level_target_s", DEFAULT_SERVICE_LEVEL_SECONDS))


def utc_range(start_day: date, end_day: date) -> tuple[datetime, datetime]:
    """Return [start, end) in UTC covering local days start_day..end_day inclusive.

    Raises:
        RangeInvalid: end before start, or more than 366 days.
    """
    if end_day < start_day:
        raise RangeInvalid("to is before from")
    if (end_day - start_day).days > 366:
        raise RangeInvalid("at most 366 days")
    zone = hotline_zone()
    start = datetime.combine(start_day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def _seconds_between(dialect: str, later: Any, earlier: Any) -> Any:
    if dialect == "postgresql":
        return func.date_part("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _bucket(dialect: str) -> Any:
    if dialect == "postgresql":
        return cast(func.floor(func.date_part("epoch", Call.created_at) / BUCKET_SECONDS), Integer)
    return cast(func.strftime("%s", Call.created_at), Integer) // BUCKET_SECONDS


def _aggregates(dialect: str, target_s: int) -> list[Any]:
    """Return the SQL sums behind Counts, over calls joined to their satisfaction and current intake."""
    inbound = Call.direction == "inbound"
    offered = and_(
        inbound,
        or_(Call.queued_at.is_not(None), Call.answered_at.is_not(None)),
        or_(Call.outcome.is_(None), Call.outcome != "closed-hours"),
    )
    answered = and_(offered, Call.answered_at.is_not(None))
    wait = _seconds_between(dialect, Call.answered_at, func.coalesce(Call.queued_at, Call.created_at))
    handled = and_(answered, Call.ended_at.is_not(None))
    content = and_(inbound, IntakeVersion.call_type == "content")

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        count(offered).label("offered"),
        count(answered).label("answered"),
        count(and_(offered, Call.answered_at.is_(None), Call.outcome == "abandoned")).label("abandoned"),
        func.coalesce(func.sum(case((answered, wait), else_=0)), 0).label("wait_sum"),
        count(and_(answered, wait <= target_s)).label("within_target"),
        func.coalesce(
            func.sum(case((handled, _seconds_between(dialect, Call.ended_at, Call.answered_at)), else_=0)), 0
        ).label("handle_sum"),
        count(handled).label("handle_n"),
        count(and_(inbound, Call.outcome == "voicemail")).label("voicemails"),
        count(and_(inbound, Call.outcome == "callback-requested")).label("callbacks"),
        count(content).label("content_calls"),
        count(and_(content, IntakeVersion.outcome == "resolved")).label("resolved_calls"),
        func.coalesce(func.sum(CallSatisfaction.score), 0).label("satisfaction_sum"),
        func.count(CallSatisfaction.id).label("satisfaction_n"),
    ]


COUNT_COLUMNS = [item.name for item in fields(Counts) if not item.name.startswith("referrals")]


def call_groups(session: Session, start: datetime, end: datetime, group: str, target_s: int) -> dict[Any, Counts]:
    """Return call sums per group value ("bucket", "service", "area", "worker", "target_group") in [start, end)."""
    dialect = session.get_bind().dialect.name
    key = {
        "bucket": _bucket(dialect),
        "service": Call.service,
        "area": Case.area_id,
        "worker": Call.worker_id,
        "target_group": Case.target_groups,
    }[group]
    query = (
        select(key.label("group_key"), *_aggregates(dialect, target_s))
        .select_from(Call)
        .outerjoin(CallSatisfaction, CallSatisfaction.call_id == Call.id)
        .outerjoin(IntakeVersion, and_(IntakeVersion.call_id == Call.id, IntakeVersion.current.is_(True)))
        .where(Call.created_at >= start, Call.created_at < end)
        .group_by(key)
    )
    if group in ("area", "target_group"):
        query = query.outerjoin(Case, Case.id == Call.case_id)
    result: dict[Any, Counts] = {}
    for row in session.execute(query):
        mapping = row._mapping
        counts = Counts(**{name: (float if name in FLOAT_COUNTS else int)(mapping[name]) for name in COUNT_COLUMNS})
        group_key = row.group_key
        if group == "target_group":
            for target_group in group_key or [None]:
                result.setdefault(target_group, Counts()).add(counts)
        elif group_key in result:
            result[group_key].add(counts)
        else:
            result[group_key] = counts
    return result


@dataclass
class ReferralFact:
    """What the figures need of one referral."""

    created_at: datetime
    in_time: bool
    acknowledged_at: datetime | None
    due_at: datetime | None
    worker_id: int | None
    area_id: int | None
    services: list[str]
    target_groups: list[str]
    station_id: int | None
    expert_id: int | None
    outcome: str | None
    status: str


def referral_facts(session: Session, start: datetime, end: datetime) -> list[ReferralFact]:
    """Return the referrals created in [start, end) with their case's area, services and target groups."""
    rows = session.execute(
        select(Referral, Case.area_id, Case.services, Case.target_groups)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.created_at >= start, Referral.created_at < end)
    )
    facts = []
    for referral, area_id, services, target_groups in rows:
        acknowledged = referral.acknowledged_at
        in_time = acknowledged is not None and (referral.due_at is None or acknowledged <= referral.due_at)
        facts.append(
            ReferralFact(
                referral.created_at,
                in_time,
                acknowledged,
                referral.due_at,
                referral.created_by_id,
                area_id,
                list(services or []),
                list(target_groups or []),
                referral.station_id,
                referral.expert_id,
                referral.outcome,
                referral.status,
            )
        )
    return facts


def add_referrals(
    groups: dict[Any, Counts], facts: Iterable[ReferralFact], keys: Callable[[ReferralFact], list[Any]]
) -> None:
    """Count referrals into the groups their keys name."""
    for fact in facts:
        for key in keys(fact):
            counts = groups.setdefault(key, Counts())
            counts.referrals += 1
            counts.referrals_in_time += int(fact.in_time)


def local_moment(bucket: int) -> datetime:
    """Return a bucket's start in the hotline's zone."""
    return datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC).astimezone(hotline_zone())


def week_key(day: date) -> str:
    """Return the ISO week of a day: 2026-W09."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


TIME_KEYS: dict[str, Callable[[datetime], Any]] = {
    "day": lambda moment: moment.date().isoformat(),
    "hour": lambda moment: moment.hour,
    "week": lambda moment: week_key(moment.date()),
}


def days_between(start_day: date, end_day: date) -> list[date]:
    """Return every day from start to end inclusive."""
    return [start_day + timedelta(days=n) for n in range((end_day - start_day).days + 1)]


def area_folder(session: Session) -> Callable[[int | None], tuple[int | None, str]]:
    """Return a function mapping an area to the street/township it lies in (reports count by street)."""
    areas = {row.id: row for row in session.execute(select(Area.id, Area.parent_id, Area.level, Area.name))}

    def fold(area_id: int | None) -> tuple[int | None, str]:
        node = areas.get(area_id) if area_id is not None else None
        start = node
        while node is not None and node.level not in ("street", "district", "city", "province"):
            node = areas.get(node.parent_id)
        node = node or start
        return (node.id, node.name) if node is not None else (None, "")

    return fold


def breakdown(session: Session, start_day: date, end_day: date, view: str, target_s: int | None = None) -> list[Row]:
    """Return the figures for local days start..end, one row per hour, day, week, service, group, area or worker."""
    if view not in CALL_VIEWS:
        raise ValueError(view)
    start, end = utc_range(start_day, end_day)
    target_s = service_level_target(session) if target_s is None else target_s
    facts = referral_facts(session, start, end)
    rows: dict[Any, Row] = {}
    unknown = {"service": "unspecified", "area": "unknown", "worker": "nobody", "target_group": "unspecified"}

    def row_for(key: Any, text: str) -> Row:
        return rows.setdefault(key, Row(key, text))

    if view in TIME_KEYS:
        to_key = TIME_KEYS[view]
        if view == "day":
            for day in days_between(start_day, end_day):
                row_for(day.isoformat(), day.isoformat())
        elif view == "hour":
            for hour in range(24):
                row_for(hour, f"{hour:02d}:00")
        else:
            for day in days_between(start_day, end_day):
                row_for(week_key(day), week_key(day))
        for bucket, counts in call_groups(session, start, end, "bucket", target_s).items():
            key = to_key(local_moment(int(bucket)))
            row_for(key, str(key) if view != "hour" else f"{key:02d}:00").counts.add(counts)
        referral_groups: dict[Any, Counts] = {}
        add_referrals(referral_groups, facts, lambda f: [to_key(f.created_at.astimezone(hotline_zone()))])
    elif view == "area":
        fold = area_folder(session)
        for area_id, counts in call_groups(session, start, end, "area", target_s).items():
            key, name = fold(area_id)
            row_for(key, name).counts.add(counts)
        referral_groups = {}
        add_referrals(referral_groups, facts, lambda f: [fold(f.area_id)[0]])
        for key in referral_groups:
            row_for(key, fold(key)[1])
    else:
        if view == "service":
            for service in Service:
                row_for(service.value, label(service))
        groups = call_groups(session, start, end, view, target_s)
        referral_keys = {
            "service": lambda f: [f.services[0] if f.services else None],
            "worker": lambda f: [f.worker_id],
            "target_group": lambda f: f.target_groups or [None],
        }[view]
        referral_groups = {}
        add_referrals(referral_groups, facts, referral_keys)
        names = _names(session, view, set(groups) | set(referral_groups))
        for key in set(groups) | set(referral_groups):
            row_for(key, names.get(key, str(key)))
        for key, counts in groups.items():
            rows[key].counts.add(counts)
    for key, counts in referral_groups.items():
        rows[key].counts.add(counts)
    for row in rows.values():
        if row.key is None:
            row.label = unknown.get(view, "")
    return _ordered(list(rows.values()), view)


def _names(session: Session, view: str, keys: set[Any]) -> dict[Any, str]:
    """Return display names for service codes, target groups or worker ids."""
    if view == "worker":
        ids = [key for key in keys if key is not None]
        return {user.id: user.display_name for user in session.scalars(select(User).where(User.id.in_(ids)))}
    if view == "target_group":
        return {group.value: label(group) for group in TargetGroup}
    return {key: label(key) for key in keys if key is not None}


def _ordered(rows: list[Row], view: str) -> list[Row]:
    """Order rows: times in time order, the rest by calls offered (the unknown group last)."""
    if view in TIME_KEYS:
        return sorted(rows, key=lambda row: row.key)
    if view == "service":
        order = [service.value for service in Service]
        return sorted(rows, key=lambda row: order.index(row.key) if row.key in order else len(order))
    return sorted(rows, key=lambda row: (row.key is None, -row.counts.offered, row.label))


def totals(rows: Iterable[Row]) -> Counts:
    """Return the sums over rows that partition the range (day, hour, week, service, area, worker)."""
    total = Counts()
    for row in rows:
        total.add(row.counts)
    return total


def summary(session: Session, start_day: date, end_day: date) -> dict[str, Any]:
    """Return the summary: every figure for the range, and by_day, by_service and by_area."""
    target_s = service_level_target(session)
    by_day = breakdown(session, start_day, end_day, "day", target_s)
    by_service = breakdown(session, start_day, end_day, "service", target_s)
    by_area = breakdown(session, start_day, end_day, "area", target_s)
    return {
        "from": start_day.isoformat(),
        "to": end_day.isoformat(),
        "service_level_target_s": target_s,
        **totals(by_day).figures(),
        "by_day": [row.as_dict("day") for row in by_day],
        "by_service": [row.as_dict("service") for row in by_service],
        "by_area": [row.as_dict("area_id") for row in by_area],
    }
