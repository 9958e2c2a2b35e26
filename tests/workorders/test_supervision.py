"""Supervision with the clock pinned: late orders flagged once, the unit reminded, the centre told after twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline.escalation import services as escalation_services
from hotline.workorders import services
from hotline.workorders.jobs import tick
from hotline.workorders.models import WorkOrder, WorkOrderEvent
from hotline.workorders.supervision import act_on_deadlines, send_reminders, sign_accepted
from tests.support.robots import RobotServer
from tests.workorders.conftest import NOW, escalate_to_station

ROBOT_CLOCK = {"now": NOW}
"""The robots' idea of now: the moment the test's reminders are sent."""


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    """The robots' stand-ins, their clock at the test's pinned moment."""
    server = RobotServer(clock=lambda: ROBOT_CLOCK["now"].timestamp()).start()
    yield server
    server.stop()


def kinds(session: Any, order: WorkOrder) -> list[str]:
    return list(session.scalars(select(WorkOrderEvent.kind).where(WorkOrderEvent.order_id == order.id)))


def test_nothing_happens_before_the_sign_for_limit(db_session: Any, network: Any, provider: Any) -> None:
    escalate_to_station(db_session, network, provider)  # normal: sign for within 4 hours
    assert act_on_deadlines(db_session, NOW + timedelta(hours=3, minutes=59)) == []


def test_past_the_sign_for_limit_the_order_is_flagged_and_the_station_reminded(
    db_session: Any, network: Any, provider: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    at = NOW + timedelta(hours=4, minutes=1)
    acts = act_on_deadlines(db_session, at)
    assert acts == [(order.id, "sign_overdue")]
    assert order.sign_overdue_at == at
    provider.messages.clear()
    assert send_reminders(db_session, acts, provider) == 1
    assert provider.messages[0]["to"] == "+8613900000001"  # the street station's duty contact
    assert order.reference in provider.messages[0]["body"] and "13812345678" not in provider.messages[0]["body"]
    assert act_on_deadlines(db_session, at + timedelta(minutes=5)) == []  # flagged once


def test_a_deadline_passed_while_the_scheduler_was_down_is_acted_on_once(
    db_session: Any, network: Any, provider: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    back = NOW + timedelta(hours=9)  # down from before the 4 h limit until after the second (8 h)
    acts = act_on_deadlines(db_session, back)
    assert acts == [(order.id, "sign_overdue"), (order.id, "centre_told")]
    assert act_on_deadlines(db_session, back) == []
    assert act_on_deadlines(db_session, back + timedelta(hours=1)) == []
    assert kinds(db_session, order).count("sign_overdue") == 1 and kinds(db_session, order).count("centre_told") == 1
    provider.messages.clear()
    send_reminders(db_session, acts, provider)
    assert {m["to"] for m in provider.messages} == {"+8613900000001", "+8613900000000"}  # station, district centre


def test_the_handling_limit_counts_working_days_and_an_extension_moves_it(
    db_session: Any, network: Any, provider: Any, members: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)  # Tuesday 10 March, 10:00
    services.sign(db_session, order.id, actor=members["station"], now=NOW + timedelta(minutes=10))
    assert order.handle_due_at == NOW + timedelta(days=7)  # 5 working days: Tuesday 17 March
    assert act_on_deadlines(db_session, NOW + timedelta(days=6)) == []
    services.request_extension(
        db_session, order.id, until=NOW + timedelta(days=9), reason="等待民政回复", actor=members["station"], now=NOW
    )
    services.decide_extension(db_session, order.id, grant=True, actor=network.supervisor, now=NOW)
    assert act_on_deadlines(db_session, NOW + timedelta(days=8)) == []
    assert act_on_deadlines(db_session, NOW + timedelta(days=9, minutes=1)) == [(order.id, "handle_overdue")]


def test_the_scheduler_tick_with_the_clock_pinned_opens_and_flags(
    app: Any, db_session: Any, network: Any, provider: Any
) -> None:
    order = escalate_to_station(db_session, network, provider)
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        tick()
    db_session.refresh(order)
    assert order.sign_overdue_at == NOW + timedelta(hours=5)
    assert any(order.reference in m["body"] for m in provider.messages)


def test_an_accept_on_the_responder_page_signs_for_the_order(db_session: Any, network: Any, provider: Any) -> None:
    order = escalate_to_station(db_session, network, provider)
    escalation_services.respond(db_session, order.referral_id, "accept", now=NOW + timedelta(minutes=3), via="link")
    assert sign_accepted(db_session, NOW + timedelta(minutes=5)) == 1
    db_session.refresh(order)
    assert order.state == "signed" and order.signed_at == NOW + timedelta(minutes=3) and order.signed_on_time
    assert sign_accepted(db_session, NOW + timedelta(minutes=6)) == 0


def test_reminders_go_by_the_channels_the_station_chose(
    db_session: Any, network: Any, provider: Any, robots: RobotServer
) -> None:
    network.station.webhook_url = robots.dingtalk("street", "SECstreet")
    network.station.robot_kind, network.station.robot_secret = "dingtalk", "SECstreet"
    network.station.notify_channels = ["dingtalk"]
    db_session.commit()
    order = escalate_to_station(db_session, network, provider)
    at = NOW + timedelta(hours=4, minutes=1)
    ROBOT_CLOCK["now"] = at
    acts = act_on_deadlines(db_session, at)
    provider.messages.clear()
    assert send_reminders(db_session, acts, provider, at) == 1
    reminders = [post for post in robots.accepted("dingtalk") if order.reference in post.text]
    assert len(reminders) == 1 and "13812345678" not in reminders[0].text
    assert provider.messages == []  # the station chose its group chat robot, not SMS

    services.supervise(db_session, order.id, "请今天内签收", actor=network.supervisor, now=at)
    assert send_reminders(db_session, [(order.id, "supervised")], provider, at) == 1
    assert "请今天内签收" in robots.accepted("dingtalk")[-1].text

    network.station.notify_channels = ["sms"]  # the station changes its mind
    db_session.commit()
    assert send_reminders(db_session, [(order.id, "supervised")], provider, at) == 1
    assert provider.messages[-1]["to"] == "+8613900000001" and order.reference in provider.messages[-1]["body"]
