"""The demo seed has work orders in every state, and seeding twice adds none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from hotline.demo import seed_demo
from hotline.workorders.models import WorkOrder

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_the_demo_has_work_orders_in_every_state(db_session: Any) -> None:
    accounts = seed_demo(db_session, NOW)
    states = set(db_session.scalars(select(WorkOrder.state)))
    assert states == {"dispatched", "signed", "in_progress", "returned", "return_call", "closed"}
    assert ("station1", "station") in accounts
    orders = db_session.scalars(select(WorkOrder)).all()
    assert any(o.extension_state == "requested" for o in orders)
    assert any(o.supervised_at for o in orders) and any(o.sign_overdue_at for o in orders)
    assert any(o.reopens == 1 for o in orders) and len({o.station_id for o in orders}) == 2
    seed_demo(db_session, NOW)
    assert db_session.scalar(select(func.count(WorkOrder.id))) == len(orders)
