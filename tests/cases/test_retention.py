"""Retention: a dry run lists what would go and changes nothing; a real run anonymises and is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.cases.models import IntakeDraft
from hotline.cases.retention import run_retention, save_periods
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call
from tests.cases.helpers import NOW, NUMBER, make_case


def seed(db_session: Any, make_user: Any) -> dict[str, Any]:
    worker = make_user("worker")
    old_closed = make_case(
        db_session, "HL-OLD", status="closed", closed_at=NOW - timedelta(days=400), caller_name="张三"
    )
    recent_closed = make_case(db_session, "HL-RECENT", status="closed", closed_at=NOW - timedelta(days=45))
    old_open = make_case(db_session, "HL-OPEN", created_at=NOW - timedelta(days=500))
    old_call = Call(
        call_sid="CA-old", from_number=NUMBER, from_hash=phone_lookup_hash(NUMBER), created_at=NOW - timedelta(days=400)
    )
    open_call = Call(
        call_sid="CA-open",
        from_number=NUMBER,
        from_hash=phone_lookup_hash(NUMBER),
        created_at=NOW - timedelta(days=500),
        case_id=old_open.id,
    )
    draft = IntakeDraft(worker_id=worker.id, call_id=None, data="{}", updated_at=NOW - timedelta(days=8))
    db_session.add_all([old_call, open_call, draft])
    db_session.commit()
    return {
        "old_closed": old_closed,
        "recent": recent_closed,
        "old_open": old_open,
        "old_call": old_call,
        "open_call": open_call,
    }


def test_a_dry_run_lists_what_would_go_and_changes_nothing(app: Any, db_session: Any, make_user: Any) -> None:
    rows = seed(db_session, make_user)
    report = run_retention(db_session, NOW, dry_run=True)
    assert [item.id for item in report.found["case_callers"]] == [rows["old_closed"].id]
    assert [item.id for item in report.found["call_numbers"]] == [rows["old_call"].id]
    assert len(report.found["intake_drafts"]) == 1 and report.total == 3
    db_session.expire_all()
    assert db_session.get(type(rows["old_closed"]), rows["old_closed"].id).caller_phone == NUMBER
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run")) is None


def test_a_real_run_anonymises_and_is_audited(app: Any, db_session: Any, make_user: Any) -> None:
    rows = seed(db_session, make_user)
    run_retention(db_session, NOW, dry_run=False)
    db_session.expire_all()
    old = rows["old_closed"]
    assert (old.caller_phone, old.caller_phone_hash, old.caller_name) == (
        None,
        None,
        None,
    ) and old.caller_anonymised_at == NOW
    assert rows["recent"].caller_phone == NUMBER and rows["old_open"].caller_phone == NUMBER
    assert rows["old_call"].from_number is None and rows["open_call"].from_number == NUMBER
    assert db_session.scalar(select(IntakeDraft.id)) is None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert entry.detail == {"recordings": 0, "case_callers": 1, "call_numbers": 1, "intake_drafts": 1}
    assert run_retention(db_session, NOW, dry_run=True).total == 0


def test_periods_are_configurable_and_changes_audited(app: Any, db_session: Any, make_user: Any) -> None:
    rows = seed(db_session, make_user)
    manager = make_user("manager")
    save_periods(db_session, {"case_caller_months": 1}, manager.id, NOW)
    report = run_retention(db_session, NOW, dry_run=True)
    assert {item.id for item in report.found["case_callers"]} == {rows["old_closed"].id, rows["recent"].id}
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.change"))
    assert entry.detail == {"case_caller_months": [12, 1]}


def test_the_cli_dry_run_prints_and_keeps_everything(app: Any, db_session: Any, make_user: Any) -> None:
    import time_machine

    rows = seed(db_session, make_user)
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "DRY RUN" in result.output and f"case:{rows['old_closed'].id}" in result.output
    db_session.expire_all()
    assert rows["old_closed"].caller_phone == NUMBER
