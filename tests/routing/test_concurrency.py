"""Exactly one worker wins a call, however many accept at the same moment (PostgreSQL, real connections)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import Certification, User
from hotline.extensions import db
from hotline.routing import services
from hotline.routing.exceptions import OfferGone
from hotline.routing.models import Offer, RoutingEntry, WorkerPresence
from hotline.routing.settings import RoutingSettings, save_routing_settings
from hotline.telephony.providers import RecordingProvider
from tests.conftest import truncate_all
from tests.routing.conftest import NOW, put_on_duty, queue_call, set_available

WORKERS = 6


@pytest.fixture
def committed(app: Flask) -> Any:
    """Data committed for real (other connections must see it), deleted afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the concurrent-accept proof runs on PostgreSQL (set DATABASE_URL); SQLite has one writer")
        try:
            yield db.engine
        finally:
            truncate_all(app)


def build_team(session: Session) -> list[int]:
    """Create workers on duty and available, offered every call at once."""
    save_routing_settings(session, RoutingSettings(offer_mode="all"), None, NOW)
    users = []
    for number in range(WORKERS):
        user = User(username=f"racer{number}", display_name=f"Racer {number}", password_hash="x", role="worker")
        user.certifications.append(
            Certification(level="intermediate", number=f"R{number}", issuing_body="t", valid_until=NOW.date())
        )
        users.append(user)
    session.add_all(users)
    session.commit()
    put_on_duty(session, users)
    for minutes, user in enumerate(users):
        set_available(session, user, NOW - timedelta(minutes=minutes + 1))
    return [user.id for user in users]


def race(app: Flask, engine: Any, offers: list[tuple[int, int]], at: Any) -> list[str]:
    """Accept every offer at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(offers))
    provider = RecordingProvider()
    results: list[str] = []
    lock = threading.Lock()

    def accept(offer_id: int, worker_id: int) -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            try:
                services.accept_offer(session, offer_id, worker_id, at, provider)
                outcome = "won"
            except OfferGone:
                outcome = "lost"
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=accept, args=pair) for pair in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_accepts_have_exactly_one_winner(app: Flask, committed: Any) -> None:
    with app.app_context(), Session(committed) as session:
        build_team(session)
        calls = [queue_call(session, queued_at=NOW + timedelta(seconds=n)).id for n in range(3)]
    for round_number, call_id in enumerate(calls):
        at = NOW + timedelta(minutes=round_number + 1)
        with app.app_context(), Session(committed) as session:
            offers = services.call_queued(session, call_id, at)
            pairs = [(offer.id, offer.worker_id) for offer in offers]
        assert len(pairs) >= 2, "several workers are ringing for the call"
        results = race(app, committed, pairs, at + timedelta(seconds=1))
        assert sorted(results) == ["lost"] * (len(pairs) - 1) + ["won"]
        with app.app_context(), Session(committed) as session:
            statuses = session.scalars(select(Offer.status).where(Offer.call_id == call_id)).all()
            assert sorted(statuses).count("accepted") == 1
            entry = session.scalar(select(RoutingEntry).where(RoutingEntry.call_id == call_id))
            busy = session.scalars(select(WorkerPresence).where(WorkerPresence.current_call_id == call_id)).all()
            assert entry.status == "accepted" and [p.user_id for p in busy] == [entry.worker_id]


def test_an_accept_racing_the_ring_timeout_either_wins_or_loses_cleanly(app: Flask, committed: Any) -> None:
    from hotline.routing.router import expire_offers

    with app.app_context(), Session(committed) as session:
        build_team(session)
        save_routing_settings(session, RoutingSettings(offer_mode="one"), None, NOW)
        call_id = queue_call(session, queued_at=NOW).id
        (offer,) = services.call_queued(session, call_id, NOW)
        offer_id, worker_id = offer.id, offer.worker_id
    due = NOW + timedelta(seconds=20)
    barrier = threading.Barrier(2)
    outcome: dict[str, Any] = {}

    def accept() -> None:
        with app.app_context(), Session(committed) as session:
            barrier.wait()
            try:
                services.accept_offer(session, offer_id, worker_id, due, RecordingProvider())
                outcome["accept"] = "won"
            except OfferGone:
                outcome["accept"] = "lost"

    def expire() -> None:
        with app.app_context(), Session(committed) as session:
            barrier.wait()
            outcome["expired"] = expire_offers(session, due)

    threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert (outcome["accept"], outcome["expired"]) in (("won", 0), ("lost", 1))
    with app.app_context(), Session(committed) as session:
        status = session.scalar(select(Offer.status).where(Offer.id == offer_id))
        assert status == ("accepted" if outcome["accept"] == "won" else "missed")


def test_two_first_consoles_of_one_worker_at_once_share_one_presence_row(app: Flask, committed: Any) -> None:
    from hotline.routing.presence import presence_of

    with app.app_context(), Session(committed) as session:
        user = User(username="twin-consoles", display_name="Twin", password_hash="x", role="worker")
        session.add(user)
        session.commit()
        user_id = user.id
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def connect() -> None:
        with app.app_context(), Session(committed) as session:
            barrier.wait()
            try:
                presence_of(session, user_id, NOW)
                session.commit()
            except Exception as error:  # noqa: BLE001  (the test reports any failure)
                failures.append(error)

    threads = [threading.Thread(target=connect) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    with Session(committed) as session:
        assert len(session.scalars(select(WorkerPresence).where(WorkerPresence.user_id == user_id)).all()) == 1
