"""The callback queue: tasks from the line's signal, order, ownership, the audited number, attempts, figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import signals
from hotline.audit import AuditEntry
from hotline.callbacks import jobs, schedule, services
from hotline.callbacks.dialing import start_dial
from hotline.callbacks.exceptions import BadSchedule, NoAttempt, TaskTaken
from hotline.callbacks.models import CallbackTask
from hotline.escalation.models import Escalation
from hotline.escalation.policies import seed_default_policies
from hotline.telephony.models import TelephonyCommand
from tests.callbacks.conftest import NOW
from tests.support.factories import make_call, make_case


def test_every_kind_of_missed_call_opens_one_task_with_the_number(app: Flask, db_session: Any) -> None:
    calls = [make_call(db_session, status="completed") for _ in range(4)]
    for call, reason in zip(calls, ("missed", "abandoned", "voicemail", "callback-requested"), strict=True):
        signals.callback_needed.send(app, call_id=call.id, reason=reason)
        signals.callback_needed.send(app, call_id=call.id, reason=reason)  # delivered twice: still one task
    tasks = list(db_session.scalars(select(CallbackTask).order_by(CallbackTask.id)))
    assert [task.kind for task in tasks] == ["missed", "abandoned", "voicemail", "callback-requested"]
    assert all(task.phone == "+8613812345678" and task.status == "open" for task in tasks)


def test_a_withheld_number_without_voicemail_opens_nothing(app: Flask, db_session: Any) -> None:
    call = make_call(db_session, number=None)
    signals.callback_needed.send(app, call_id=call.id, reason="abandoned")
    assert db_session.scalar(select(CallbackTask)) is None


def test_the_queue_is_ordered_by_deadline_then_risk(db_session: Any) -> None:
    make_case(db_session, phone="+8613900000001", risk="high")
    calm = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000002")
    risky = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    same_time_low = services.open_task(
        db_session, kind="voicemail", now=NOW, phone="+8613900000003", due_at=risky.due_at
    )
    assert risky.risk == "high" and risky.due_at == NOW + timedelta(minutes=30)
    assert calm.due_at == NOW + timedelta(minutes=120)
    assert [task.id for task in services.open_tasks(db_session)] == [risky.id, same_time_low.id, calm.id]


def test_another_package_opens_a_return_call_once_per_source(db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    first = services.open_task(
        db_session, kind="return-call", now=NOW, phone="+8613900000009", source="workorder:7", created_by_id=worker.id
    )
    again = services.open_task(db_session, kind="return-call", now=NOW, phone="+8613900000009", source="workorder:7")
    assert again.id == first.id and first.kind == "return-call"
    with pytest.raises(ValueError):
        services.open_task(db_session, kind="lunch", now=NOW, phone="+8613900000009")


def test_the_expected_callback_time_is_the_open_tasks_deadline(db_session: Any) -> None:
    call = make_call(db_session)
    task = services.open_for_call(db_session, call.id, "voicemail", NOW)
    assert services.expected_callback_time(db_session, call.id) == task.due_at == NOW + timedelta(hours=2)


def test_only_the_owner_sees_the_number_and_each_view_is_audited(db_session: Any, make_user: Any) -> None:
    owner, colleague = make_user("worker"), make_user("worker")
    task = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    with pytest.raises(TaskTaken):
        services.show_number(db_session, task.id, owner, NOW)
    services.take(db_session, task.id, owner, NOW)
    with pytest.raises(TaskTaken):
        services.take(db_session, task.id, colleague, NOW)
    with pytest.raises(TaskTaken):
        services.show_number(db_session, task.id, colleague, NOW)
    assert services.show_number(db_session, task.id, owner, NOW) == "+8613900000001"
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "callback.number_view"))
    assert entry.actor_id == owner.id and entry.target == f"callback:{task.id}"


def test_a_dial_rings_the_workers_softphone_then_bridges_to_the_caller(
    app: Flask, db_session: Any, make_user: Any, provider: Any
) -> None:
    worker = make_user("worker")
    task = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    with app.test_request_context():
        attempt = start_dial(db_session, task.id, worker, NOW)
    command = db_session.scalar(select(TelephonyCommand).where(TelephonyCommand.kind == "place_call"))
    assert command.payload["to"] == f"client:worker_{worker.id}"
    assert command.payload["url"].endswith(f"/twilio/callbacks/attempts/{attempt.id}/bridge")
    assert task.owner_id == worker.id and task.attempts_made == 1


def test_failed_attempts_retry_on_the_schedule_and_the_last_closes_with_a_note(
    app: Flask, db_session: Any, make_user: Any, provider: Any
) -> None:
    worker = make_user("worker")
    schedule.save(db_session, deadline=60, high_risk_deadline=20, retries=[10], actor_id=worker.id)
    task = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    with pytest.raises(NoAttempt):
        services.record_outcome(db_session, task.id, worker, "busy", None, NOW)
    with app.test_request_context():
        start_dial(db_session, task.id, worker, NOW)
    services.record_outcome(db_session, task.id, worker, "busy", "占线", NOW)
    assert task.is_open and task.next_attempt_at == NOW + timedelta(minutes=10)
    later = NOW + timedelta(minutes=10)
    with app.test_request_context():
        start_dial(db_session, task.id, worker, later)
    services.record_outcome(db_session, task.id, worker, "no_answer", None, later)
    assert task.status == "closed" and task.outcome == "unreachable"
    assert task.closing_note == "1. busy: 占线\n2. no_answer"
    assert services.figures(db_session, NOW, NOW + timedelta(days=1)) == services.Figures(1, 0, 0)


def test_reached_closes_the_task_and_counts_within_the_deadline(
    app: Flask, db_session: Any, make_user: Any, provider: Any
) -> None:
    worker = make_user("worker")
    on_time = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    late = services.open_task(db_session, kind="voicemail", now=NOW, phone="+8613900000002")
    with app.test_request_context():
        start_dial(db_session, on_time.id, worker, NOW)
        start_dial(db_session, late.id, worker, NOW + timedelta(hours=3))
    services.record_outcome(db_session, on_time.id, worker, "reached", None, NOW + timedelta(minutes=5))
    services.record_outcome(db_session, late.id, worker, "reached", None, NOW + timedelta(hours=3))
    assert on_time.status == late.status == "closed"
    assert services.figures(db_session, NOW, NOW + timedelta(days=1)) == services.Figures(2, 2, 1)


def test_an_overdue_task_starts_an_escalation_chain_once(db_session: Any) -> None:
    seed_default_policies(db_session)
    db_session.commit()
    task = services.open_task(db_session, kind="missed", now=NOW, phone="+8613900000001")
    assert jobs.escalate_overdue(db_session, NOW + timedelta(minutes=119)) == []
    assert jobs.escalate_overdue(db_session, NOW + timedelta(minutes=121)) == [task.id]
    assert jobs.escalate_overdue(db_session, NOW + timedelta(minutes=150)) == []
    chain = db_session.get(Escalation, task.escalation_id)
    assert chain.trigger == "callback-overdue" and chain.reason == "callback" and chain.urgency == "urgent"


def test_a_schedule_out_of_range_is_refused_with_every_problem_named(db_session: Any, make_user: Any) -> None:
    manager = make_user("manager")
    with pytest.raises(BadSchedule) as refused:
        schedule.save(db_session, deadline=0, high_risk_deadline=30, retries=None, actor_id=manager.id)
    assert set(refused.value.errors) == {"deadline_minutes", "retry_minutes"}
    assert schedule.parse_minutes_list("15，60 240") == [15, 60, 240]
    assert schedule.load(db_session).max_attempts == 3
