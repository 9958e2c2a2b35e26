"""The wallboard's figures: the queue by service, today against the targets, worker states, alerts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from hotline.callbacks.services import open_task
from hotline.routing.models import WorkerPresence
from hotline.wallboard import jobs, services, thresholds
from tests.routing.conftest import put_on_duty, queue_call
from tests.support.factories import make_call

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


def test_the_queue_is_grouped_by_service_with_the_longest_wait_first(db_session: Any) -> None:
    queue_call(db_session, queued_at=NOW - timedelta(seconds=30), service="info")
    queue_call(db_session, queued_at=NOW - timedelta(seconds=90), service="crisis")
    queue_call(db_session, queued_at=NOW - timedelta(seconds=10), service="info")
    board = services.board(db_session, NOW)
    assert [(g.service, g.count, g.longest_seconds, g.over) for g in board.waiting] == [
        ("crisis", 1, 90.0, True),
        ("info", 2, 30.0, False),
    ]
    assert board.waiting_total == 3 and "long_wait" in board.alerts


def test_today_counts_answered_abandoned_and_the_service_level(db_session: Any) -> None:
    start = NOW - timedelta(minutes=30)
    make_call(db_session, queued_at=start, answered_at=start + timedelta(seconds=10), created_at=start)
    make_call(db_session, queued_at=start, answered_at=start + timedelta(seconds=50), created_at=start)
    make_call(db_session, queued_at=start, outcome="abandoned", status="completed", created_at=start)
    make_call(db_session, queued_at=start, answered_at=start, created_at=NOW - timedelta(days=1))  # yesterday
    board = services.board(db_session, NOW)
    assert (board.today.offered, board.today.answered, board.today.abandoned) == (3, 2, 1)
    assert round(board.service_level, 3) == 0.333 and round(board.abandonment, 3) == 0.333
    assert {"service_level", "abandonment"} <= set(board.alerts)


def test_every_worker_state_has_its_time_and_turns_red_past_its_threshold(db_session: Any, make_user: Any) -> None:
    names = ["available", "offered", "on_call", "wrap_up", "away"]
    users = [make_user("worker", display_name=name) for name in names]
    put_on_duty(db_session, users, now=NOW)
    call = make_call(db_session)
    rows = {
        "available": ("available", None, None, 1),
        "offered": ("available", call.id, None, 1),
        "on_call": ("busy", None, call.id, 40),
        "wrap_up": ("wrap_up", None, None, 2),
        "away": ("break", None, None, 20),
    }
    for user in users:
        state, offered, current, minutes = rows[user.display_name]
        db_session.add(
            WorkerPresence(
                user_id=user.id,
                state=state,
                state_since=NOW - timedelta(minutes=minutes),
                offered_call_id=offered,
                current_call_id=current,
            )
        )
    db_session.commit()
    seen = {person.name: (person.state, person.over) for person in services.board(db_session, NOW).workers}
    assert seen == {
        "available": ("available", False),
        "offered": ("offered", True),
        "on_call": ("on_call", True),
        "wrap_up": ("wrap_up", False),
        "away": ("away", True),
    }


def test_the_supervisor_on_call_is_alerted_once_per_crossing(app: Flask, db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    values = thresholds.as_dict(thresholds.load(db_session)) | {"callbacks_overdue": 1}
    thresholds.save(db_session, values, manager.id)
    open_task(db_session, kind="missed", now=NOW - timedelta(hours=3), phone="+8613900000001")
    assert jobs.alert_on_call(db_session, NOW) == ["callbacks"]
    assert jobs.alert_on_call(db_session, NOW + timedelta(seconds=15)) == []
