"""Duplicate reports: a second order on the same case, caller or area and reason is flagged and merged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.cases.models import CaseEvent
from hotline.escalation.models import Referral
from hotline.workorders import duplicates, services
from hotline.workorders.exceptions import BadInput, NotYourOrder, WrongState
from tests.conftest import csrf_token, log_in
from tests.escalation.conftest import NOW, make_case


def dispatch(session: Any, network: Any, case: Any, *, reason: str = "home_visit", at: Any = NOW, **unit: Any) -> Any:
    """Dispatch an order for a case straight to a unit (the street station unless told)."""
    kind, unit_id = unit.get("to", ("station", network.station.id))
    return services.dispatch_to_unit(
        session,
        case_id=case.id,
        kind=kind,
        unit_id=unit_id,
        urgency="normal",
        reason=reason,
        request_text=f"{reason} 请求",
        actor_id=network.supervisor.id,
        now=at,
    )


def test_same_caller_same_case_or_same_area_and_reason_within_the_window(db_session: Any, network: Any) -> None:
    first = make_case(db_session, network.community, phone="+8613800001111")
    again = make_case(db_session, network.plain_community, phone="+8613800001111")
    neighbour = make_case(db_session, network.community, phone="+8613800002222")
    elsewhere = make_case(db_session, network.other_street, phone="+8613800003333")
    original = dispatch(db_session, network, first)
    assert duplicates.original_of(db_session, original) is None
    by_caller = dispatch(db_session, network, again, reason="legal", at=NOW + timedelta(hours=1))
    by_area = dispatch(db_session, network, neighbour, at=NOW + timedelta(hours=2))
    other_reason = dispatch(db_session, network, neighbour, reason="legal", at=NOW + timedelta(hours=3))
    unrelated = dispatch(db_session, network, elsewhere, at=NOW + timedelta(hours=4))
    assert (
        duplicates.original_of(db_session, by_caller).original,
        duplicates.original_of(db_session, by_caller).why,
    ) == (
        original,
        "caller",
    )
    assert duplicates.original_of(db_session, by_area).why == "area"
    # Same case as by_area, so it repeats that one (the oldest open order of the matter comes first).
    assert duplicates.original_of(db_session, other_reason).original == by_area
    assert duplicates.original_of(db_session, unrelated) is None
    late = dispatch(db_session, network, first, at=NOW + duplicates.WINDOW + timedelta(minutes=1))
    # The first order is now outside the window; the same caller's second report is the oldest inside it.
    assert duplicates.original_of(db_session, late).original == by_caller
    assert {d.order.id for d in duplicates.open_duplicates(db_session)} == {
        by_caller.id,
        by_area.id,
        other_reason.id,
        late.id,
    }


def test_merging_closes_the_duplicate_and_both_timelines_show_it(db_session: Any, network: Any) -> None:
    from hotline.directory.models import Volunteer

    helper = Volunteer(name="李志愿", phone="+8613900003333", areas=[network.street])
    db_session.add(helper)
    db_session.commit()
    first = make_case(db_session, network.community, phone="+8613800001111")
    second = make_case(db_session, network.community, phone="+8613800001111")
    kept = dispatch(db_session, network, first)
    duplicate = dispatch(db_session, network, second, at=NOW + timedelta(hours=1), to=("volunteer", helper.id))
    link_referral = duplicate.referral_id
    with pytest.raises(NotYourOrder):
        duplicates.merge(db_session, duplicate.id, kept.id, actor=network.worker, now=NOW)
    with pytest.raises(BadInput):
        duplicates.merge(db_session, duplicate.id, duplicate.id, actor=network.supervisor, now=NOW)
    result = duplicates.merge(db_session, duplicate.id, kept.id, actor=network.supervisor, now=NOW + timedelta(hours=2))
    assert result == kept and kept.state == "dispatched"
    assert duplicate.state == "closed" and duplicate.merged_into_id == kept.id
    assert db_session.get(Referral, link_referral).status == "declined"  # the volunteer's link is dead
    kept_event = kept.events[-1]
    assert kept_event.kind == "merged" and kept_event.detail["duplicate"] == duplicate.reference
    assert kept_event.detail["why"] == "caller" and kept_event.detail["request"] == "home_visit 请求"
    timeline = {
        (e.case_id, e.data["order"])
        for e in db_session.scalars(select(CaseEvent).where(CaseEvent.kind == "work_order"))
        if e.data["change"] == "merged"
    }
    assert timeline == {(first.id, kept.reference), (second.id, duplicate.reference)}
    assert duplicates.open_duplicates(db_session) == []
    with pytest.raises(WrongState):
        duplicates.merge(db_session, duplicate.id, kept.id, actor=network.supervisor, now=NOW)


def test_merging_an_escalated_order_stops_its_chain_and_the_log_says_merged(
    db_session: Any, network: Any, provider: Any
) -> None:
    from hotline.escalation.models import ReferralStep
    from tests.workorders.conftest import escalate_to_station

    escalated = escalate_to_station(db_session, network, provider)
    kept = dispatch(db_session, network, make_case(db_session, network.community), at=NOW - timedelta(hours=1))
    assert escalated.escalation_id is not None
    duplicates.merge(db_session, escalated.id, kept.id, actor=network.supervisor, now=NOW + timedelta(minutes=5))
    cancelled = db_session.scalars(
        select(ReferralStep).where(
            ReferralStep.escalation_id == escalated.escalation_id, ReferralStep.kind == "cancelled"
        )
    ).one()
    assert cancelled.detail["why"] == f"work order {escalated.reference} merged into {kept.reference}"


def test_not_the_same_matter_is_refused(db_session: Any, network: Any) -> None:
    one = dispatch(db_session, network, make_case(db_session, network.community, phone="+8613800001111"))
    other = dispatch(db_session, network, make_case(db_session, network.other_street, phone="+8613800002222"))
    with pytest.raises(BadInput):
        duplicates.merge(db_session, other.id, one.id, actor=network.supervisor, now=NOW)
    assert other.state == "dispatched"


def test_the_board_offers_the_merge_and_only_supervisors_post_it(
    app: Any, db_session: Any, network: Any, clock: Any
) -> None:
    kept = dispatch(db_session, network, make_case(db_session, network.community, phone="+8613800001111"))
    case = make_case(db_session, network.community, phone="+8613800001111")
    duplicate = dispatch(db_session, network, case, at=NOW + timedelta(minutes=5))
    worker = log_in(app.test_client(), network.worker)
    assert worker.post(f"/orders/{duplicate.id}/merge/{kept.id}").status_code in (400, 403)
    client = log_in(app.test_client(), network.supervisor)
    board = client.get("/orders/board").get_data(as_text=True)
    section = board.split('id="duplicates"')[1].split('id="late"')[0]
    assert duplicate.reference in section and f"合并到 {kept.reference}" in section and "同一来电人" in section
    token = csrf_token(client, "/orders/board")
    done = client.post(f"/orders/{duplicate.id}/merge/{kept.id}", data={"csrf_token": token})
    assert done.status_code == 302
    page = client.get("/orders/board").get_data(as_text=True)
    assert f"{duplicate.reference} 已并入 {kept.reference}" in page
    db_session.refresh(duplicate)
    assert duplicate.state == "closed" and duplicate.merged_into_id == kept.id
    again = client.post(f"/orders/{duplicate.id}/merge/{kept.id}", data={"csrf_token": token})
    assert again.status_code == 302 and "error" in client.get("/orders/board").get_data(as_text=True)
    missing = client.post(f"/orders/{duplicate.id}/merge/999999", data={"csrf_token": token})
    assert missing.status_code == 302


def test_the_order_page_warns_the_supervisor_and_the_dispatch_says_so(
    app: Any, db_session: Any, network: Any, clock: Any
) -> None:
    kept = dispatch(db_session, network, make_case(db_session, network.community, phone="+8613800001111"))
    case = make_case(db_session, network.community, phone="+8613800001111")
    client = log_in(app.test_client(), network.supervisor)
    token = csrf_token(client, f"/orders/dispatch?case={case.reference}")
    done = client.post(
        f"/orders/dispatch?case={case.reference}",
        data={
            "csrf_token": token,
            "unit": f"station:{network.station.id}",
            "urgency": "normal",
            "reason": "legal",
            "request": "再次来电",
        },
        follow_redirects=True,
    )
    page = done.get_data(as_text=True)
    assert "疑似重复" in page and f"合并到 {kept.reference}" in page and "同一来电人" in page
    duplicate = db_session.scalar(select(services.WorkOrder).where(services.WorkOrder.case_id == case.id))
    client.post(f"/orders/{duplicate.id}/merge/{kept.id}", data={"csrf_token": token})
    merged = client.get(f"/orders/{duplicate.id}").get_data(as_text=True)
    assert 'id="merged-into"' in merged and 'id="duplicate"' not in merged
