"""Figures by station and organisation: one order returned by one station and handled by another."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hotline.workorders import closing, figures, services
from tests.conftest import log_in
from tests.workorders.conftest import NOW, escalate_to_station


def walk(session: Any, network: Any, provider: Any, members: Any) -> Any:
    order = escalate_to_station(session, network, provider)
    services.return_order(session, order.id, "不属于本站", actor=members["station"], now=NOW + timedelta(minutes=5))
    services.redispatch(
        session,
        order.id,
        kind="station",
        unit_id=network.other_station.id,
        actor=network.supervisor,
        now=NOW + timedelta(minutes=10),
    )
    services.sign(session, order.id, actor=members["other"], now=NOW + timedelta(minutes=20))
    closing.submit_result(session, order.id, "已上门", actor=members["other"], now=NOW + timedelta(hours=3))
    closing.record_verdict(
        session,
        order.id,
        reached=True,
        resolved=True,
        satisfaction=4,
        note=None,
        worker=network.worker,
        now=NOW + timedelta(hours=4),
    )
    return order


def test_each_unit_counts_its_own_part(db_session: Any, network: Any, provider: Any, members: Any) -> None:
    walk(db_session, network, provider, members)
    late = escalate_to_station(db_session, network, provider)  # a second order nobody signs for
    start, end = figures.month_bounds(date(2026, 3, 1))
    rows = {row.key: row for row in figures.unit_figures(db_session, start, end, NOW + timedelta(hours=5))}
    street = rows[f"station:{network.station.id}"]
    other = rows[f"station:{network.other_station.id}"]
    assert (street.received, street.returned, street.return_rate, street.signed) == (2, 1, 0.5, 0)
    assert street.overdue_now == 1 and late.sign_due_at < NOW + timedelta(hours=5)
    assert (other.received, other.signed, other.sign_rate, other.completed, other.completion_rate) == (
        1,
        1,
        1.0,
        1,
        1.0,
    )
    assert other.satisfaction == 4 and other.returned == 0
    start, end = figures.month_bounds(date(2026, 4, 1))
    april = figures.unit_figures(db_session, start, end, NOW + timedelta(hours=5))
    assert [(r.received, r.overdue_now) for r in april] == [(0, 1)]  # nothing received, still overdue now


def test_the_monthly_table_and_the_api(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    walk(db_session, network, provider, members)
    client = log_in(app.test_client(), network.supervisor)
    page = client.get("/orders/figures?month=2026-03").get_data(as_text=True)
    assert "乙镇站" in page and "100.0%" in page
    data = client.get("/api/v1/workorders/figures?month=2026-03").get_json()
    other = next(unit for unit in data["units"] if unit["name"] == "乙镇站")
    assert other["completed_on_time_rate"] == 1.0 and other["satisfaction"] == 4
    assert client.get("/api/v1/workorders/figures?month=March").status_code == 400
    assert log_in(app.test_client(), network.worker).get("/api/v1/workorders/figures").status_code == 403
