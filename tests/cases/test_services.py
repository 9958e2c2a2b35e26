"""Intake: validation, saving (case, version, call link, signal), drafts and the caller's history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from hotline.cases.exceptions import IntakeInvalid
from hotline.cases.models import Case, IntakeVersion
from hotline.cases.services import (
    IntakeData,
    caller_history,
    load_intake_draft,
    save_intake,
    save_intake_draft,
    validate_intake,
)
from hotline.privacy import phone_lookup_hash
from hotline.signals import intake_saved
from hotline.telephony.models import Call
from tests.cases.helpers import NOW, NUMBER, make_call


def content(**overrides: Any) -> IntakeData:
    values = {
        "services": ["emotional"],
        "target_groups": ["elderly_alone"],
        "summary": "独居老人，情绪低落",
        "outcome": "resolved",
        "consent_callback": True,
    }
    values.update(overrides)
    return IntakeData(**values)


def test_a_content_call_needs_services_summary_and_outcome(app: Any) -> None:
    with app.test_request_context():
        errors = validate_intake(IntakeData())
    assert set(errors) == {"services", "summary", "outcome"}


def test_errors_are_translated_into_chinese(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        errors = validate_intake(IntakeData(call_type="content", caller_phone="not a phone"))
    assert errors["caller_phone"].startswith("这不是有效的电话号码")


def test_calls_without_content_need_no_form(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert validate_intake(IntakeData(call_type="silent")) == {}
        assert validate_intake(IntakeData(call_type="nonsense")) == {"call_type": "Choose what kind of call it was."}


def test_imminent_risk_needs_actions_and_escalation(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        errors = validate_intake(content(risk="imminent", outcome="resolved"))
    assert set(errors) == {"actions_taken", "outcome"}


def test_save_intake_opens_a_case_links_the_call_and_signals_after_commit(
    app: Any, db_session: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    call = make_call(db_session)
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        # The data announced is committed: a fresh query in the same session finds the link.
        received.append({**kwargs, "linked": db_session.get(Call, kwargs["call_id"]).case_id})

    with app.test_request_context(), intake_saved.connected_to(receiver):
        case = save_intake(
            db_session, data=content(caller_name="王阿姨"), worker_id=worker.id, call_id=call.id, now=NOW
        )
    assert case.reference == f"HL-20260302-{case.id:05d}"
    assert case.caller_phone == NUMBER and case.caller_phone_hash == phone_lookup_hash(NUMBER)
    assert db_session.get(Call, call.id).case_id == case.id
    assert received == [
        {
            "case_id": case.id,
            "call_id": call.id,
            "risk": "none",
            "outcome": "resolved",
            "worker_id": worker.id,
            "linked": case.id,
        }
    ]
    version = db_session.scalar(select(IntakeVersion).where(IntakeVersion.case_id == case.id))
    assert version.number == 1 and version.current and "caller_name" not in version.data
    raw = repr(tuple(db_session.execute(text("SELECT * FROM intake_versions")).all()))
    assert "王阿姨" not in raw and "13812345678" not in raw


def test_saving_again_appends_a_version_and_keeps_one_current_per_call(
    app: Any, db_session: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    call = make_call(db_session)
    with app.test_request_context():
        first = save_intake(db_session, data=content(), worker_id=worker.id, call_id=call.id, now=NOW)
        second = save_intake(
            db_session, data=content(outcome="referred"), worker_id=worker.id, call_id=call.id, now=NOW
        )
    assert first.id == second.id and second.outcome == "referred"
    versions = db_session.scalars(
        select(IntakeVersion).where(IntakeVersion.call_id == call.id).order_by(IntakeVersion.id)
    ).all()
    assert [(v.number, v.current, v.outcome) for v in versions] == [(1, False, "resolved"), (2, True, "referred")]


def test_a_silent_call_records_its_type_and_opens_no_case(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    call = make_call(db_session)
    with app.test_request_context():
        assert (
            save_intake(db_session, data=IntakeData(call_type="silent"), worker_id=worker.id, call_id=call.id, now=NOW)
            is None
        )
    assert db_session.scalar(select(Case.id)) is None
    version = db_session.scalar(select(IntakeVersion).where(IntakeVersion.call_id == call.id))
    assert version.call_type == "silent" and version.case_id is None


def test_an_invalid_intake_raises_with_its_field_errors(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    with app.test_request_context(), pytest.raises(IntakeInvalid) as raised:
        save_intake(db_session, data=content(area_id=999999), worker_id=worker.id, now=NOW)
    assert set(raised.value.errors) == {"area_id"}


def test_drafts_survive_and_are_encrypted_and_dropped_on_save(app: Any, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    call = make_call(db_session)
    save_intake_draft(db_session, worker.id, call.id, {"caller_name": "李四", "summary": "半句"}, NOW)
    save_intake_draft(db_session, worker.id, call.id, {"caller_name": "李四", "summary": "一整句"}, NOW)
    assert load_intake_draft(db_session, worker.id, call.id) == {"caller_name": "李四", "summary": "一整句"}
    assert "李四" not in repr(db_session.execute(text("SELECT data FROM intake_drafts")).all())
    with app.test_request_context():
        save_intake(db_session, data=content(), worker_id=worker.id, call_id=call.id, now=NOW)
    assert load_intake_draft(db_session, worker.id, call.id) is None


def test_caller_history_finds_earlier_calls_and_cases_by_keyed_hash_masked(
    app: Any, db_session: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    earlier = make_call(db_session, "CA-earlier")
    make_call(db_session, "CA-other", number="+8613900000000")
    current = make_call(db_session, "CA-now")
    with app.test_request_context():
        case = save_intake(
            db_session, data=content(), worker_id=worker.id, call_id=earlier.id, now=NOW - timedelta(days=3)
        )
    history = caller_history(db_session, NUMBER, exclude_call_id=current.id)
    assert [c.id for c in history.calls] == [earlier.id]
    assert [c.reference for c in history.cases] == [case.reference]
    assert history.calls[0].caller == "138****5678" and history.is_repeat_caller
    assert not caller_history(db_session, None).is_repeat_caller
