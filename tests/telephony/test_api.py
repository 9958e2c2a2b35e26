"""The calls API: one call with its timeline, lists by status and time, numbers masked below supervisor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call, CallEvent
from tests.conftest import log_in

NUMBER = "+8613812345678"
NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


def add_call(
    db_session: Any, sid: str, created_at: datetime, status: str = "completed", worker_id: int | None = None
) -> Call:
    call = Call(
        worker_id=worker_id,
        call_sid=sid,
        from_number=NUMBER,
        from_hash=phone_lookup_hash(NUMBER),
        status=status,
        outcome="answered" if status == "completed" else None,
        service="info",
        created_at=created_at,
        queued_at=created_at + timedelta(seconds=20),
        answered_at=created_at + timedelta(seconds=50) if status == "completed" else None,
        ended_at=created_at + timedelta(seconds=300) if status == "completed" else None,
    )
    call.events.append(CallEvent(kind="created", at=created_at, data={}))
    call.events.append(CallEvent(kind="connecting", at=created_at, data={"number": "+8613900000001"}))
    db_session.add(call)
    db_session.commit()
    return call


def test_a_worker_reads_a_call_with_its_timeline_and_a_masked_number(
    client: Any, make_user: Any, db_session: Any
) -> None:
    worker = make_user("worker")
    add_call(db_session, "CA-api1", NOON, worker_id=worker.id)
    log_in(client, worker)
    body = client.get("/api/v1/calls/CA-api1").get_json()
    assert body["call_sid"] == "CA-api1" and body["status"] == "completed" and body["outcome"] == "answered"
    assert body["wait_seconds"] == 30 and body["service"] == "info" and body["priority"] == 0
    assert [event["kind"] for event in body["events"]] == ["created", "connecting"]
    assert body["caller"] == "138****5678" and "caller_number" not in body
    assert "13812345678" not in str(body) and "13900000001" not in str(body)


def test_a_supervisor_sees_the_full_number(client: Any, make_user: Any, db_session: Any) -> None:
    add_call(db_session, "CA-api2", NOON)
    log_in(client, make_user("supervisor"))
    assert client.get("/api/v1/calls/CA-api2").get_json()["caller_number"] == NUMBER


def test_calls_are_listed_by_status_and_time(client: Any, make_user: Any, db_session: Any) -> None:
    worker = make_user("worker")
    add_call(db_session, "CA-api3", NOON, worker_id=worker.id)
    add_call(db_session, "CA-api4", NOON + timedelta(days=1), status="queued", worker_id=worker.id)
    add_call(db_session, "CA-api5", NOON, worker_id=make_user("worker").id)
    log_in(client, worker)
    assert [c["call_sid"] for c in client.get("/api/v1/calls").get_json()["calls"]] == ["CA-api4", "CA-api3"]
    assert [c["call_sid"] for c in client.get("/api/v1/calls?status=queued").get_json()["calls"]] == ["CA-api4"]
    day = client.get("/api/v1/calls?from=2025-03-10&to=2025-03-10").get_json()["calls"]
    assert [c["call_sid"] for c in day] == ["CA-api3"]
    since = client.get("/api/v1/calls?from=2025-03-11T00:00:00%2B08:00").get_json()["calls"]
    assert [c["call_sid"] for c in since] == ["CA-api4"]


def test_unknown_call_and_bad_parameters_answer_the_error_shape(client: Any, make_user: Any) -> None:
    log_in(client, make_user("worker"))
    missing = client.get("/api/v1/calls/CA-none")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    bad = client.get("/api/v1/calls?from=yesterday")
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"from"}


def test_a_worker_reads_only_the_calls_they_answered_and_a_manager_none(
    client: Any, make_user: Any, db_session: Any
) -> None:
    add_call(db_session, "CA-api6", NOON, worker_id=make_user("worker").id)
    log_in(client, make_user("worker"))
    refused = client.get("/api/v1/calls/CA-api6")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "need_to_know"
    assert client.get("/api/v1/calls").get_json()["calls"] == []
    log_in(client, make_user("manager"))
    assert client.get("/api/v1/calls").status_code == 403
    assert client.get("/api/v1/calls/CA-api6").status_code == 403
