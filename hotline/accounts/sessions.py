"""Server-side log-in sessions: started at log-in, checked on every request, ended on the server.

The session cookie carries a random key; the `user_sessions` row holding its SHA-256
says whether it is live. Ending the row (log-out, password or role change, an account
disabled, "log out everywhere", idle or absolute lifetime reached) ends the session on
pages, the API and Socket.IO alike, whatever copies of the cookie exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.accounts.models import User, UserSession

COOKIE_KEY = "_session_key"
"""Where the session cookie keeps the session's key."""
# How often a live session's last_seen_at is written: reads stay cheap, idle time is exact to this.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session may stay unused (idle) and how long it may last at all (absolute)."""

    idle: timedelta
    absolute: timedelta

    def ended(self, record: UserSession, now: datetime) -> str | None:
        """Return why the session is over at `now` ("idle", "expired"), or None while it lasts."""
        if now - record.created_at >= self.absolute:
            return "expired"
        if now - record.last_seen_at >= self.idle:
            return "idle"
        return None


def lifetimes_from(config: dict) -> Lifetimes:
    """Return the lifetimes configured by SESSION_IDLE_MINUTES and SESSION_MAX_HOURS."""
    return Lifetimes(
        idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]), absolute=timedelta(hours=config["SESSION_MAX_HOURS"])
    )


def key_digest(key: str) -> str:
    """Return the stored form of a session key."""
    return hashlib.sha256(key.encode()).hexdigest()


def start(
    session: Session, user: User, now: datetime, address: str | None = None, user_agent: str | None = None
) -> str:
    """Open a session for `user` and return the key the cookie carries (only its digest is stored)."""
    key = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            key_hash=key_digest(key),
            created_at=now,
            last_seen_at=now,
            address=address,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    session.commit()
    return key


def resume(
    session: Session, user_id: str, key: str | None, now: datetime, lifetimes: Lifetimes
) -> tuple[User, UserSession] | None:
    """Return the user and live session for a cookie's user id and key, else None.

    One indexed read; a session past its lifetime is ended here, and last_seen_at is
    written at most once per TOUCH_EVERY.
    """
    if not key or not user_id.isdigit():
        return None
    record = session.scalar(select(UserSession).where(UserSession.key_hash == key_digest(key)))
    if record is None or record.ended_at is not None or record.user_id != int(user_id):
        return None
    reason = lifetimes.ended(record, now)
    if reason is not None:
        end(session, record, reason, now)
        return None
    user = record.user
    if not user.active:
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
        session.commit()
    return user, record


def end(session: Session, record: UserSession, reason: str, now: datetime) -> None:
    """End one session."""
    if record.ended_at is None:
        record.ended_at, record.end_reason = now, reason
        session.commit()


def end_by_id(session: Session, session_id: int | None, reason: str, now: datetime) -> None:
    """End one session by its id (nothing happens for None or an unknown id)."""
    record = session.get(UserSession, session_id) if session_id is not None else None
    if record is not None:
        end(session, record, reason, now)


def end_all(session: Session, user_id: int, reason: str, now: datetime, commit: bool = True) -> int:
    """End every live session of a user; return how many ended."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if commit:
        session.commit()
    return result.rowcount or 0


def live(session: Session, user_id: int, now: datetime, lifetimes: Lifetimes) -> list[UserSession]:
    """Return a user's live sessions, newest first."""
    rows = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    )
    return [row for row in rows if lifetimes.ended(row, now) is None]


def still_live(session: Session, session_ids: set[int], now: datetime, lifetimes: Lifetimes) -> set[int]:
    """Return which of these sessions are still live (for open Socket.IO connections)."""
    if not session_ids:
        return set()
    rows = session.execute(
        select(UserSession, User.active)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id.in_(session_ids), UserSession.ended_at.is_(None))
    )
    return {record.id for record, active in rows if active and lifetimes.ended(record, now) is None}
