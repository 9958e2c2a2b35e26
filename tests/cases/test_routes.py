"""Case pages over HTTP: list and search, the audited case page, actions and who may take them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.cases import followups
from hotline.cases.models import IntakeVersion
from tests.cases.helpers import NOW, make_case
from tests.conftest import csrf_token, log_in


def test_the_case_list_searches_by_number_and_masks_it(client: Any, login_as: Any, db_session: Any) -> None:
    login_as("supervisor")
    make_case(db_session, "HL-FOUND")
    make_case(db_session, "HL-OTHER", phone="+8613900000000")
    page = client.get("/cases?phone=13812345678").get_data(as_text=True)
    assert "HL-FOUND" in page and "HL-OTHER" not in page and "138****5678" in page and "13812345678\n" not in page
    assert 'href="/cases"' in page and 'href="/follow-ups"' in page


def test_the_case_page_shows_the_timeline_and_records_the_view(client: Any, make_user: Any, db_session: Any) -> None:
    handler = make_user("worker")
    worker = make_case(db_session, "HL-T-1")
    db_session.add(IntakeVersion(case_id=worker.id, worker_id=handler.id))  # wrote its intake: need-to-know
    db_session.commit()
    log_in(client, handler)
    page = client.get(f"/cases/{worker.id}").get_data(as_text=True)
    assert "HL-T-1" in page and "138****5678" in page and "+8613812345678" not in page
    assert "<dt>来电号码</dt>" in page and "证书编号" not in page  # "Number" has a context per meaning
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "case.view")).target == f"case:{worker.id}"
    assert client.get("/cases/999999").status_code == 404


def test_supervisors_see_the_full_number_and_may_merge(client: Any, login_as: Any, db_session: Any) -> None:
    keep = make_case(db_session, "HL-KEEP")
    make_case(db_session, "HL-DUP")
    login_as("supervisor")
    assert "+8613812345678" in client.get(f"/cases/{keep.id}").get_data(as_text=True)
    token = csrf_token(client, f"/cases/{keep.id}")
    response = client.post(f"/cases/{keep.id}/merge", data={"duplicate": "HL-DUP", "csrf_token": token})
    assert response.status_code == 302
    wrong = client.post(f"/cases/{keep.id}/merge", data={"duplicate": "HL-NONE", "csrf_token": token})
    assert wrong.status_code == 422 and 'value="HL-NONE"' in wrong.get_data(as_text=True)


def test_workers_may_not_merge_or_close_someone_elses_case(
    client: Any, login_as: Any, db_session: Any, make_user: Any
) -> None:
    other = make_user("worker")
    case = make_case(db_session, assigned_to_id=other.id)
    login_as("worker")
    token = csrf_token(client, f"/cases/{case.id}")
    assert client.post(f"/cases/{case.id}/merge", data={"duplicate": "x", "csrf_token": token}).status_code == 403
    assert (
        client.post(f"/cases/{case.id}/close", data={"confirmed_outcome": "solved", "csrf_token": token}).status_code
        == 403
    )


def test_closing_without_a_confirmed_outcome_says_why(client: Any, login_as: Any, db_session: Any) -> None:
    case = make_case(db_session)
    login_as("supervisor")
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/close", data={"confirmed_outcome": "", "csrf_token": token})
    assert response.status_code == 422 and "请先确认结果。" in response.get_data(as_text=True)
    done = client.post(f"/cases/{case.id}/close", data={"confirmed_outcome": "solved", "csrf_token": token})
    assert done.status_code == 302 and case.status == "closed"


def test_scheduling_and_listing_follow_ups_with_overdue_highlighted(
    client: Any, login_as: Any, db_session: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    case = make_case(db_session, assigned_to_id=worker.id)
    log_in(client, worker)
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(
        f"/cases/{case.id}/follow-ups",
        data={
            "kind": "callback",
            "due_at": "2026-03-02T10:00",
            "assignee_id": str(worker.id),
            "note": "回电",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    # 2 March 2026 has passed for the server's real clock, so the callback is overdue.
    page = client.get("/follow-ups").get_data(as_text=True)
    assert 'class="overdue"' in page and case.reference in page
    follow_up = followups.list_follow_ups(db_session, NOW, worker.id).due[0]
    assert follow_up.due_at == NOW  # 10:00 in Shanghai is 02:00 UTC
    done = client.post(f"/follow-ups/{follow_up.id}/done", data={"outcome": "reached", "csrf_token": token})
    assert done.status_code == 302 and follow_up.status == "done"


def test_a_return_call_is_recorded_from_the_case_page(client: Any, make_user: Any, db_session: Any) -> None:
    worker = make_user("worker")
    case = make_case(db_session, assigned_to_id=worker.id)
    log_in(client, worker)
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(
        f"/cases/{case.id}/return-calls",
        data={"reached": "y", "problem_solved": "yes", "satisfaction": "5", "csrf_token": token},
    )
    assert response.status_code == 302
    assert "5/5" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    bad = client.post(f"/cases/{case.id}/return-calls", data={"reached": "y", "satisfaction": "9", "csrf_token": token})
    assert bad.status_code == 422
