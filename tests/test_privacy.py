"""Caller numbers are encrypted at rest, found by keyed hash, masked for display, and re-keyable."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select, text

from hotline.audit import AuditEntry
from hotline.cases.models import Case, CaseNote, IntakeVersion
from hotline.privacy import (
    FieldCipher,
    mask_phone,
    normalise_phone,
    personal_columns,
    phone_lookup_hash,
    phone_lookup_hashes,
    rotate_personal_fields,
)
from hotline.telephony.models import Call

NUMBER = "+8613812345678"


def test_the_raw_table_holds_no_plaintext_number(db_session: Any) -> None:
    db_session.add(Call(call_sid="CA-privacy-1", from_number=NUMBER, from_hash=phone_lookup_hash(NUMBER)))
    db_session.add(
        Case(reference="HL-T-1", caller_phone=NUMBER, caller_name="张三", caller_phone_hash=phone_lookup_hash(NUMBER))
    )
    db_session.commit()
    raw_calls = db_session.execute(text("SELECT * FROM calls WHERE call_sid = 'CA-privacy-1'")).one()
    raw_cases = db_session.execute(text("SELECT * FROM cases WHERE reference = 'HL-T-1'")).one()
    dumped = repr(tuple(raw_calls)) + repr(tuple(raw_cases))
    for fragment in ("13812345678", "12345678", "张三"):
        assert fragment not in dumped
    assert db_session.scalar(select(Call).where(Call.call_sid == "CA-privacy-1")).from_number == NUMBER


def test_repeat_callers_are_found_by_keyed_hash(db_session: Any) -> None:
    db_session.add(Call(call_sid="CA-privacy-2", from_number=NUMBER, from_hash=phone_lookup_hash(NUMBER)))
    db_session.commit()
    found = db_session.scalars(select(Call).where(Call.from_hash.in_(phone_lookup_hashes(NUMBER)))).all()
    assert [call.call_sid for call in found] == ["CA-privacy-2"]


def test_numbers_are_normalised_and_masked() -> None:
    assert normalise_phone("138 1234 5678") == NUMBER
    assert normalise_phone("022-2924-1000") == "+862229241000"
    assert normalise_phone("anonymous") is None
    assert normalise_phone("client:worker_7") is None
    assert normalise_phone("not a number") is None
    assert mask_phone(NUMBER) == "138****5678"
    assert mask_phone("+12025550123") == "202****0123" and mask_phone("+852 2123 4567") == "212****4567"
    assert mask_phone("+85221234567") == "212****4567" and mask_phone("+35312345678") == "123****5678"
    assert mask_phone("1234567") == "***4567" and mask_phone("+999") == "***"
    assert mask_phone(None) == "—"


def test_hashes_differ_per_key_and_are_not_plain_sha256() -> None:
    import hashlib

    first, second = FieldCipher(Fernet.generate_key().decode()), FieldCipher(Fernet.generate_key().decode())
    assert first.lookup_hash(NUMBER) != second.lookup_hash(NUMBER)
    assert first.lookup_hash(NUMBER) != hashlib.sha256(NUMBER.encode()).hexdigest()


def test_key_rotation_re_encrypts_and_rehashes(app: Flask, db_session: Any) -> None:
    db_session.add(Call(call_sid="CA-rotate", from_number=NUMBER, from_hash=phone_lookup_hash(NUMBER)))
    db_session.commit()
    old_key = app.config["FIELD_ENCRYPTION_KEY"]
    new_key = Fernet.generate_key().decode()
    try:
        app.extensions["hotline_cipher"] = FieldCipher(f"{new_key},{old_key}")
        # During the rotation both hashes match.
        assert (
            db_session.scalar(select(Call.call_sid).where(Call.from_hash.in_(phone_lookup_hashes(NUMBER))))
            == "CA-rotate"
        )
        rotate_personal_fields(db_session)
        app.extensions["hotline_cipher"] = FieldCipher(new_key)
        db_session.expire_all()
        call = db_session.scalar(select(Call).where(Call.call_sid == "CA-rotate"))
        assert call.from_number == NUMBER
        assert call.from_hash == phone_lookup_hash(NUMBER)
    finally:
        app.extensions["hotline_cipher"] = FieldCipher(old_key)


def test_rotation_finds_every_encrypted_column_from_the_mappers() -> None:
    found = {entry.model.__tablename__: entry for entry in personal_columns()}
    expected = {
        "calls": {"from_number"},
        "cases": {"caller_name", "caller_phone", "summary", "actions_taken"},
        "case_notes": {"body"},
        "intake_versions": {"data"},
        "follow_ups": {"note", "outcome_note"},
        "return_calls": {"note"},
        "escalations": {"note", "override_reason"},
        "referrals": {"target_phone", "note", "outcome_note"},
        "notification_attempts": {"destination", "body"},
        "sms_replies": {"reply"},
        "responder_reply_codes": {"phone"},
        "users": {"phone"},
        "certifications": {"number"},
        "stations": {"phone", "duty_contact_name", "duty_contact_phone"},
        "expert_volunteers": {"phone", "email", "notes"},
        "organisations": {"contact_name"},
        "audit_log": {"detail"},
        "worker_profiles": {"notes"},
        "rota_notices": {"sms_to"},
        "leave_requests": {"reason", "decision_note"},
        "swap_requests": {"reason", "decision_note"},
        "knowledge_uses": {"query"},
        "knowledge_gaps": {"question"},
    }
    for table, fields in expected.items():
        assert fields <= set(found[table].fields), table
    assert found["calls"].hashed == {"from_number": "from_hash"}
    assert found["cases"].hashed == {"caller_phone": "caller_phone_hash"}
    assert found["worker_profiles"].key == "user_id"
    assert found["knowledge_gaps"].hashed == {"question": "question_hash"}


def test_rotation_re_encrypts_notes_json_and_audit_details(app: Flask, db_session: Any) -> None:
    case = Case(reference="HL-T-ROT", summary="独居老人")
    db_session.add(case)
    db_session.flush()
    db_session.add_all(
        [
            CaseNote(case_id=case.id, body="邻居说他摔倒了"),
            IntakeVersion(case_id=case.id, data={"summary": "独居老人", "risk": "low"}),
            AuditEntry(action="case.break_glass", detail={"reason": "母亲来电"}),
        ]
    )
    db_session.commit()
    old_key, new_key = app.config["FIELD_ENCRYPTION_KEY"], Fernet.generate_key().decode()
    try:
        app.extensions["hotline_cipher"] = FieldCipher(f"{new_key},{old_key}")
        counts = rotate_personal_fields(db_session)
        assert counts["case_notes"] >= 1 and counts["audit_log"] >= 1
        app.extensions["hotline_cipher"] = FieldCipher(new_key)  # the old key is gone
        db_session.expire_all()
        assert db_session.scalar(select(CaseNote.body).where(CaseNote.case_id == case.id)) == "邻居说他摔倒了"
        data = db_session.scalar(select(IntakeVersion.data).where(IntakeVersion.case_id == case.id))
        assert data == {"summary": "独居老人", "risk": "low"}
        assert db_session.scalar(select(Case.summary).where(Case.id == case.id)) == "独居老人"
        reasons = db_session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "case.break_glass")).all()
        assert {"reason": "母亲来电"} in reasons
    finally:
        app.extensions["hotline_cipher"] = FieldCipher(old_key)


def test_unanswered_questions_are_encrypted_counted_by_hash_and_survive_a_rotation(
    app: Flask, db_session: Any, make_user: Any
) -> None:
    from datetime import UTC, date, datetime

    from hotline.knowledge import reports, services
    from hotline.knowledge.models import UnansweredQuestion
    from hotline.knowledge.services import close_gaps
    from tests.knowledge.conftest import publish_one

    worker = make_user("worker")
    when = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    for _ in range(2):
        services.record_gap(db_session, "房子被收走怎么办", worker.id, None, None, None, when)
    services.record_gap(db_session, "低保怎么申请", worker.id, None, None, None, when)
    raw = db_session.execute(text("SELECT question, question_hash FROM knowledge_gaps")).all()
    assert all("房子" not in row[0] and "低保" not in row[0] and len(row[1]) == 64 for row in raw)
    old_key, new_key = app.config["FIELD_ENCRYPTION_KEY"], Fernet.generate_key().decode()
    try:
        app.extensions["hotline_cipher"] = FieldCipher(f"{new_key},{old_key}")
        services.record_gap(db_session, "低保怎么申请", worker.id, None, None, None, when)  # under the new key
        rotate_personal_fields(db_session)
        app.extensions["hotline_cipher"] = FieldCipher(new_key)  # the old key is gone
        db_session.expire_all()
        report = reports.report(db_session, date(2026, 3, 1), date(2026, 3, 3), date(2026, 3, 3), 12)
        assert [(question, count) for question, count, _last in report.gaps] == [
            ("低保怎么申请", 2),
            ("房子被收走怎么办", 2),
        ]
        close_gaps(db_session, publish_one(db_session, "房子被收走怎么办", "找街道。"))
        db_session.commit()
        open_gaps = db_session.scalars(
            select(UnansweredQuestion.question).where(UnansweredQuestion.answered_by_id.is_(None))
        )
        assert sorted(open_gaps) == ["低保怎么申请", "低保怎么申请"]
    finally:
        app.extensions["hotline_cipher"] = FieldCipher(old_key)
