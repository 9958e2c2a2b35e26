"""Calendar feeds: each worker's own shifts, and the whole rota for managers, behind a revocable token URL."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.accounts.models import User
from hotline.rota.exceptions import NotFound
from hotline.rota.models import PUBLISHED, FeedToken, Shift, ShiftAssignment
from hotline.vocabulary import Role

OWN = "own"
ALL = "all"
DUTY_NAMES = {"duty_worker": "值班社工", "supervisor": "督导", "expert": "值班专家"}
PAST_DAYS = 30
FUTURE_DAYS = 120


def digest(token: str) -> str:
    """Return the stored form of a feed token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(session: Session, user: User, scope: str, now: datetime) -> str:
    """Create a feed token for the user (the whole rota only for managers); commit; return the secret once."""
    if scope == ALL and not user.has_role(Role.MANAGER):
        raise NotFound("the whole-rota feed is for managers")
    token = "cal_" + secrets.token_urlsafe(24)
    session.add(FeedToken(user_id=user.id, scope=scope, token_hash=digest(token), prefix=token[:10], created_at=now))
    session.commit()
    return token


def feed_tokens(session: Session, user: User) -> list[FeedToken]:
    """Return a user's feed tokens that are not revoked."""
    return list(
        session.scalars(
            select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None)).order_by(FeedToken.id)
        )
    )


def revoke_feed_token(session: Session, user: User, token_id: int, now: datetime) -> None:
    """Revoke one of the user's feed tokens; commit."""
    token = session.get(FeedToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"feed token {token_id}")
    token.revoked_at = now
    session.commit()


def feed(session: Session, token: str, now: datetime) -> bytes:
    """Return the iCalendar document a token opens.

    Raises:
        NotFound: the token is unknown, revoked, or its owner may no longer see it.
    """
    row = session.scalar(select(FeedToken).where(FeedToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        raise NotFound("feed")
    if row.scope == ALL and not row.user.has_role(Role.MANAGER):
        raise NotFound("feed")
    row.last_used_at = now
    session.commit()
    query = (
        select(Shift)
        .where(
            Shift.status == PUBLISHED,
            Shift.starts_at >= now - timedelta(days=PAST_DAYS),
            Shift.starts_at < now + timedelta(days=FUTURE_DAYS),
        )
        .options(selectinload(Shift.assignments).selectinload(ShiftAssignment.user))
        .order_by(Shift.starts_at)
    )
    if row.scope == OWN:
        query = query.join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id).where(
            ShiftAssignment.user_id == row.user_id
        )
    title = "热线值班表" if row.scope == ALL else f"热线值班 · {row.user.display_name}"
    return render(list(session.scalars(query)), title, None if row.scope == ALL else row.user_id, now)


def render(shifts: list[Shift], title: str, user_id: int | None, now: datetime) -> bytes:
    """Render shifts as an iCalendar document (one event per shift)."""
    cal = Calendar()
    cal.add("prodid", "-//Hotline//Rota//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    for shift in shifts:
        event = Event()
        event.add("uid", f"shift-{shift.id}{'-' + str(user_id) if user_id else ''}@hotline")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        if user_id is not None:
            duty = next((a.duty for a in shift.assignments if a.user_id == user_id), "duty_worker")
            event.add("summary", f"{shift.label} · {DUTY_NAMES.get(duty, duty)}")
        else:
            names = "、".join(a.person_name for a in shift.assignments)
            event.add("summary", f"{shift.label} · {names}")
            event.add(
                "description",
                "\n".join(f"{DUTY_NAMES.get(a.duty, a.duty)}：{a.person_name}" for a in shift.assignments),
            )
        cal.add_component(event)
    return cal.to_ical()
