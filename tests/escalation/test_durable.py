"""Durable deadlines: a killed scheduler loses nothing, and racing ticks run a step once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

from hotline.accounts.models import User
from hotline.clock import utcnow
from hotline.db import immediate_transactions
from hotline.escalation import steps, triggers
from hotline.escalation.models import Escalation, NotificationAttempt, Referral, ReferralStep
from hotline.extensions import db
from hotline.scheduler import HEARTBEAT_KEY
from hotline.settings import Setting
from hotline.telephony.providers import RecordingProvider
from tests.conftest import truncate_all
from tests.escalation.conftest import build_network, make_case
from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 180.0
"""Generous: a fresh scheduler process on a shared, loaded CI machine can take a minute to start."""
SCHEDULER_CONNECTIONS = "hotline-test-scheduler"
"""The application_name of the scheduler subprocess's PostgreSQL connections."""


@pytest.fixture
def committed(app: Flask) -> Iterator[Any]:
    """A session whose work is really committed (other processes must see it); emptied afterwards."""
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            truncate_all(app)


def plain_user_factory(session: Any) -> Any:
    numbers = iter(range(1, 1000))

    def make(role: str, **fields: Any) -> User:
        user = User(
            username=f"{role}{next(numbers)}",
            display_name=f"{role} {next(numbers)}",
            password_hash="x",
            role=role,
            **fields,
        )
        session.add(user)
        session.commit()
        return user

    return make


def start_chains(session: Any, network: Any, due: list[Any]) -> list[int]:
    """Create home-visit chains whose first step is due at the given times (the tick runs it)."""
    ids = []
    for due_at in due:
        case = make_case(session, network.community)
        chain, _ = triggers.start_escalation(
            session,
            trigger="worker",
            reason="home_visit",
            urgency="normal",
            now=utcnow(),
            case=case,
            run_first_step=False,
        )
        chain.due_at = due_at
        session.commit()
        ids.append(chain.id)
    return ids


