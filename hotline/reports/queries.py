"""Read what the figures count: calls summed per group in the database, referrals as facts.

Calls are aggregated in the database (a grouped pass over the range's rows per
breakdown, three for the summary, using ix_calls_created_at); referrals, which are
few, are read as facts and folded in Python. Day, hour and week come from 15-minute
UTC buckets converted to HOTLINE_TZ, so any zone offset (a multiple of 15 minutes)
is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from hotline.cases.models import Case, IntakeVersion
from hotline.clock import hotline_zone
from hotline.escalation.models import Referral
from hotline.reports.figures import Counts
from hotline.telephony.models import Call, CallSatisfaction

BUCKET_SECONDS = 900
FLOAT_COUNTS = ("wait_sum", "handle_sum")


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
