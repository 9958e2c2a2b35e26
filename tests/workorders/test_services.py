"""The work order's state machine: each action checks the state and the actor's unit, and is on the timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from hotline.callbacks.models import CallbackTask
from hotline.cases.models import CaseEvent, ReturnCall
from hotline.escalation.models import Escalation, Referral
from hotline.workorders import closing, services
from hotline.workorders.exceptions import BadInput, NotYourOrder, WrongState
from hotline.workorders.models import WorkOrder, WorkOrderEvent
from hotline.workorders.supervision import open_orders
from tests.workorders.conftest import NOW, escalate_to_station


def timeline(session: Any, order: WorkOrder) -> list[tuple[str, str]]:
    rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == order.case_id, CaseEvent.kind == "work_order"))
    return [(row.data["change"], row.data["state"]) for row in rows]


def test_a_station_referral_opens_one_order_with_the_urgency_deadlines(
    db_session: Any, network: Any, provider: Any
) -> None:
    order = escalate_to_station(db_session, network, provider, urgency="urgent")
    assert order.state == "dispatched"
    assert order.station_id == network.station.id and order.unit_name == "甲街道站"
    assert order.sign_due_at == NOW + timedelta(minutes=30)
    assert order.handle_due_at == NOW + timedelta(hours=24)
    assert order.request_text == "请上门看望独居老人"
    assert order.reference.startswith("GD-20260310-")
    assert open_orders(db_session, NOW) == 0  # the next tick opens nothing new
    assert timeline(db_session, order) == [("dispatched", "dispatched")]


def test_the_chain_moving_on_redispatches_the_unsigned_order(db_session: Any, network: Any, provider: Any) -> None:
    from hotline.escalation.steps import run_due

    order = escalate_to_station(db_session, network, provider)
    run_due(db_session, NOW + timedelta(minutes=31), provider)  # nobody acknowledged: next nearest station
    later = NOW + timedelta(minutes=31)
    open_orders(db_session, later)
    db_session.refresh(order)
    assert order.state == "dispatched"
    assert order.station_id != network.station.id
    assert order.dispatched_at == later
    assert [e.kind for e in order.events] == ["dispatched", "redispatched"]
    assert db_session.scalar(select(WorkOrder.id).where(WorkOrder.id != order.id)) is None


def test_sign_for_stops_the_chain_and_logs(db_session: Any, network: Any, provider: Any, members: Any) -> None:
    order = escalate_to_station(db_session, network, provider)
    services.sign(db_session, order.id, actor=members["station"], now=NOW + timedelta(minutes=5))
    assert order.state == "signed" and order.signed_on_time is True
    referral = db_session.get(Referral, order.referral_id)
    assert referral.status == "accepted"
    assert db_session.get(Escalation, order.escalation_id).status == "acknowledged"
    assert ("signed", "signed") in timeline(db_session, order)


def test_a_member_of_another_station_is_refused(db_session: Any, network: Any, provider: Any, members: Any) -> None:
    order = escalate_to_station(db_session, network, provider)
    for name in ("other", "charity"):
        with pytest.raises(NotYourOrder):
            services.sign(db_session, order.id, actor=members[name], now=NOW)
    assert db_session.get(WorkOrder, order.id).state == "dispatched"


def test_of_two_members_signing_at_once_one_wins(db_session: Any, network: Any, provider: Any, members: Any) -> None:
    order = escalate_to_station(db_session, network, provider)
    # The other member's sign-for lands between this member's read and write.
    db_session.execute(
        update(WorkOrder).where(WorkOrder.id == order.id).values(state="signed", version=WorkOrder.version + 1)
    )
    db_session.commit()
    stale = db_session.get(WorkOrder, order.id)
    set_committed_value(stale, "state", "dispatched")  # what this member read before the other's commit
    set_committed_value(stale, "version", 0)
    with pytest.raises(WrongState) as raised:
        services.sign(db_session, order.id, actor=members["station2"], now=NOW)
    assert raised.value.state == "signed"
    assert [e.kind for e in db_session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id))] == [
        "dispatched"
    ]


def test_actions_check_the_state(db_session: Any, network: Any, provider: Any, members: Any) -> None:
    order = escalate_to_station(db_session, network, provider)
    member = members["station"]
    with pytest.raises(WrongState):
        services.add_note(db_session, order.id, "去了", actor=member, now=NOW)
    with pytest.raises(WrongState):
        closing.submit_result(db_session, order.id, "已办结", actor=member, now=NOW)
    services.sign(db_session, order.id, actor=member, now=NOW)
    with pytest.raises(WrongState):
        services.sign(db_session, order.id, actor=member, now=NOW)
    with pytest.raises(BadInput):
        services.add_note(db_session, order.id, "   ", actor=member, now=NOW)
    services.add_note(db_session, order.id, "已电话联系老人", actor=member, now=NOW)
    assert order.state == "in_progress"


def test_extension_needs_a_reason_and_the_supervisor(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    member = members["station"]
    services.sign(db_session, order.id, actor=member, now=NOW)
    later = order.handle_due_at + timedelta(days=2)
    with pytest.raises(BadInput):
        services.request_extension(db_session, order.id, until=later, reason="", actor=member, now=NOW)
    with pytest.raises(BadInput):
        services.request_extension(db_session, order.id, until=NOW, reason="等资料", actor=member, now=NOW)
    services.request_extension(db_session, order.id, until=later, reason="等民政资料", actor=member, now=NOW)
    with pytest.raises(NotYourOrder):
        services.decide_extension(db_session, order.id, grant=True, actor=network.worker, now=NOW)
    services.decide_extension(db_session, order.id, grant=True, actor=network.supervisor, now=NOW)
    assert order.handle_due_at == later and order.extensions == 1 and order.extension_state == "granted"


def test_return_goes_to_the_supervisor_who_redispatches(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    with pytest.raises(BadInput):
        services.return_order(db_session, order.id, "", actor=members["station"], now=NOW)
    services.return_order(db_session, order.id, "不属于本站辖区", actor=members["station"], now=NOW)
    assert order.state == "returned" and order.returns == 1
    assert db_session.get(Escalation, order.escalation_id).status == "cancelled"
    with pytest.raises(BadInput):
        services.redispatch(
            db_session, order.id, kind="station", unit_id=network.station.id, actor=network.supervisor, now=NOW
        )
    services.redispatch(
        db_session, order.id, kind="station", unit_id=network.other_station.id, actor=network.supervisor, now=NOW
    )
    assert order.state == "dispatched" and order.station_id == network.other_station.id
    with pytest.raises(NotYourOrder):
        services.sign(db_session, order.id, actor=members["station"], now=NOW)
    services.sign(db_session, order.id, actor=members["other"], now=NOW)
    assert order.state == "signed"


def test_result_creates_the_return_call_and_a_resolved_verdict_closes(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    member = members["station"]
    services.sign(db_session, order.id, actor=member, now=NOW)
    closing.submit_result(db_session, order.id, "已上门，联系了助餐服务", actor=member, now=NOW + timedelta(hours=2))
    assert order.state == "return_call" and order.completed_on_time is True
    task = db_session.get(CallbackTask, order.return_call_id)
    assert task.kind == "return-call" and task.status == "open" and task.case_id == order.case_id
    assert task.phone == "+8613812345678" and task.source == f"workorder:{order.id}:0"
    assert closing.return_call_task(db_session, order, NOW) == task.id  # asked again: the same task
    with pytest.raises(BadInput):
        closing.record_verdict(
            db_session, order.id, reached=True, resolved=True, satisfaction=6, note=None, worker=network.worker, now=NOW
        )
    closing.record_verdict(
        db_session, order.id, reached=True, resolved=True, satisfaction=5, note=None, worker=network.worker, now=NOW
    )
    assert order.state == "closed" and order.satisfaction == 5
    assert task.status == "closed" and task.outcome == "reached"
    assert db_session.scalar(select(ReturnCall.satisfaction).where(ReturnCall.case_id == order.case_id)) == 5
    assert [change for change, _ in timeline(db_session, order)] == [
        "dispatched",
        "signed",
        "result_submitted",
        "return_call_due",
        "verdict",
        "closed",
    ]


def test_not_resolved_reopens_once_then_goes_to_the_supervisor(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    member = members["station"]
    services.sign(db_session, order.id, actor=member, now=NOW)
    for expected in ("in_progress", "returned"):
        closing.submit_result(db_session, order.id, "处理了", actor=member, now=NOW)
        closing.record_verdict(
            db_session,
            order.id,
            reached=True,
            resolved=False,
            satisfaction=2,
            note="没解决",
            worker=network.worker,
            now=NOW,
        )
        assert order.state == expected
    assert order.reopens == 1 and order.station_id == network.station.id
    sources = db_session.scalars(select(CallbackTask.source).order_by(CallbackTask.id)).all()
    assert sources == [f"workorder:{order.id}:0", f"workorder:{order.id}:1"]


def test_a_submission_cut_short_gets_its_return_call_at_the_next_tick(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    services.sign(db_session, order.id, actor=members["station"], now=NOW)
    services.move(db_session, order, ("signed",), state="submitted", result="已办结", submitted_at=NOW)
    db_session.commit()  # the process died before the return call was opened
    assert closing.finish_submitted(db_session, NOW) == 1
    assert order.state == "return_call" and db_session.get(CallbackTask, order.return_call_id).status == "open"
    assert closing.finish_submitted(db_session, NOW) == 0


def test_no_callback_consent_closes_on_the_result(db_session: Any, network: Any, provider: Any, members: Any) -> None:
    order = escalate_to_station(db_session, network, provider, callback=False)
    services.sign(db_session, order.id, actor=members["station"], now=NOW)
    closing.submit_result(db_session, order.id, "已办结", actor=members["station"], now=NOW)
    assert order.state == "closed" and order.return_call_id is None


def test_supervise_marks_the_order_with_a_note(db_session: Any, network: Any, provider: Any) -> None:
    order = escalate_to_station(db_session, network, provider)
    with pytest.raises(NotYourOrder):
        services.supervise(db_session, order.id, "请尽快", actor=network.worker, now=NOW)
    services.supervise(db_session, order.id, "请今天内签收", actor=network.supervisor, now=NOW)
    assert order.supervised_at == NOW and order.supervision_note == "请今天内签收"


def test_the_referral_ends_when_its_order_leaves_the_unit_or_closes(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    returned = escalate_to_station(db_session, network, provider)
    services.sign(db_session, returned.id, actor=members["station"], now=NOW)
    services.return_order(db_session, returned.id, "不属于本站辖区", actor=members["station"], now=NOW)
    referral = db_session.get(Referral, returned.referral_id)
    assert referral.status == "done" and referral.outcome == "could_not_help"
    assert "不属于本站辖区" in referral.outcome_note

    closed = escalate_to_station(db_session, network, provider, callback=False)
    services.sign(db_session, closed.id, actor=members["station"], now=NOW)
    closing.submit_result(db_session, closed.id, "已上门", actor=members["station"], now=NOW)
    assert closed.state == "closed"
    referral = db_session.get(Referral, closed.referral_id)
    assert referral.status == "done" and referral.outcome == "followed_up"
