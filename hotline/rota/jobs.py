"""The rota's scheduled work, run by the single scheduler process (hotline/scheduler.py JOBS).

Each job is idempotent: a reminder or a certificate warning is a notice with a
dedupe key, a shift start or end push is a mark; a second tick finds the row and
sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hotline import push
from hotline.accounts.models import Certification, User
from hotline.clock import hotline_zone
from hotline.rota.models import PUBLISHED, SUPERVISOR, RotaMark, RotaNotice, Shift, ShiftAssignment
from hotline.rota.notices import add_notice, announce, deliver_pending_sms, managers
from hotline.rota.rules import load_rules
from hotline.rota.services import on_duty
from hotline.rota.workers import STAFF_ROLES, flagged_assignments
from hotline.workdays import services as workdays

PUSH_WINDOW = timedelta(minutes=15)
"""A shift boundary older than this when first seen (the scheduler was down) is not pushed any more."""


def queue_shift_reminders(session: Session, now: datetime) -> list[RotaNotice]:
    """Add a reminder (console and SMS) for each duty in force whose shift starts within the lead time; commit."""
    lead = timedelta(hours=load_rules(session).reminder_hours_before)
    if not lead:
        return []
    rows = session.execute(
        select(ShiftAssignment, Shift)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(Shift.status == PUBLISHED, Shift.starts_at > now, Shift.starts_at <= now + lead)
        .where(ShiftAssignment.user_id.is_not(None))
    ).all()
    zone = hotline_zone()
    notices = []
    for assignment, shift in rows:
        user = assignment.user
        if not user.active:
            continue
        key = f"reminder:{shift.id}:{user.id}:{shift.starts_at:%Y%m%dT%H%M}"
        with force_locale(user.locale or "zh"):
            body = _(
                "Reminder: your %(shift)s shift starts at %(time)s.",
                shift=shift.label,
                time=shift.starts_at.astimezone(zone).strftime("%m-%d %H:%M"),
            )
        notices.append(add_notice(session, user, "shift_reminder", body, {"shift_id": shift.id}, dedupe_key=key))
    session.commit()
    announce(notices)
    return [n for n in notices if n is not None]


def push_shift_boundaries(session: Session, now: datetime) -> list[str]:
    """Push each published shift's start and end to open consoles once; return the marks made."""
    since = now - PUSH_WINDOW
    shifts = session.scalars(
        select(Shift).where(
            Shift.status == PUBLISHED,
            ((Shift.starts_at > since) & (Shift.starts_at <= now)) | ((Shift.ends_at > since) & (Shift.ends_at <= now)),
        )
    )
    done = []
    for shift in shifts:
        for event, at in (("shift_started", shift.starts_at), ("shift_ended", shift.ends_at)):
            if not since < at <= now:
                continue
            key = f"{event}:{shift.id}:{at:%Y%m%dT%H%M}"
            if session.get(RotaMark, key) is not None:
                continue
            session.add(RotaMark(key=key, at=now))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # another tick marked it first
                continue
            push.rota_changed({"event": event, "shift_id": shift.id, "label": shift.label, "at": at.isoformat()})
            done.append(key)
    return done


