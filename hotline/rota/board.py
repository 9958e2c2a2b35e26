"""What the rota editor shows: the days, the draft shifts, the people, the issues and the staffing advice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.accounts.models import User
from hotline.clock import hotline_zone
from hotline.directory.models import ExpertVolunteer
from hotline.rota.certificates import valid_certificate
from hotline.rota.models import DRAFT
from hotline.rota.rules import load_rules
from hotline.rota.services import rota_dict, shifts_between
from hotline.rota.staffing import suggest_for_shifts
from hotline.rota.validation import validate
from hotline.rota.workers import STAFF_ROLES
from hotline.workdays import services as calendar


def period(anchor: date, view: str) -> tuple[date, date]:
    """Return the first and last day shown: the Monday-Sunday week, or the whole weeks of a month."""
    if view == "month":
        first = anchor.replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        last = next_month - timedelta(days=1)
        return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())
    monday = anchor - timedelta(days=anchor.weekday())
    return monday, monday + timedelta(days=6)


def people(session: Session, today: date) -> list[dict[str, Any]]:
    """Return the active workers and supervisors with their level today and skills."""
    users = session.scalars(
        select(User)
        .where(User.active, User.role.in_(STAFF_ROLES))
        .options(selectinload(User.certifications))
        .order_by(User.display_name)
    )
    result = []
    for user in users:
        cert = valid_certificate(list(user.certifications), [today])
        latest = max((c.valid_until for c in user.certifications), default=None)
        result.append(
            {
                "id": user.id,
                "name": user.display_name,
                "role": user.role,
                "level": cert.level if cert else None,
                "valid_until": latest.isoformat() if latest else None,
                "skills": list(user.skills or []),
            }
        )
    return result


def experts(session: Session) -> list[dict[str, Any]]:
    """Return the active expert volunteers."""
    rows = session.scalars(select(ExpertVolunteer).where(ExpertVolunteer.active).order_by(ExpertVolunteer.name))
    return [
        {"id": x.id, "name": x.name, "skills": list(x.skills or []), "weekdays": list(x.duty_weekdays or [])}
        for x in rows
    ]


def board(session: Session, anchor: date, view: str, now: datetime) -> dict[str, Any]:
    """Return everything the editor renders for a week or a month around `anchor`."""
    first, last = period(anchor, view)
    shifts = shifts_between(session, first, last)
    days = calendar.days(session, first, last)
    rules = load_rules(session)
    years = calendar.years_status(session, sorted({first.year, last.year}))
    return {
        "view": view,
        "anchor": anchor.isoformat(),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "now": now.isoformat(),
        "days": [
            {
                "date": d.isoformat(),
                "kind": row.kind,
                "holiday_name": calendar.holiday_label(row.holiday_name) or None,
                "makeup": row.makeup,
            }
            for d, row in sorted(days.items())
        ],
        "unconfirmed_years": [y.year for y in years if not y.ready],
        "shifts": [
            {**row, "ended": shift.ends_at <= now, "published_count": len(shift.assignments)}
            for row, shift in zip(rota_dict(shifts, DRAFT), shifts, strict=True)
        ],
        "people": people(session, now.astimezone(hotline_zone()).date()),
        "experts": experts(session),
        "issues": [issue.as_dict() for issue in validate(session, first, last)],
        "staffing": suggest_for_shifts(session, shifts, now, rules),
    }
