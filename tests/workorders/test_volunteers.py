"""Work orders to the five parties: a volunteer of the register gets the order by the signed single-use link."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.directory.models import Organisation, Volunteer
from hotline.escalation.models import Referral
from hotline.escalation.notifications import link_token
from hotline.escalation.triggers import escalate_case
from hotline.workorders import services
from hotline.workorders.board import unit_choices
from hotline.workorders.exceptions import NotYourOrder
from hotline.workorders.models import WorkOrder
from hotline.workorders.supervision import open_orders
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import NOW, make_case


@pytest.fixture
def volunteer(db_session: Any, network: Any) -> Volunteer:
    """A volunteer serving the street (so its communities too), free on weekdays."""
    found = Volunteer(
        name="李志愿", phone="+8613900003333", skills=["home_visit"], areas=[network.street], available_weekdays=[1, 2]
    )
    db_session.add(found)
    db_session.commit()
    return found


def link_in(messages: list[dict[str, Any]], to: str) -> str:
    """Return the order link path an SMS to `to` carries."""
    body = next(m["body"] for m in messages if m["to"] == to)
    return re.search(r"(/r/[^/\s]+/order)", body).group(1)


def test_dispatch_to_a_volunteer_opens_a_link_referral(db_session: Any, network: Any, volunteer: Any) -> None:
    case = make_case(db_session, network.community)
    order = services.dispatch_to_unit(
        db_session,
        case_id=case.id,
        kind="volunteer",
        unit_id=volunteer.id,
        urgency="normal",
        reason="home_visit",
        request_text="陪老人去医院",
        actor_id=network.supervisor.id,
        now=NOW,
    )
    assert order.unit_key == ("volunteer", volunteer.id) and order.unit_name == "李志愿"
    referral = db_session.get(Referral, order.referral_id)
    assert referral.target_kind == "volunteer" and referral.volunteer_id == volunteer.id
    assert referral.escalation_id is None and referral.case_id == case.id and referral.status == "notified"
    # The link is the volunteer's way in: it acts; a station account does not.
    services.sign(db_session, order.id, actor=None, now=NOW, via="link", referral_id=referral.id)
    assert order.state == "signed" and db_session.get(Referral, referral.id).status == "accepted"
    with pytest.raises(NotYourOrder):
        services.add_note(db_session, order.id, "x", actor=None, now=NOW, referral_id=referral.id + 1)


def test_inactive_volunteers_get_no_orders_and_choices_name_every_party(
    db_session: Any, network: Any, volunteer: Any
) -> None:
    team = Organisation(name="青年志愿服务队", kind="volunteer_team")
    db_session.add(team)
    db_session.commit()
    labels = dict(unit_choices(db_session))
    assert labels[f"volunteer:{volunteer.id}"] == "李志愿（志愿者）"
    assert labels[f"organisation:{team.id}"] == "青年志愿服务队（志愿服务队）"
    volunteer.active = False
    db_session.commit()
    assert f"volunteer:{volunteer.id}" not in dict(unit_choices(db_session))
    with pytest.raises(services.BadInput):
        services.dispatch_to_unit(
            db_session,
            case_id=None,
            kind="volunteer",
            unit_id=volunteer.id,
            urgency="normal",
            reason="home_visit",
            request_text=None,
            actor_id=None,
            now=NOW,
        )


def test_supervisor_dispatches_to_a_volunteer_who_signs_and_returns_by_the_link(
    app: Any, db_session: Any, network: Any, volunteer: Any, clock: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community, consent=True)
    client = log_in(app.test_client(), network.supervisor)
    token = csrf_token(client, f"/orders/dispatch?case={case.reference}")
    form = {"csrf_token": token, "unit": f"volunteer:{volunteer.id}", "urgency": "normal", "reason": "home_visit"}
    kept = client.post(f"/orders/dispatch?case={case.reference}", data={**form, "reason": "", "request": "送药上门"})
    page = kept.get_data(as_text=True)
    assert kept.status_code == 422 and "送药上门" in page
    assert f'<option selected value="volunteer:{volunteer.id}">' in page
    done = client.post(f"/orders/dispatch?case={case.reference}", data={**form, "request": "送药上门"})
    assert done.status_code == 302
    order = db_session.scalars(select(WorkOrder)).one()
    assert order.volunteer_id == volunteer.id
    path = link_in(provider.messages, "+8613900003333")
    assert path == f"/r/{link_token(order.referral_id)}/order"
    shown = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert path in shown  # the supervisor sees the link too, to pass on by phone if the SMS went astray

    anonymous = app.test_client()
    page = anonymous.get(path)
    assert page.status_code == 200 and "送药上门" in page.get_data(as_text=True)
    link_token_form = csrf_token(anonymous, path)
    signed = anonymous.post(f"{path}/sign", data={"csrf_token": link_token_form})
    assert signed.status_code == 200
    db_session.refresh(order)
    assert order.state == "signed"
    empty = anonymous.post(f"{path}/return", data={"csrf_token": link_token_form, "return-reason": ""})
    assert empty.status_code == 422
    returned = anonymous.post(f"{path}/return", data={"csrf_token": link_token_form, "return-reason": "不在本区"})
    assert returned.status_code == 200
    db_session.refresh(order)
    assert order.state == "returned"
    # The referral is over: the link is dead (single use).
    assert anonymous.get(path).status_code in (404, 410)


def test_redispatch_to_a_volunteer_gives_a_new_link(
    app: Any, db_session: Any, network: Any, members: Any, volunteer: Any, clock: Any, provider: Any
) -> None:
    case = make_case(db_session, network.community)
    order = services.dispatch_to_unit(
        db_session,
        case_id=case.id,
        kind="station",
        unit_id=network.station.id,
        urgency="normal",
        reason="home_visit",
        request_text=None,
        actor_id=network.supervisor.id,
        now=NOW,
    )
    assert order.referral_id is None
    services.return_order(db_session, order.id, "不归我们", actor=members["station"], now=NOW)
    client = log_in(app.test_client(), network.supervisor)
    token = csrf_token(client, "/orders/board")
    moved = client.post(
        f"/orders/{order.id}/redispatch", data={"csrf_token": token, f"r{order.id}-unit": f"volunteer:{volunteer.id}"}
    )
    assert moved.status_code == 302
    db_session.refresh(order)
    assert order.state == "dispatched" and order.volunteer_id == volunteer.id and order.station_id is None
    assert link_in(provider.messages, "+8613900003333") == f"/r/{link_token(order.referral_id)}/order"


def test_an_escalation_step_for_volunteers_opens_their_order(
    db_session: Any, network: Any, volunteer: Any, provider: Any
) -> None:
    from hotline.escalation.models import EscalationPolicy, PolicyStep

    policy = db_session.scalar(
        select(EscalationPolicy).where(EscalationPolicy.reason == "home_visit", EscalationPolicy.urgency == "normal")
    )
    if policy is None:
        policy = EscalationPolicy(name="上门探访（志愿者）", reason="home_visit", urgency="normal")
        db_session.add(policy)
    policy.active = True
    policy.steps = [PolicyStep(position=0, targets=["volunteer"], wait_minutes=30)]
    db_session.commit()
    case = make_case(db_session, network.community)
    escalation = escalate_case(
        db_session,
        case.id,
        reason="home_visit",
        urgency="normal",
        note="买菜送上门",
        actor_id=network.worker.id,
        now=NOW,
        provider=provider,
    )
    referral = db_session.scalars(select(Referral).where(Referral.escalation_id == escalation.id)).one()
    assert referral.target_kind == "volunteer" and referral.volunteer_id == volunteer.id
    assert any(m["to"] == "+8613900003333" for m in provider.messages)
    open_orders(db_session, NOW + timedelta(minutes=1))
    order = db_session.scalar(select(WorkOrder).where(WorkOrder.escalation_id == escalation.id))
    assert order.unit_key == ("volunteer", volunteer.id) and order.referral_id == referral.id


def test_a_volunteer_returning_before_signing_ends_the_link(db_session: Any, network: Any, volunteer: Any) -> None:
    order = services.dispatch_to_unit(
        db_session,
        case_id=None,
        kind="volunteer",
        unit_id=volunteer.id,
        urgency="normal",
        reason="home_visit",
        request_text=None,
        actor_id=None,
        now=NOW,
    )
    referral_id = order.referral_id
    services.return_order(db_session, order.id, "这周不在", actor=None, now=NOW, via="link", referral_id=referral_id)
    assert order.state == "returned" and db_session.get(Referral, referral_id).status == "declined"
