"""Workers and their certificates, as managers keep them so the rota can be staffed.

Accounts themselves belong to hotline.accounts; this module adds the rota's view:
who can answer calls, whose registration runs out, which planned duties a lapsed
certificate puts at risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.accounts import services as accounts
from hotline.accounts.models import Certification, User
from hotline.clock import hotline_zone
from hotline.rota.certificates import certificate_problem, valid_certificate
from hotline.rota.exceptions import NotFound
from hotline.rota.models import ANSWERING_DUTIES, DraftAssignment, Shift, ShiftAssignment, WorkerProfile
from hotline.rota.rules import load_rules
from hotline.vocabulary import Role

STAFF_ROLES = (Role.WORKER.value, Role.SUPERVISOR.value)


@dataclass
class WorkerRow:
    """A worker as the workers page lists them."""

    user: User
    certificate: Certification | None
    expiring: bool
    max_hours: int | None


def list_workers(session: Session, today: date, warning_days: int = 30) -> list[WorkerRow]:
    """Return duty workers and supervisors with their current certificate, active first."""
    users = session.scalars(
        select(User)
        .where(User.role.in_(STAFF_ROLES))
        .options(selectinload(User.certifications))
        .order_by(User.active.desc(), User.display_name)
    )
    profiles = {p.user_id: p for p in session.scalars(select(WorkerProfile))}
    rows = []
    for user in users:
        cert = valid_certificate(list(user.certifications), [today])
        expiring = cert is not None and cert.valid_until <= today + timedelta(days=warning_days)
        profile = profiles.get(user.id)
        rows.append(WorkerRow(user, cert, expiring, profile.max_hours_per_week if profile else None))
    return rows


def get_worker(session: Session, user_id: int) -> User:
    """Return a duty worker or supervisor.

    Raises:
        NotFound: no such worker.
    """
    user = session.get(User, user_id)
    if user is None or user.role not in STAFF_ROLES:
        raise NotFound(f"worker {user_id}")
    return user


def create_worker(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    phone: str | None,
    skills: list[str],
    max_hours: int | None,
) -> User:
    """Create a worker's account (through the accounts service) with their rota details; commit.

    Raises:
        UsernameTaken, WeakPassword (from hotline.accounts).
    """
    user = accounts.create_user(session, username, role, password, display_name, phone)
    user = session.scalar(select(User).where(User.username == username.strip()))
    return update_worker(session, user.id, display_name, phone, skills, max_hours)


def update_worker(
    session: Session, user_id: int, display_name: str, phone: str | None, skills: list[str], max_hours: int | None
) -> User:
    """Change a worker's name, phone, skills and weekly hour limit; commit."""
    user = get_worker(session, user_id)
    user.display_name, user.phone, user.skills = display_name, phone or None, list(skills)
    profile = session.get(WorkerProfile, user.id) or WorkerProfile(user_id=user.id)
    profile.max_hours_per_week = max_hours or None
    session.add(profile)
    session.commit()
    return user


def max_hours_of(session: Session, user_id: int) -> int | None:
    """Return a worker's own weekly hour limit, if any."""
    profile = session.get(WorkerProfile, user_id)
    return profile.max_hours_per_week if profile else None


def save_certificate(
    session: Session,
    user_id: int,
    level: str,
    number: str,
    issuing_body: str,
    valid_until: date,
    registered_on: date | None = None,
    certificate_id: int | None = None,
) -> Certification:
    """Add a certificate to a worker, or change one of theirs; commit.

    Raises:
        NotFound: no such worker or certificate of theirs.
    """
    user = get_worker(session, user_id)
    if certificate_id is None:
        cert = Certification(user=user)
        session.add(cert)
    else:
        cert = session.get(Certification, certificate_id)
        if cert is None or cert.user_id != user.id:
            raise NotFound(f"certificate {certificate_id}")
    cert.level, cert.number, cert.issuing_body = level, number.strip(), issuing_body.strip()
    cert.valid_until, cert.registered_on = valid_until, registered_on
    session.commit()
    return cert


def delete_certificate(session: Session, user_id: int, certificate_id: int) -> None:
    """Remove a certificate entered by mistake; commit."""
    cert = session.get(Certification, certificate_id)
    if cert is None or cert.user_id != user_id:
        raise NotFound(f"certificate {certificate_id}")
    session.delete(cert)
    session.commit()


@dataclass
class Flagged:
    """A planned duty whose worker's certificate will not be valid then."""

    shift: Shift
    user: User
    duty: str
    layer: str
    reason: str


def flagged_assignments(session: Session, now: datetime, user_id: int | None = None) -> list[Flagged]:
    """Return the future answering duties (in force or in the draft) that a certificate no longer covers."""
    rules = load_rules(session)
    zone = hotline_zone()
    flagged = []
    for model, layer in ((ShiftAssignment, "published"), (DraftAssignment, "draft")):
        query = (
            select(model, Shift)
            .join(Shift, Shift.id == model.shift_id)
            .where(Shift.ends_at > now, model.duty.in_(ANSWERING_DUTIES), model.user_id.is_not(None))
            .order_by(Shift.starts_at)
        )
        if user_id is not None:
            query = query.where(model.user_id == user_id)
        for assignment, shift in session.execute(query):
            problem = certificate_problem(
                assignment.user, assignment.duty, shift.starts_at, shift.ends_at, zone, rules.supervisor_min_level
            )
            if problem is not None:
                flagged.append(Flagged(shift, assignment.user, assignment.duty, layer, problem[1]))
    return flagged
