"""The callback pages over HTTP: the queue, taking a task, the audited number, the dial's webhooks, the schedule."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.callbacks import services
from hotline.callbacks.models import CallbackAttempt
from tests.callbacks.conftest import NOW
from tests.conftest import csrf_token, log_in
from tests.support.factories import make_call
from tests.support.signing import signed_post


def test_a_worker_takes_a_callback_sees_the_number_dials_and_closes_it(
    app: Flask, client: Any, db_session: Any, make_user: Any, provider: Any, clock: Any
) -> None:
    worker = make_user("worker")
    call = make_call(db_session, status="completed", service="emotional")
    task = services.open_for_call(db_session, call.id, "abandoned", NOW)
    log_in(client, worker)
    queue = client.get("/callbacks").get_data(as_text=True)
    assert "138****5678" in queue and "+8613812345678" not in queue
    token = csrf_token(client, f"/callbacks/{task.id}")
    assert client.post(f"/callbacks/{task.id}/take", headers={"X-CSRFToken": token}).status_code == 302
    shown = client.post(f"/callbacks/{task.id}/number", headers={"X-CSRFToken": token}).get_data(as_text=True)
    assert "+8613812345678" in shown
    assert client.post(f"/callbacks/{task.id}/dial", headers={"X-CSRFToken": token}).status_code == 302
    attempt = db_session.scalar(select(CallbackAttempt))

    bridge = signed_post(app, client, f"/twilio/callbacks/attempts/{attempt.id}/bridge", {"CallSid": "CA" + "7" * 32})
    twiml = bridge.get_data(as_text=True)
    assert 'callerId="+862288880000"' in twiml and "<Number>+8613812345678</Number>" in twiml
    assert f"/twilio/callbacks/attempts/{attempt.id}/result" in twiml
    signed_post(app, client, f"/twilio/callbacks/attempts/{attempt.id}/result", {"DialCallStatus": "completed"})
    page = client.get(f"/callbacks/{task.id}").get_data(as_text=True)
    assert re.search(r"<input[^>]*checked[^>]*value=\"reached\"|<input[^>]*value=\"reached\"[^>]*checked", page), page

    refused = client.post(f"/callbacks/{task.id}/outcome", data={"note": "x"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 400
    done = client.post(
        f"/callbacks/{task.id}/outcome", data={"outcome": "reached", "note": "已回电"}, headers={"X-CSRFToken": token}
    )
    assert done.status_code == 302
    db_session.refresh(task)
    assert task.status == "closed" and task.outcome == "reached" and attempt.call_sid == "CA" + "7" * 32


def test_an_unsigned_dial_webhook_is_refused(app: Flask, client: Any) -> None:
    assert client.post("/twilio/callbacks/attempts/1/bridge", data={"CallSid": "CA1"}).status_code == 403


def test_a_colleague_cannot_see_the_number_of_a_task_someone_owns(
    client: Any, db_session: Any, make_user: Any, clock: Any
) -> None:
    owner, colleague = make_user("worker"), make_user("worker")
    task = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    services.take(db_session, task.id, owner, NOW)
    log_in(client, colleague)
    token = csrf_token(client, f"/callbacks/{task.id}")
    assert client.post(f"/callbacks/{task.id}/number", headers={"X-CSRFToken": token}).status_code == 403


def test_only_managers_set_the_schedule_and_bad_values_are_explained(client: Any, make_user: Any, clock: Any) -> None:
    log_in(client, make_user("worker"))
    assert client.get("/callbacks/schedule").status_code == 403
    log_in(client, make_user("manager"))
    token = csrf_token(client, "/callbacks/schedule")
    data = {"deadline_minutes": "60", "high_risk_deadline_minutes": "15", "retry_minutes": "10, abc"}
    refused = client.post("/callbacks/schedule", data=data, headers={"X-CSRFToken": token})
    assert refused.status_code == 400 and 'value="10, abc"' in refused.get_data(as_text=True)
    data["retry_minutes"] = "10，30"
    assert client.post("/callbacks/schedule", data=data, headers={"X-CSRFToken": token}).status_code == 302
    assert 'value="10, 30"' in client.get("/callbacks/schedule").get_data(as_text=True)
