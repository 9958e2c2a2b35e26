"""The station's phone page, the signed link, the supervisor's board, the return call, the time limits."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select, text
from werkzeug.test import EnvironBuilder

from hotline.escalation.notifications import link_token
from hotline.workorders.attachments import MAX_BYTES
from hotline.workorders.models import WorkOrder, WorkOrderAttachment
from tests.conftest import csrf_token, log_in
from tests.workorders.conftest import escalate_to_station

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_member_sees_open_orders_and_signs_for_one(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    client = log_in(app.test_client(), members["station"])
    page = client.get("/orders/").get_data(as_text=True)
    assert order.reference in page and "甲街道站" in page
    assert client.get("/").headers["Location"].endswith("/orders/")
    token = csrf_token(client, f"/orders/{order.id}")
    response = client.post(f"/orders/{order.id}/sign", data={"csrf_token": token})
    assert response.status_code == 302
    assert db_session.get(WorkOrder, order.id, populate_existing=True).state == "signed"
    again = client.post(f"/orders/{order.id}/sign", data={"csrf_token": token})
    assert again.status_code == 409
    assert "已签收" in again.get_data(as_text=True)


def test_another_stations_member_gets_403_not_the_order(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    client = log_in(app.test_client(), members["other"])
    assert order.reference not in client.get("/orders/").get_data(as_text=True)
    response = client.get(f"/orders/{order.id}")
    assert response.status_code == 403 and "请上门看望" not in response.get_data(as_text=True)
    token = csrf_token(client, "/orders/")
    assert client.post(f"/orders/{order.id}/sign", data={"csrf_token": token}).status_code == 403
    assert db_session.get(WorkOrder, order.id, populate_existing=True).state == "dispatched"


def test_a_station_account_reaches_no_worker_page(app: Any, members: Any) -> None:
    client = log_in(app.test_client(), members["station"])
    assert client.get("/console").status_code == 403
    assert client.get("/orders/board").status_code == 403
    assert client.get("/profile").status_code == 200


def test_uploads_are_type_checked_size_limited_and_leave_nothing_when_refused(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    client = log_in(app.test_client(), members["station"])
    token = csrf_token(client, f"/orders/{order.id}")
    client.post(f"/orders/{order.id}/sign", data={"csrf_token": token})

    def upload(content: bytes, name: str) -> Any:
        data = {"csrf_token": token, "attach-file": (io.BytesIO(content), name)}
        builder = EnvironBuilder(path=f"/orders/{order.id}/attach", method="POST", data=data)
        environ = builder.get_environ()  # a large body is spooled to a temporary file: close it after
        try:
            return client.open(environ)
        finally:
            environ["wsgi.input"].close()
            builder.close()

    big = upload(b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, "big.jpg")
    assert big.status_code == 422 and "5 MB" in big.get_data(as_text=True)
    fake = upload(b"<html><script>alert(1)</script>", "photo.png")
    assert fake.status_code == 422 and "JPEG" in fake.get_data(as_text=True)
    assert db_session.scalar(select(func.count(WorkOrderAttachment.id))) == 0
    assert db_session.get(WorkOrder, order.id, populate_existing=True).state == "signed"

    assert upload(PNG, "门口.png").status_code == 302
    attachment = db_session.scalar(select(WorkOrderAttachment))
    assert attachment.case_id == order.case_id and attachment.content_type == "image/png"
    raw = db_session.execute(text("SELECT content FROM work_order_attachments")).scalar_one()
    assert "iVBOR" not in raw  # stored encrypted, not as plain base64
    served = client.get(f"/orders/{order.id}/files/{attachment.id}")
    assert served.data == PNG and served.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        log_in(app.test_client(), members["other"]).get(f"/orders/{order.id}/files/{attachment.id}").status_code == 403
    )


def test_the_signed_link_leads_to_the_same_actions(
    app: Any, db_session: Any, network: Any, provider: Any, clock: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    client = app.test_client()
    link = f"/r/{link_token(order.referral_id)}/order"
    assert order.reference in client.get(link).get_data(as_text=True)
    # The responder page leads here.
    assert link in client.get(f"/r/{link_token(order.referral_id)}").get_data(as_text=True)
    token = csrf_token(client, link)
    assert client.post(f"{link}/sign", data={"csrf_token": token}).status_code == 200
    response = client.post(f"{link}/return", data={"csrf_token": token, "return-reason": "不在本站辖区"})
    assert response.status_code == 200
    db_session.refresh(order)
    assert order.state == "returned" and [e.via for e in order.events][-2:] == ["link", "link"]
    assert client.get(f"/r/{link_token(order.referral_id + 999)}/order").status_code == 404


def test_return_without_a_reason_is_refused_with_a_message(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    client = log_in(app.test_client(), members["station"])
    token = csrf_token(client, f"/orders/{order.id}")
    response = client.post(f"/orders/{order.id}/return", data={"csrf_token": token, "return-reason": ""})
    assert response.status_code == 422
    assert db_session.get(WorkOrder, order.id, populate_existing=True).state == "dispatched"


def test_supervisor_redispatches_a_returned_order_to_the_suggested_station(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    from hotline.workorders import services

    order = escalate_to_station(db_session, network, provider)
    services.return_order(
        db_session, order.id, "人手不足", actor=members["station"], now=clock.time() if False else order.dispatched_at
    )
    client = log_in(app.test_client(), network.supervisor)
    board = client.get("/orders/board").get_data(as_text=True)
    assert order.reference in board and "人手不足" in board
    token = csrf_token(client, "/orders/board")
    response = client.post(
        f"/orders/{order.id}/redispatch",
        data={"csrf_token": token, f"r{order.id}-unit": f"station:{network.other_station.id}"},
    )
    assert response.status_code == 302
    db_session.refresh(order)
    assert order.state == "dispatched" and order.station_id == network.other_station.id


def test_the_suggestion_is_the_next_covering_station(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    from hotline.escalation.triggers import escalate_case
    from hotline.workorders import board, services
    from hotline.workorders.supervision import open_orders
    from tests.escalation.conftest import make_case
    from tests.workorders.conftest import NOW

    case = make_case(db_session, network.community, consent=True)
    escalate_case(
        db_session,
        case.id,
        reason="home_visit",
        urgency="normal",
        note="上门",
        actor_id=network.worker.id,
        now=NOW,
        provider=provider,
    )
    open_orders(db_session, NOW)
    order = db_session.scalar(select(WorkOrder).where(WorkOrder.case_id == case.id))
    assert order.station_id == network.room.id  # the community room covers the caller's community
    room_member = members["station"]
    services.set_membership(db_session, room_member.id, station_id=network.room.id, organisation_id=None)
    services.return_order(db_session, order.id, "需要街道站处理", actor=room_member, now=NOW)
    assert board.suggest_unit(db_session, order) == f"station:{network.station.id}"


def test_worker_records_the_return_call(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    from hotline.workorders import closing, services

    order = escalate_to_station(db_session, network, provider)
    services.sign(db_session, order.id, actor=members["station"], now=order.dispatched_at)
    closing.submit_result(db_session, order.id, "已办结", actor=members["station"], now=order.dispatched_at)
    client = log_in(app.test_client(), network.supervisor)
    token = csrf_token(client, f"/orders/{order.id}/return-call")
    bad = client.post(
        f"/orders/{order.id}/return-call",
        data={"csrf_token": token, "reached": "yes", "resolved": "yes", "satisfaction": "9"},
    )
    assert bad.status_code == 422
    good = client.post(
        f"/orders/{order.id}/return-call",
        data={"csrf_token": token, "reached": "yes", "resolved": "yes", "satisfaction": "4"},
    )
    assert good.status_code == 302
    db_session.refresh(order)
    assert order.state == "closed" and order.satisfaction == 4


def test_manager_edits_the_time_limits(app: Any, db_session: Any, make_user: Any) -> None:
    from hotline.workorders.deadlines import limits

    client = log_in(app.test_client(), make_user("manager"))
    page = client.get("/orders/limits")
    assert page.status_code == 200
    token = csrf_token(client, "/orders/limits")
    data = {"csrf_token": token}
    for urgency, row in limits(db_session).items():
        for kind, cell in row.items():
            data[f"{urgency}_{kind}_amount"] = str(cell["amount"])
            data[f"{urgency}_{kind}_unit"] = cell["unit"]
    data["normal_handle_amount"] = "100"  # working days: at most 60
    assert client.post("/orders/limits", data=data).status_code == 422
    assert limits(db_session)["normal"]["handle"]["amount"] == 5
    data["normal_handle_amount"] = "3"
    assert client.post("/orders/limits", data=data).status_code == 302
    assert limits(db_session)["normal"]["handle"] == {"amount": 3, "unit": "working_days"}
    assert log_in(app.test_client(), make_user("supervisor")).get("/orders/limits").status_code == 403


def test_the_case_timeline_shows_the_orders_changes(
    app: Any, db_session: Any, network: Any, provider: Any, members: Any, clock: Any
) -> None:
    from hotline.workorders import services

    order = escalate_to_station(db_session, network, provider)
    services.sign(db_session, order.id, actor=members["station"], now=order.dispatched_at)
    page = log_in(app.test_client(), network.supervisor).get(f"/cases/{order.case_id}").get_data(as_text=True)
    assert f"{order.reference} · 已签收 · 甲街道站" in page
    assert f"{order.reference} · 已派单 · 甲街道站" in page
