"""Need-to-know: who handled a case, the live-call exception, break glass and the audited phone search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.cases import need_to_know
from hotline.cases.models import FollowUp, IntakeVersion
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call
from tests.cases.helpers import NOW, NUMBER, make_case
from tests.conftest import csrf_token, log_in


def test_each_way_of_handling_a_case_gives_need_to_know(db_session: Any, make_user: Any) -> None:
    by_call, by_intake, by_follow_up, stranger = (make_user("worker") for _ in range(4))
    case = make_case(db_session)
    db_session.add_all(
        [
            Call(call_sid="CA-ntk-1", worker_id=by_call.id, case_id=case.id, status="completed"),
            IntakeVersion(case_id=case.id, worker_id=by_intake.id),
            FollowUp(case_id=case.id, assignee_id=by_follow_up.id, due_at=NOW),
        ]
    )
    db_session.commit()
    for person in (by_call, by_intake, by_follow_up):
        assert need_to_know.case_access(db_session, case, person, NOW) is need_to_know.Access.HANDLER
    assert need_to_know.case_access(db_session, case, stranger, NOW) is need_to_know.Access.NONE
    for role, expected in (("supervisor", True), ("manager", False), ("admin", False)):
        assert need_to_know.may_read_case(db_session, case, make_user(role), NOW) is expected


def test_the_worker_on_a_live_call_with_the_caller_reads_their_cases(db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    case = make_case(db_session)
    call = Call(call_sid="CA-ntk-2", worker_id=worker.id, from_number=NUMBER, from_hash=phone_lookup_hash(NUMBER))
    call.answered_at = NOW
    db_session.add(call)
    db_session.commit()
    assert need_to_know.case_access(db_session, case, worker, NOW) is need_to_know.Access.LIVE_CALL
    assert need_to_know.may_search_phone(db_session, worker, [phone_lookup_hash(NUMBER)])
    call.ended_at = NOW + timedelta(minutes=3)
    db_session.commit()
    assert not need_to_know.may_read_case(db_session, case, worker, NOW)
    assert not need_to_know.may_search_phone(db_session, worker, [phone_lookup_hash(NUMBER)])


def test_break_glass_needs_a_reason_is_audited_and_lapses(db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    case = make_case(db_session)
    with pytest.raises(need_to_know.ReasonRequired):
        need_to_know.break_glass(db_session, case, worker, "  why ", NOW)
    need_to_know.break_glass(db_session, case, worker, "the caller rang back in crisis", NOW)
    assert (
        need_to_know.case_access(db_session, case, worker, NOW + timedelta(hours=1)) is need_to_know.Access.BREAK_GLASS
    )
    later = NOW + timedelta(hours=need_to_know.BREAK_GLASS_HOURS, minutes=1)
    assert not need_to_know.may_read_case(db_session, case, worker, later)
    [row] = need_to_know.break_glass_log(db_session, NOW - timedelta(days=1))
    assert row.user.id == worker.id and row.case.id == case.id and row.entry.detail["reason"].startswith("the caller")


def test_break_glass_over_http_opens_the_case_and_supervisors_see_it(
    client: Any, db_session: Any, make_user: Any
) -> None:
    worker, supervisor = make_user("worker"), make_user("supervisor")
    case = make_case(db_session, summary="邻居偷药")
    log_in(client, worker)
    refused = client.get(f"/cases/{case.id}")
    assert refused.status_code == 403 and "邻居偷药" not in refused.get_data(as_text=True)
    token = csrf_token(client, f"/cases/{case.id}")
    empty = client.post(f"/cases/{case.id}/break-glass", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 422
    opened = client.post(
        f"/cases/{case.id}/break-glass",
        data={"reason": "回电时需要了解背景", "next": f"/cases/{case.id}", "csrf_token": token},
    )
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/cases/{case.id}")
    assert "邻居偷药" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    elsewhere = client.post(
        f"/cases/{case.id}/break-glass",
        data={"reason": "回电时需要了解背景", "next": "//evil.example/x", "csrf_token": token},
    )
    assert elsewhere.headers["Location"].endswith(f"/cases/{case.id}")
    assert client.get("/cases/break-glass").status_code == 403
    log_in(client, supervisor)
    page = client.get("/cases/break-glass").get_data(as_text=True)
    assert "回电时需要了解背景" in page and worker.display_name in page and case.reference in page


def test_phone_search_is_for_supervisors_and_audited(client: Any, db_session: Any, make_user: Any) -> None:
    make_case(db_session, "HL-SEARCHED")
    log_in(client, make_user("worker"))
    refused = client.get("/cases?phone=13812345678")
    assert refused.status_code == 403 and "HL-SEARCHED" not in refused.get_data(as_text=True)
    log_in(client, make_user("supervisor"))
    assert "HL-SEARCHED" in client.get("/cases?phone=13812345678").get_data(as_text=True)
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "case.phone_search")).all()
    assert [(entry.detail["allowed"], entry.detail["matches"]) for entry in entries] == [(False, 0), (True, 1)]
    assert all("13812345678" not in str(entry.detail) for entry in entries)
