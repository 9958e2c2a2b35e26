"""Who is on duty, reading the rota, and editing the draft: the rota's main services.

`on_duty` and `on_duty_worker_ids` are the interface the router, the API and the
console share. Both read only published shifts and their published assignments,
through the shift window index, and only count people whose certificate is valid
on the local date of the moment asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from hotline.accounts.models import Certification, User
from hotline.clock import hotline_zone
from hotline.directory.models import ExpertVolunteer
from hotline.rota.certificates import level_rank
from hotline.rota.models import (
    ANSWERING_DUTIES,
    DRAFT,
    DUTY_WORKER,
    EXPERT,
    PUBLISHED,
    DraftAssignment,
    Shift,
    ShiftAssignment,
)
from hotline.rota.rules import MAX_SHIFT_HOURS

__all__ = [
    "OnDuty",
    "OnDutyExpert",
    "OnDutyWorker",
    "local_range",
    "on_duty",
    "on_duty_worker_ids",
    "shifts_between",
]


@dataclass(frozen=True)
class OnDutyWorker:
    """A certified worker on duty: their shift, duty, level and skills."""

    user_id: int
    name: str
    duty: str
    level: str
    skills: list[str]
    shift_id: int
    shift_label: str
    starts_at: datetime
    ends_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "user_id": self.user_id,
            "name": self.name,
            "duty": self.duty,
            "level": self.level,
            "skills": self.skills,
            "shift": _shift_dict(self.shift_id, self.shift_label, self.starts_at, self.ends_at),
        }


@dataclass(frozen=True)
class OnDutyExpert:
    """An expert volunteer on expert duty."""

    expert_id: int
    name: str
    profession: str
    skill: str | None
    skills: list[str]
    phone: str | None
    shift_id: int
    shift_label: str
    starts_at: datetime
    ends_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the expert's phone is for staff only; the API is staff-only)."""
        return {
            "expert_id": self.expert_id,
            "name": self.name,
            "profession": self.profession,
            "skill": self.skill,
            "skills": self.skills,
            "phone": self.phone,
            "shift": _shift_dict(self.shift_id, self.shift_label, self.starts_at, self.ends_at),
        }


@dataclass(frozen=True)
class OnDuty:
    """Who is on duty at one moment."""

    at: datetime
    workers: list[OnDutyWorker] = field(default_factory=list)
    experts: list[OnDutyExpert] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "at": self.at.isoformat(),
            "workers": [worker.as_dict() for worker in self.workers],
            "experts": [expert.as_dict() for expert in self.experts],
        }


