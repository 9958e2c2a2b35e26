"""Two members of a station sign for the same order at the same moment, each on its own connection: one wins.

Both read the dispatched order (version 0) and commit their read; then, released together, both sign.
On PostgreSQL the second UPDATE waits for the first's row lock and finds the version moved; on SQLite
the second writer waits for the lock (BEGIN IMMEDIATE, as in a request) and finds the same.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.db import immediate_transactions
from hotline.extensions import db
from hotline.workorders import services
from hotline.workorders.exceptions import WrongState
from hotline.workorders.models import WorkOrder, WorkOrderEvent
from tests.workorders.conftest import NOW, escalate_to_station


def test_two_members_signing_at_once_one_wins(app: Flask, committed: Any, provider: Any) -> None:
    with app.app_context():
        order_id = escalate_to_station(db.session, committed.network, provider).id
        db.session.remove()
        engine = db.engine
    racers = [committed.ids["station"], committed.ids["station2"]]
    barrier = threading.Barrier(len(racers))
    outcomes: dict[int, str] = {}
    lock = threading.Lock()

    def sign_for(user_id: int) -> None:
        with app.app_context(), immediate_transactions(), Session(engine, expire_on_commit=False) as session:
            session.get(WorkOrder, order_id)  # this member's page showed the order dispatched
            actor = session.get(User, user_id)
            session.commit()
            barrier.wait(timeout=30)
            try:
                services.sign(session, order_id, actor=actor, now=NOW)
                outcome = "won"
            except WrongState as refused:
                outcome = f"lost:{refused.state}"
            with lock:
                outcomes[user_id] = outcome

    threads = [threading.Thread(target=sign_for, args=(user_id,)) for user_id in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["lost:signed", "won"]
    winner = next(user_id for user_id, outcome in outcomes.items() if outcome == "won")
    with app.app_context():
        order = db.session.get(WorkOrder, order_id)
        assert order.state == "signed" and order.signed_by_id == winner and order.version == 1
        kinds = db.session.scalars(
            select(WorkOrderEvent.kind).where(WorkOrderEvent.order_id == order_id).order_by(WorkOrderEvent.id)
        ).all()
        assert kinds == ["dispatched", "signed"]
        db.session.remove()
