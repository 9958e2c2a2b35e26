"""Presence: each worker's state, wrap-up after a call, and the console's grace period."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.routing.models import WorkerPresence

STATES = ("available", "busy", "wrap_up", "break", "offline")
CHOSEN_STATES = ("available", "busy", "break", "offline")
"""The states a worker (or a supervisor for them) may choose; wrap_up is set by the system."""


def presence_of(session: Session, user_id: int, now: datetime) -> WorkerPresence:
    """Return the worker's presence row, creating it (offline) on first use."""
    presence = session.get(WorkerPresence, user_id)
    if presence is not None:
        return presence
    try:
        # Two first consoles of one worker may connect at once: the loser reads the winner's row.
        with session.begin_nested():
            presence = WorkerPresence(user_id=user_id, state="offline", state_since=now, version=1)
            session.add(presence)
    except IntegrityError:
        presence = session.get(WorkerPresence, user_id, populate_existing=True)
        if presence is None:
            raise
    return presence


def change_state(presence: WorkerPresence, state: str, now: datetime, reason: str | None = None) -> None:
    """Move a presence row to `state` (the caller commits)."""
    if state == "available" and presence.state != "available":
        presence.idle_since = now
    if presence.state != state:
        presence.state_since = now
    presence.state = state
    presence.reason = reason
    presence.version += 1


def start_wrap_up(presence: WorkerPresence, now: datetime, seconds: int) -> None:
    """Put a worker whose call ended into wrap-up for `seconds` (the caller commits)."""
    change_state(presence, "wrap_up", now)
    presence.wrap_up_until = now + timedelta(seconds=seconds)


def touch(session: Session, user_id: int, now: datetime) -> None:
    """Record a sign of life from the worker's console."""
    presence = presence_of(session, user_id, now)
    presence.last_seen_at = now
    session.commit()


def finish_wrap_ups(session: Session, now: datetime) -> list[int]:
    """Make workers whose wrap-up time is over available again; return their ids."""
    done: list[int] = []
    due = session.scalars(
        select(WorkerPresence).where(WorkerPresence.state == "wrap_up", WorkerPresence.wrap_up_until <= now)
    ).all()
    for presence in due:
        changed = session.execute(
            update(WorkerPresence)
            .where(WorkerPresence.user_id == presence.user_id, WorkerPresence.version == presence.version)
            .values(
                state="available",
                state_since=now,
                idle_since=now,
                reason=None,
                wrap_up_until=None,
                current_call_id=None,
                version=presence.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:
            done.append(presence.user_id)
    session.commit()
    return done


def expire_lost_consoles(session: Session, now: datetime, grace_seconds: int) -> list[int]:
    """Set offline the workers whose console has been silent past the grace period; return their ids.

    A worker talking on a call is left alone (the phone may still be connected);
    they go offline after the call if the console is still gone.
    """
    cutoff = now - timedelta(seconds=grace_seconds)
    lost = session.scalars(
        select(WorkerPresence).where(
            WorkerPresence.state != "offline",
            WorkerPresence.offered_call_id.is_(None),
            or_(WorkerPresence.state != "busy", WorkerPresence.current_call_id.is_(None)),
            or_(WorkerPresence.last_seen_at.is_(None), WorkerPresence.last_seen_at < cutoff),
        )
    ).all()
    done: list[int] = []
    for presence in lost:
        changed = session.execute(
            update(WorkerPresence)
            .where(WorkerPresence.user_id == presence.user_id, WorkerPresence.version == presence.version)
            .values(state="offline", state_since=now, reason="console_lost", version=presence.version + 1)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:
            done.append(presence.user_id)
    session.commit()
    return done
