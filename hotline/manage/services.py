"""Manager views over other packages' records: the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.audit import AuditEntry
from hotline.clock import hotline_zone

PAGE_SIZE = 100
KNOWN_ACTIONS = (
    "case.view",
    "export",
    "user.role_change",
    "user.active_change",
    "user.log_in",
    "user.log_in_failed",
    "user.sessions_ended",
    "rota.publish",
    "settings.change",
    "retention.run",
)


@dataclass
class AuditFilter:
    """Who, what, when, from where; every field optional."""

    actor_id: int | None = None
    action: str | None = None
    target: str | None = None
    address: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass
class AuditPage:
    """One page of audit entries, newest first, with each actor."""

    entries: list[tuple[AuditEntry, User | None]]
    total: int
    page: int
    pages: int


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=hotline_zone())


def browse_audit(session: Session, criteria: AuditFilter) -> AuditPage:
    """Return the audit entries matching the filter, newest first."""
    query = select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_id)
    if criteria.actor_id:
        query = query.where(AuditEntry.actor_id == criteria.actor_id)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.target:
        query = query.where(AuditEntry.target.like(f"{criteria.target.strip()}%"))
    if criteria.address:
        query = query.where(AuditEntry.address.like(f"{criteria.address.strip()}%"))
    if criteria.date_from:
        query = query.where(AuditEntry.at >= _day_start(criteria.date_from))
    if criteria.date_to:
        query = query.where(AuditEntry.at < _day_start(criteria.date_to + timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, criteria.page), pages)
    rows = session.execute(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return AuditPage([(entry, user) for entry, user in rows], total, page, pages)


def audit_choices(session: Session) -> dict[str, list[Any]]:
    """Return the people and actions to filter by (every action recorded so far, and the known ones)."""
    actions = sorted(set(KNOWN_ACTIONS) | set(session.scalars(select(distinct(AuditEntry.action)))))
    people = list(session.scalars(select(User).order_by(User.display_name)))
    return {"actions": actions, "people": people}
