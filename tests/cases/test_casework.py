"""Search, merging duplicates, the closed loop, follow-ups due and overdue, return calls, satisfaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.cases import casework, followups
from hotline.cases.exceptions import CaseNotReady, MergeRefused, NoCallbackConsent
from hotline.cases.models import CaseEvent, CaseNote
from hotline.escalation.models import Referral
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call
from tests.cases.helpers import NOW, NUMBER, make_case


def test_search_by_caller_number_goes_through_the_keyed_hash(app: Any, db_session: Any) -> None:
    mine = make_case(db_session, "HL-A")
    make_case(db_session, "HL-B", phone="+8613900000000")
    by_call = make_case(db_session, "HL-C", phone=None)
    db_session.add(Call(call_sid="CA-s", from_number=NUMBER, from_hash=phone_lookup_hash(NUMBER), case_id=by_call.id))
    db_session.commit()
    found = casework.search_cases(db_session, casework.CaseFilter(phone="138 1234 5678"))
    assert {case.reference for case in found.cases} == {mine.reference, by_call.reference}
    assert casework.search_cases(db_session, casework.CaseFilter(phone="not a number")).total == 0


def test_search_by_service_status_and_dates(app: Any, db_session: Any) -> None:
    make_case(db_session, "HL-A", services=["crisis", "emotional"])
    make_case(db_session, "HL-B", services=["info"], status="closed", created_at=NOW - timedelta(days=10))
    assert [c.reference for c in casework.search_cases(db_session, casework.CaseFilter(service="crisis")).cases] == [
        "HL-A"
    ]
    assert [c.reference for c in casework.search_cases(db_session, casework.CaseFilter(status="closed")).cases] == [
        "HL-B"
    ]
    recent = casework.CaseFilter(date_from=(NOW - timedelta(days=1)).date())
    assert [c.reference for c in casework.search_cases(db_session, recent).cases] == ["HL-A"]


def test_merging_moves_calls_and_notes_and_closes_the_duplicate(app: Any, db_session: Any, make_user: Any) -> None:
    supervisor = make_user("supervisor")
    keep = make_case(db_session, "HL-KEEP", services=["info"])
    duplicate = make_case(db_session, "HL-DUP", services=["emotional"], target_groups=["migrants"])
    db_session.add_all([Call(call_sid="CA-d", case_id=duplicate.id), CaseNote(case_id=duplicate.id, body="x")])
    db_session.commit()
    casework.merge_cases(db_session, keep.id, duplicate.id, supervisor.id, NOW)
    assert db_session.scalar(select(Call).where(Call.call_sid == "CA-d")).case_id == keep.id
    assert keep.services == ["emotional", "info"] and keep.target_groups == ["migrants"]
    assert duplicate.status == "closed" and duplicate.merged_into_id == keep.id
    assert casework.search_cases(db_session, casework.CaseFilter()).total == 1
    kinds = [entry.kind for entry in casework.timeline(db_session, keep, NOW)]
    assert "call" in kinds and "note" in kinds
    with pytest.raises(MergeRefused):
        casework.merge_cases(db_session, keep.id, duplicate.id, supervisor.id, NOW)


def test_a_case_closes_only_after_its_outcome_is_confirmed_and_nothing_is_open(
    app: Any, db_session: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    case = make_case(db_session)
    referral = Referral(case_id=case.id, reason="needs", status="pending")
    db_session.add(referral)
    db_session.commit()
    follow_up = followups.schedule_follow_up(db_session, case.id, NOW + timedelta(days=1), worker.id, worker.id, NOW)
    with pytest.raises(CaseNotReady) as raised:
        casework.close_case(db_session, case.id, None, worker.id, NOW)
    assert raised.value.reasons == ["outcome_not_confirmed", "follow_ups_pending", "referrals_open"]
    followups.record_return_call(
        db_session,
        case.id,
        worker.id,
        NOW,
        reached=True,
        problem_solved="yes",
        satisfaction=4,
        follow_up_id=follow_up.id,
    )
    referral.outcome = "service-provided"
    db_session.commit()
    with pytest.raises(CaseNotReady) as raised:
        casework.close_case(db_session, case.id, None, worker.id, NOW)
    assert raised.value.reasons == ["outcome_not_confirmed"]
    casework.close_case(db_session, case.id, "solved", worker.id, NOW)
    assert case.status == "closed" and case.confirmed_outcome == "solved" and case.closed_at == NOW
    casework.reopen_case(db_session, case.id, worker.id, NOW, "called again")
    assert case.status == "reopened" and case.confirmed_outcome is None
    events = db_session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert events == ["closed", "reopened"]


def test_return_calls_need_consent_and_record_satisfaction(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    refused = make_case(db_session, "HL-N", consent_callback=False)
    with pytest.raises(NoCallbackConsent):
        followups.record_return_call(db_session, refused.id, worker.id, NOW, reached=True)
    with pytest.raises(NoCallbackConsent):
        followups.schedule_follow_up(db_session, refused.id, NOW, worker.id, worker.id, NOW)
    case = make_case(db_session, "HL-Y")
    entry = followups.record_return_call(
        db_session, case.id, worker.id, NOW, reached=True, problem_solved="partly", satisfaction=5
    )
    assert entry.satisfaction == 5 and entry.problem_solved == "partly"
    with pytest.raises(ValueError):
        followups.record_return_call(db_session, case.id, worker.id, NOW, reached=True, satisfaction=6)


def test_follow_ups_are_due_then_overdue(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    case = make_case(db_session)
    soon = followups.schedule_follow_up(db_session, case.id, NOW + timedelta(hours=1), worker.id, worker.id, NOW)
    lists = followups.list_follow_ups(db_session, NOW, worker.id)
    assert lists.upcoming == [soon] and not lists.due and not lists.overdue
    lists = followups.list_follow_ups(db_session, NOW + timedelta(hours=1, minutes=5), worker.id)
    assert lists.due == [soon]
    lists = followups.list_follow_ups(db_session, NOW + timedelta(hours=1, minutes=30), worker.id)
    assert lists.overdue == [soon]
    followups.complete_follow_up(db_session, soon.id, "no-answer", worker.id, NOW + timedelta(hours=2))
    lists = followups.list_follow_ups(db_session, NOW + timedelta(hours=2), worker.id)
    assert lists.recent_done == [soon] and not lists.overdue


def test_due_follow_ups_are_claimed_once(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    case = make_case(db_session)
    due = followups.schedule_follow_up(db_session, case.id, NOW, worker.id, worker.id, NOW)
    followups.schedule_follow_up(db_session, case.id, NOW + timedelta(hours=3), worker.id, worker.id, NOW)
    claimed = followups.claim_due_follow_ups(db_session, NOW + timedelta(minutes=1))
    assert [(assignee, payload["id"], payload["case_reference"]) for assignee, payload in claimed] == [
        (worker.id, due.id, case.reference)
    ]
    assert "13812345678" not in repr(claimed)
    assert followups.claim_due_follow_ups(db_session, NOW + timedelta(minutes=2)) == []


def test_the_tick_pushes_a_due_follow_up_to_the_assignees_console(app: Any, db_session: Any, make_user: Any) -> None:
    if app.config.get("REDIS_URL") and not app.config.get("SOCKETIO_NO_QUEUE"):
        pytest.skip("the Socket.IO test client refuses to run with a message queue")
    import time_machine

    from hotline.cases.jobs import announce_due_follow_ups
    from hotline.extensions import socketio

    worker = make_user("worker")
    case = make_case(db_session)
    followups.schedule_follow_up(db_session, case.id, NOW, worker.id, worker.id, NOW)
    from tests.conftest import log_in

    # The console refuses anonymous Socket.IO connections: connect as the assignee.
    listener = socketio.test_client(app, flask_test_client=log_in(app.test_client(), worker))
    sid = socketio.server.manager.sid_from_eio_sid(listener.eio_sid, "/")
    socketio.server.enter_room(sid, f"user:{worker.id}", namespace="/")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert announce_due_follow_ups() == 1
    received = [message for message in listener.get_received() if message["name"] == "followup.due"]
    assert received and received[0]["args"][0]["case_id"] == case.id
    listener.disconnect()


def test_viewing_a_case_is_audited(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    case = make_case(db_session)
    casework.view_case(db_session, case.id, worker.id, NOW, "10.0.0.7")
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "case.view"))
    assert (entry.actor_id, entry.target, entry.address) == (worker.id, f"case:{case.id}", "10.0.0.7")