def _shift_dict(shift_id: int, shift_label: str, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    return {"id": shift_id, "label": shift_label, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}


def _covering(at: datetime) -> Any:
    """Return the condition "a published shift covers `at`", bounded so the index range stays short."""
    return and_(
        Shift.starts_at <= at,
        Shift.starts_at > at - timedelta(hours=MAX_SHIFT_HOURS),
        Shift.ends_at > at,
        Shift.status == PUBLISHED,
    )


def _certified_on(day: date) -> Any:
    """Return the condition "this certification is valid on `day`"."""
    return and_(
        Certification.valid_until >= day,
        or_(Certification.registered_on.is_(None), Certification.registered_on <= day),
    )


def on_duty_worker_ids(session: Session, at: datetime, include_supervisors: bool = False) -> set[int]:
    """Return the ids of certified, active duty workers on duty at `at` (start inclusive, end exclusive).

    Args:
        session: the database session.
        at: an aware datetime.
        include_supervisors: also return supervisors on call.
    """
    duties = ANSWERING_DUTIES if include_supervisors else (DUTY_WORKER,)
    # One query through the shift window index, then the certificate check on those few people.
    on_shift = set(
        session.scalars(
            select(ShiftAssignment.user_id)
            .join(Shift, Shift.id == ShiftAssignment.shift_id)
            .where(_covering(at), ShiftAssignment.duty.in_(duties), ShiftAssignment.user_id.is_not(None))
        )
    )
    if not on_shift:
        return set()
    day = at.astimezone(hotline_zone()).date()
    query = (
        select(Certification.user_id)
        .join(User, User.id == Certification.user_id)
        .where(Certification.user_id.in_(on_shift), User.active, _certified_on(day))
    )
    return set(session.scalars(query))


def on_duty(session: Session, at: datetime, role: str | None = None, skill: str | None = None) -> OnDuty:
    """Return who is on duty at `at`: certified workers and supervisors, and experts on expert duty.

    Args:
        session: the database session.
        at: an aware datetime; a shift covers it when starts_at <= at < ends_at.
        role: only this duty (duty_worker, supervisor or expert).
        skill: only people with this skill (a worker's skills; an expert's duty skill or skills).
    Returns:
        OnDuty, workers ordered by duty then name.
    """
    query = (
        select(
            ShiftAssignment.duty,
            ShiftAssignment.skill,
            Shift.id,
            Shift.label,
            Shift.starts_at,
            Shift.ends_at,
            User.id,
            User.display_name,
            User.skills,
            User.active,
            ExpertVolunteer.id,
            ExpertVolunteer.name,
            ExpertVolunteer.profession,
            ExpertVolunteer.skills,
            ExpertVolunteer.phone,
            ExpertVolunteer.active,
        )
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .outerjoin(User, User.id == ShiftAssignment.user_id)
        .outerjoin(ExpertVolunteer, ExpertVolunteer.id == ShiftAssignment.expert_id)
        .where(_covering(at))
    )
    if role:
        query = query.where(ShiftAssignment.duty == role)
    rows = session.execute(query).all()
    levels = _levels(session, {row[6] for row in rows if row[6] is not None}, at.astimezone(hotline_zone()).date())
    workers: list[OnDutyWorker] = []
    experts: list[OnDutyExpert] = []
    for duty, duty_skill, shift_id, shift_label, starts_at, ends_at, *person in rows:
        user_id, user_name, user_skills, user_active = person[:4]
        expert_id, expert_name, profession, expert_skills, phone, expert_active = person[4:]
        if duty == EXPERT and expert_id is not None and expert_active:
            skills = list(expert_skills or [])
            if skill and skill != duty_skill and skill not in skills:
                continue
            experts.append(
                OnDutyExpert(
                    expert_id,
                    expert_name,
                    profession,
                    duty_skill,
                    skills,
                    phone,
                    shift_id,
                    shift_label,
                    starts_at,
                    ends_at,
                )
            )
        elif duty in ANSWERING_DUTIES and user_id in levels and user_active:
            skills = list(user_skills or [])
            if skill and skill not in skills:
                continue
            workers.append(
                OnDutyWorker(
                    user_id, user_name, duty, levels[user_id], skills, shift_id, shift_label, starts_at, ends_at
                )
            )
    workers.sort(key=lambda worker: (worker.duty != DUTY_WORKER, worker.name))
    experts.sort(key=lambda expert: expert.name)
    return OnDuty(at=at, workers=workers, experts=experts)


def _levels(session: Session, user_ids: set[int], day: date) -> dict[int, str]:
    """Return each user's highest certification level valid on `day` (users without one are left out)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(Certification.user_id, Certification.level).where(
            Certification.user_id.in_(user_ids), _certified_on(day)
        )
    )
    levels: dict[int, str] = {}
    for user_id, level in rows:
        if level_rank(level) > level_rank(levels.get(user_id)):
            levels[user_id] = level
    return levels


def local_range(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """Return the UTC moments from local midnight of date_from to local midnight after date_to."""
    zone = hotline_zone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def shifts_between(session: Session, date_from: date, date_to: date, published_only: bool = False) -> list[Shift]:
    """Return the shifts starting on local dates date_from..date_to, with their people loaded."""
    start, end = local_range(date_from, date_to)
    query = (
        select(Shift)
        .where(Shift.starts_at >= start, Shift.starts_at < end)
        .options(
            selectinload(Shift.assignments).selectinload(ShiftAssignment.user).selectinload(User.certifications),
            selectinload(Shift.assignments).selectinload(ShiftAssignment.expert),
            selectinload(Shift.draft_assignments).selectinload(DraftAssignment.user).selectinload(User.certifications),
            selectinload(Shift.draft_assignments).selectinload(DraftAssignment.expert),
        )
        .order_by(Shift.starts_at, Shift.label)
    )
    if published_only:
        query = query.where(Shift.status == PUBLISHED)
    return list(session.scalars(query))


def rota_dict(shifts: list[Shift], layer: str) -> list[dict[str, Any]]:
    """Return shifts with one layer of assignments as JSON-ready dicts."""
    zone = hotline_zone()
    result = []
    for shift in shifts:
        result.append(
            {
                "id": shift.id,
                "label": shift.label,
                "date": shift.starts_at.astimezone(zone).date().isoformat(),
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
                "status": shift.status,
                "min_duty_workers": shift.min_duty_workers,
                "min_qualified": shift.min_qualified,
                "min_supervisors": shift.min_supervisors,
                "assignments": [
                    {
                        "id": assignment.id,
                        "duty": assignment.duty,
                        "user_id": assignment.user_id,
                        "expert_id": assignment.expert_id,
                        "skill": assignment.skill,
                        "name": assignment.person_name,
                    }
                    for assignment in shift.layer(layer)
                ],
            }
        )
    return result


LAYERS = (DRAFT, PUBLISHED)


def my_shifts(session: Session, user: User, now: datetime, days: int = 14) -> list[tuple[Shift, ShiftAssignment]]:
    """Return the user's published shifts from now on, for `days` days."""
    rows = session.execute(
        select(Shift, ShiftAssignment)
        .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .where(
            ShiftAssignment.user_id == user.id,
            Shift.status == "published",
            Shift.ends_at > now,
            Shift.starts_at < now + timedelta(days=days),
        )
        .order_by(Shift.starts_at)
    )
    return [(shift, assignment) for shift, assignment in rows]


def duty_workers_at(session: Session, at: datetime) -> int:
    """Count the duty workers on a published shift at `at` (start inclusive, end exclusive)."""
    return (
        session.scalar(
            select(func.count(ShiftAssignment.id))
            .join(Shift, ShiftAssignment.shift_id == Shift.id)
            .where(
                Shift.status == PUBLISHED,
                Shift.starts_at <= at,
                Shift.ends_at > at,
                ShiftAssignment.duty == DUTY_WORKER,
            )
        )
        or 0
    )