def steps_run(app: Flask) -> dict[int, int]:
    """Return how many step events each chain has, read fresh from the database."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(ReferralStep.escalation_id, func.count())
            .where(ReferralStep.kind == "step")
            .group_by(ReferralStep.escalation_id)
        ).all()
    return dict(rows)


def attempts_not_sent(app: Flask) -> int:
    """Return how many notification attempts are not (yet) sent, read fresh from the database."""
    with db.engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(NotificationAttempt)
            .where((NotificationAttempt.status != "sent") | NotificationAttempt.provider_id.is_(None))
        ).scalar_one()


def attempts_sending(app: Flask) -> int:
    """Return how many notification attempts are being sent (claimed, not yet recorded), read fresh."""
    with db.engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(NotificationAttempt).where(NotificationAttempt.status == "sending")
        ).scalar_one()


def scheduler(app: Flask, tmp_path: Path) -> subprocess.Popen:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"application_name": SCHEDULER_CONNECTIONS})
    env = {
        **os.environ,
        "HOTLINE_ENV": "testing",
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "HOTLINE_INSTANCE_DIR": str(tmp_path),
        "TELEPHONY": "simulator",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def heartbeat(app: Flask) -> datetime | None:
    """Return when the scheduler last beat, read fresh from the database (None before its first beat)."""
    with db.engine.connect() as connection:
        value = connection.execute(select(Setting.value).where(Setting.key == HEARTBEAT_KEY)).scalar()
    return datetime.fromisoformat(value["at"]) if value else None


def beats_after(app: Flask, moment: datetime, timeout: float = READY_SECONDS) -> datetime:
    """Wait until the scheduler beats after `moment` (it is up and running its jobs); return the beat."""

    def beat() -> datetime | None:
        """the scheduler beat"""
        at = heartbeat(app)
        return at if at is not None and at > moment else None

    return until(beat, timeout=timeout, interval=0.5)


def scheduler_settled(app: Flask) -> bool:
    """Return whether the database works on nothing the scheduler sent (a statement or a COMMIT in flight).

    SQLite commits inside the writer's process: a stopped writer commits nothing more. A PostgreSQL
    server goes on with what it was sent before the stop; a statement waiting for a lock is no commit.
    """
    if db.engine.dialect.name != "postgresql":
        return True
    with db.engine.connect() as connection:
        busy = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND state = 'active'"
                " AND wait_event_type IS DISTINCT FROM 'Lock'"
            ),
            {"name": SCHEDULER_CONNECTIONS},
        ).scalar_one()
    return busy == 0


def stop_between_sends(app: Flask, process: subprocess.Popen, ready: Any) -> None:
    """Stop the scheduler (SIGSTOP) once `ready()` holds and no notification is being sent; leave it stopped.

    A kill in the middle of a send leaves that attempt `sending`, then `uncertain`, never posted again
    (the provider may or may not have it): that is by design (at most once) and proven in
    tests/escalation/test_channels.py::test_a_send_cut_short_by_a_dead_process_is_never_repeated.
    Here the kill lands on a commit boundary: after the steps' commits, with their notifications
    stored, or sent, or some of each.
    """

    def settled() -> bool:
        """the database done with what the stopped scheduler sent"""
        return scheduler_settled(app)

    def stopped() -> bool:
        """the scheduler stopped with its first steps run and no notification being sent"""
        if not ready():
            return False
        process.send_signal(signal.SIGSTOP)
        until(settled, timeout=READY_SECONDS, interval=0.05)
        if ready() and attempts_sending(app) == 0:
            return True
        process.send_signal(signal.SIGCONT)
        return False

    until(stopped, timeout=READY_SECONDS, interval=0.1)


def test_a_killed_scheduler_loses_nothing_and_runs_no_step_twice(app: Flask, committed: Any, tmp_path: Path) -> None:
    network = build_network(committed, plain_user_factory(committed))
    now = utcnow()
    early = start_chains(committed, network, [now] * 3)
    late = start_chains(committed, network, [now + timedelta(hours=1)] * 3)  # pending at the kill, however slow
    process = scheduler(app, tmp_path)
    try:
        stop_between_sends(app, process, lambda: all(steps_run(app).get(i) == 1 for i in early))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert all(i not in steps_run(app) for i in late), "the later deadlines were still pending at the kill"
    # While the scheduler is dead, the later chains fall due and the early chains' deadlines pass too.
    committed.rollback()  # end the test's read snapshot before writing (SQLite)
    committed.execute(update(Escalation).where(Escalation.id.in_(early + late)).values(due_at=utcnow()))
    committed.commit()
    restarted_at = utcnow()
    restarted = scheduler(app, tmp_path)
    try:
        expected = {**{i: 2 for i in early}, **{i: 1 for i in late}}
        # A loaded machine may take long to start a Python process: wait for its first beat, then its work.
        beats_after(app, restarted_at)
        until(lambda: {i: steps_run(app).get(i) for i in expected} == expected, timeout=READY_SECONDS, interval=0.3)
        # Attempts stored but not sent when the first scheduler died go out at the start of a tick, before
        # their chain moves on (test_a_notification_stored_before_a_crash_goes_out_before_its_chain_moves_on).
        until(lambda: attempts_not_sent(app) == 0, timeout=READY_SECONDS, interval=0.3)
        # Two more beats span ten seconds of ticks (escalation ticks every three): nothing more happens.
        beats_after(app, beats_after(app, utcnow()))
        assert {i: steps_run(app).get(i) for i in expected} == expected
    finally:
        restarted.send_signal(signal.SIGKILL)
        restarted.wait(10)
    committed.rollback()
    referrals = committed.scalars(select(Referral)).all()
    assert Counter(r.escalation_id for r in referrals) == Counter(expected)
    per_referral = Counter(a.referral_id for a in committed.scalars(select(NotificationAttempt)).all())
    assert set(per_referral.values()) == {1} and len(per_referral) == len(referrals)
    attempts = committed.scalars(select(NotificationAttempt)).all()
    assert all(a.status == "sent" and a.provider_id for a in attempts), [(a.status, a.provider_id) for a in attempts]


def test_a_notification_stored_before_a_crash_goes_out_before_its_chain_moves_on(app: Flask, committed: Any) -> None:
    network = build_network(committed, plain_user_factory(committed))
    at = utcnow()
    (chain_id,) = start_chains(committed, network, [at])
    committed.rollback()
    # A tick ran the first step and died after its commit, before it sent what the step stored.
    steps.advance(committed, steps.claim_next(committed, at, set()), at)
    committed.commit()
    (stored,) = committed.scalars(select(NotificationAttempt)).all()
    assert stored.status == "queued"
    # The scheduler is back only after the step's deadline: the stored notification goes out, then the chain moves on.
    deadline = committed.get(Escalation, chain_id).due_at
    committed.rollback()
    provider = RecordingProvider()
    assert steps.run_due(committed, deadline, provider) == 1
    committed.rollback()
    attempts = committed.scalars(select(NotificationAttempt).order_by(NotificationAttempt.id)).all()
    assert [a.id for a in attempts][0] == stored.id and len({a.referral_id for a in attempts}) == len(attempts) == 2
    assert all(a.status == "sent" and a.provider_id for a in attempts), [(a.status, a.provider_id) for a in attempts]
    assert len(provider.messages) == 2
    assert steps_run(app) == {chain_id: 2}


def test_two_ticks_racing_for_one_deadline_run_the_step_once(app: Flask, committed: Any) -> None:
    network = build_network(committed, plain_user_factory(committed))
    (chain_id,) = start_chains(committed, network, [utcnow() - timedelta(seconds=1)])
    committed.rollback()
    barrier = threading.Barrier(2)
    moved: list[int] = []
    provider = RecordingProvider()

    def tick() -> None:
        with app.app_context(), immediate_transactions():  # as the scheduler runs every job
            try:
                barrier.wait(30)
                moved.append(steps.run_due(db.session, utcnow(), provider))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(moved) == [0, 1]
    assert steps_run(app) == {chain_id: 1}
    assert len(provider.messages) == 1


def test_two_scheduler_processes_firing_the_same_deadlines_run_each_step_once(
    app: Flask, committed: Any, tmp_path: Path
) -> None:
    network = build_network(committed, plain_user_factory(committed))
    ids = start_chains(committed, network, [utcnow() - timedelta(seconds=1)] * 4)
    env = {
        **os.environ,
        "HOTLINE_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HOTLINE_INSTANCE_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "tick", "escalation"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    for process in processes:
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert steps_run(app) == {i: 1 for i in ids}
    committed.rollback()
    per_referral = Counter(a.referral_id for a in committed.scalars(select(NotificationAttempt)).all())
    assert len(per_referral) == 4 and set(per_referral.values()) == {1}