def check_certificates(session: Session, now: datetime) -> list[RotaNotice]:
    """Warn workers and managers of registrations expiring within the warning days, and of lapsed ones
    that leave planned duties uncovered; once per certificate and recipient; commit."""
    rules = load_rules(session)
    today = now.astimezone(hotline_zone()).date()
    soon = today + timedelta(days=rules.certificate_warning_days)
    bosses = managers(session)
    notices: list[RotaNotice | None] = []
    certs = session.scalars(
        select(Certification)
        .join(User)
        .where(
            User.active,
            User.role.in_(STAFF_ROLES),
            Certification.valid_until >= today,
            Certification.valid_until <= soon,
        )
        .options(selectinload(Certification.user).selectinload(User.certifications))
    )
    for cert in certs:
        user = cert.user
        if any(other.valid_until > soon and other.is_valid_on(today) for other in user.certifications):
            continue  # already renewed
        for recipient in [user, *bosses]:
            with force_locale(recipient.locale or "zh"):
                body = _(
                    "%(name)s's social-work registration %(number)s expires on %(date)s; please renew it.",
                    name=user.display_name,
                    number=cert.number,
                    date=cert.valid_until.isoformat(),
                )
            key = f"cert-expiring:{cert.id}:{cert.valid_until}:{recipient.id}"
            notices.append(add_notice(session, recipient, "certificate_expiring", body, {"user_id": user.id}, key))
    flagged: dict[int, list[str]] = {}
    for item in flagged_assignments(session, now):
        if item.layer == PUBLISHED:
            flagged.setdefault(item.user.id, []).append(
                item.shift.starts_at.astimezone(hotline_zone()).strftime("%m-%d %H:%M")
            )
    for user_id, when in flagged.items():
        user = session.get(User, user_id)
        latest = max((c.valid_until for c in user.certifications), default=None)
        for recipient in bosses:
            with force_locale(recipient.locale or "zh"):
                body = _(
                    "%(name)s lacks a valid certificate for %(count)d shift(s) from %(first)s; reassign them.",
                    name=user.display_name,
                    count=len(when),
                    first=when[0],
                )
            key = f"cert-lapsed:{user_id}:{latest}:{recipient.id}"
            notices.append(add_notice(session, recipient, "certificate_expired", body, {"user_id": user_id}, key))
    session.commit()
    announce(notices)
    return [n for n in notices if n is not None]


# Entry points for hotline/scheduler.py: no arguments, the app context is set by the scheduler.


def reminders_tick() -> None:
    """Queue shift reminders."""
    from hotline.clock import utcnow
    from hotline.extensions import db

    queue_shift_reminders(db.session, utcnow())


def shift_push_tick() -> None:
    """Push shift starts and ends to consoles."""
    from hotline.clock import utcnow
    from hotline.extensions import db

    push_shift_boundaries(db.session, utcnow())


def remind_calendar(session: Session, now: datetime) -> list[RotaNotice]:
    """From November, tell the supervisors on call once a day that next year's calendar is not confirmed; commit.

    The notice (console and SMS) repeats every day until a manager confirms the
    year on the calendar page; the managers see the same on their home page.
    """
    today = now.astimezone(hotline_zone()).date()
    year = workdays.next_year_pending(session, today)
    if year is None:
        session.commit()
        return []
    notices = []
    for worker in on_duty(session, now, role=SUPERVISOR).workers:
        user = session.get(User, worker.user_id)
        if user is None or not user.active:
            continue
        with force_locale(user.locale or "zh"):
            body = _(
                "The holiday calendar of %(year)d is not confirmed yet: the line and the rota count every "
                "day of %(year)d as an ordinary day except the statutory holidays. Please ask a manager to "
                "enter the State Council's arrangements and confirm the calendar.",
                year=year,
            )
        key = f"calendar-unconfirmed:{year}:{today.isoformat()}:{user.id}"
        notices.append(add_notice(session, user, "calendar_unconfirmed", body, {"year": year}, key))
    session.commit()
    announce(notices)
    return [n for n in notices if n is not None]


def calendar_tick() -> None:
    """Remind the supervisor on call of next year's unconfirmed calendar (idempotent: once a day each)."""
    from hotline.clock import utcnow
    from hotline.extensions import db

    remind_calendar(db.session, utcnow())


def certificates_tick() -> None:
    """Run the daily certificate check (idempotent, so it may run hourly)."""
    from hotline.clock import utcnow
    from hotline.extensions import db

    check_certificates(db.session, utcnow())


def sms_tick() -> None:
    """Send queued rota SMS through the telephony provider."""
    from hotline.clock import utcnow
    from hotline.extensions import db
    from hotline.telephony.providers import get_provider

    deliver_pending_sms(db.session, get_provider(), utcnow())


def autodraft_tick() -> None:
    """Run automatic draft requests no web thread claimed."""
    from hotline.clock import utcnow
    from hotline.extensions import db
    from hotline.rota.autodraft import run_queued

    run_queued(db.session, utcnow())
