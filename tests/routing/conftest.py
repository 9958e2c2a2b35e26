"""Routing fixtures: a published shift with workers on duty, queued calls, presence."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from hotline.accounts.models import User
from hotline.rota.models import Shift, ShiftAssignment
from hotline.routing.models import WorkerPresence
from hotline.telephony.models import Call

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
_sids = itertools.count(1)


def put_on_duty(session: Any, users: list[User], now: datetime = NOW, duty: str = "duty_worker") -> Shift:
    """Publish a shift around `now` with the users assigned."""
    shift = Shift(label="day", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=7), status="published")
    for user in users:
        shift.assignments.append(ShiftAssignment(duty=duty, user_id=user.id))
    session.add(shift)
    session.commit()
    return shift


def set_available(session: Any, user: User, idle_since: datetime, now: datetime = NOW) -> WorkerPresence:
    """Make a worker available since `idle_since`, with a console alive now."""
    presence = session.get(WorkerPresence, user.id) or WorkerPresence(user_id=user.id)
    presence.state, presence.state_since, presence.idle_since = "available", idle_since, idle_since
    presence.last_seen_at, presence.version = now, 1
    session.add(presence)
    session.commit()
    return presence


def queue_call(
    session: Any,
    *,
    queued_at: datetime,
    priority: int = 0,
    service: str | None = "info",
    number: str = "+8613812345678",
) -> Call:
    """Create a call waiting in the queue (as the phone line would)."""
    call = Call(
        call_sid=f"CA{next(_sids):032d}",
        from_number=number,
        status="queued",
        priority=priority,
        service=service,
        queued_at=queued_at,
        created_at=queued_at,
    )
    session.add(call)
    session.commit()
    return call


@pytest.fixture(autouse=True)
def outbox_dispatch_off(app: Flask) -> Iterator[None]:
    """Keep the phone line's REST commands in its outbox (the tests read them there)."""
    before = app.config.get("TELEPHONY_OUTBOX_DISPATCH", True)
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = False
    yield
    app.config["TELEPHONY_OUTBOX_DISPATCH"] = before


@pytest.fixture
def workers(make_user: Callable[..., User], db_session: Any) -> Callable[..., list[User]]:
    """Build n certified workers on duty at NOW: workers(2, skills=[...])."""

    def build(count: int, **fields: Any) -> list[User]:
        users = [make_user("worker", **fields) for _ in range(count)]
        put_on_duty(db_session, users)
        return users

    return build
