"""What each role sees first after logging in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.models import Certification, User
from hotline.cases.models import Case
from hotline.directory.models import ExpertVolunteer, Organisation, Station
from hotline.rota.models import Shift, ShiftAssignment
from hotline.telephony.models import Call
from hotline.vocabulary import Risk, Role


@dataclass
class Overview:
    """Counts a manager or supervisor reads at a glance."""

    calls_today: int
    calls_answered_today: int
    open_cases: int
    high_risk_open_cases: int
    workers: int
    stations: int
    experts: int
    organisations: int
    certificates_expiring: list[Certification]
    certificates_expired: list[Certification]


def on_duty_now(session: Session, now: datetime) -> list[ShiftAssignment]:
    """Return the published assignments whose shift covers `now` (start inclusive, end exclusive)."""
    return list(
        session.scalars(
            select(ShiftAssignment)
            .join(Shift, ShiftAssignment.shift_id == Shift.id)
            .where(Shift.status == "published", Shift.starts_at <= now, Shift.ends_at > now)
            .order_by(ShiftAssignment.duty, ShiftAssignment.id)
        )
    )


def overview(session: Session, day_start: datetime, today: date) -> Overview:
    """Return the figures for the landing pages of supervisors and managers."""
    day_end = day_start + timedelta(days=1)
    calls_today = select(func.count(Call.id)).where(Call.created_at >= day_start, Call.created_at < day_end)
    soon = today + timedelta(days=30)
    return Overview(
        calls_today=session.scalar(calls_today) or 0,
        calls_answered_today=session.scalar(calls_today.where(Call.answered_at.is_not(None))) or 0,
        open_cases=session.scalar(select(func.count(Case.id)).where(Case.status != "closed")) or 0,
        high_risk_open_cases=session.scalar(
            select(func.count(Case.id)).where(Case.status != "closed", Case.risk.in_([Risk.HIGH, Risk.IMMINENT]))
        )
        or 0,
        workers=session.scalar(
            select(func.count(User.id)).where(User.active, User.role.in_([Role.WORKER, Role.SUPERVISOR]))
        )
        or 0,
        stations=session.scalar(select(func.count(Station.id)).where(Station.active)) or 0,
        experts=session.scalar(select(func.count(ExpertVolunteer.id)).where(ExpertVolunteer.active)) or 0,
        organisations=session.scalar(select(func.count(Organisation.id)).where(Organisation.active)) or 0,
        certificates_expiring=list(
            session.scalars(
                select(Certification)
                .where(Certification.valid_until >= today, Certification.valid_until <= soon)
                .order_by(Certification.valid_until)
            )
        ),
        certificates_expired=list(
            session.scalars(
                select(Certification)
                .join(User)
                .where(Certification.valid_until < today, User.active)
                .order_by(Certification.valid_until)
            )
        ),
    )
