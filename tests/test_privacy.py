"""Caller numbers are encrypted at rest, found by keyed hash, masked for display, and re-keyable."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select, text

from hotline.cases.models import Case
from hotline.commands import personal_columns
from hotline.privacy import (
    FieldCipher,
    mask_phone,
    normalise_phone,
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
        rotate_personal_fields(db_session, personal_columns())
        app.extensions["hotline_cipher"] = FieldCipher(new_key)
        db_session.expire_all()
        call = db_session.scalar(select(Call).where(Call.call_sid == "CA-rotate"))
        assert call.from_number == NUMBER
        assert call.from_hash == phone_lookup_hash(NUMBER)
    finally:
        app.extensions["hotline_cipher"] = FieldCipher(old_key)
