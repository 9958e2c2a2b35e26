"""The supervisor's dispatch page: the covering station suggested by the case's area, any unit chosen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.workorders.models import WorkOrder
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import make_case


def test_supervisor_dispatches_to_the_unit_chosen_the_covering_station_suggested(
    app: Any, db_session: Any, network: Any, clock: Any
) -> None:
    case = make_case(db_session, network.plain_community, consent=True)
    client = log_in(app.test_client(), network.supervisor)
    page = client.get(f"/orders/dispatch?case={case.reference}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<option selected value="station:{network.station.id}">' in html  # the street station covers 西苑社区
    assert network.charity.name in html

    token = csrf_token(client, f"/orders/dispatch?case={case.reference}")
    missing = client.post(
        f"/orders/dispatch?case={case.reference}",
        data={"csrf_token": token, "unit": f"organisation:{network.charity.id}", "urgency": "urgent", "reason": ""},
    )
    assert missing.status_code == 422  # no reason, no request: shown, nothing dispatched
    assert db_session.scalar(select(WorkOrder)) is None

    done = client.post(
        f"/orders/dispatch?case={case.reference}",
        data={
            "csrf_token": token,
            "unit": f"organisation:{network.charity.id}",
            "urgency": "urgent",
            "reason": "home_visit",
            "request": "请协助送米面油",
        },
    )
    assert done.status_code == 302
    order = db_session.scalars(select(WorkOrder)).one()
    assert order.organisation_id == network.charity.id and order.case_id == case.id and order.state == "dispatched"
    assert order.request_text == "请协助送米面油" and order.urgency == "urgent"
    assert [e.kind for e in order.events] == ["dispatched"]


def test_the_dispatch_page_is_for_supervisors_and_names_an_unknown_case(app: Any, network: Any, clock: Any) -> None:
    worker = log_in(app.test_client(), network.worker)
    assert worker.get("/orders/dispatch").status_code == 403
    supervisor = log_in(app.test_client(), network.supervisor)
    unknown = supervisor.get("/orders/dispatch?case=T-999999")
    assert unknown.status_code == 404 and "T-999999" in unknown.get_data(as_text=True)
