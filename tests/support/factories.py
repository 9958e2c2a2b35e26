"""Builders of calls and cases, shared by every package's tests (each commits what it adds)."""

from __future__ import annotations

from itertools import count
from typing import Any

from hotline.cases.models import Case
from hotline.privacy import phone_lookup_hash
from hotline.telephony.models import Call

NUMBER = "+8613812345678"
_serial = count(1)


def make_call(session: Any, sid: str | None = None, number: str | None = NUMBER, **fields: Any) -> Call:
    """Add a call from `number` (encrypted, with its look-up hash); the CallSid is made up unless given."""
    call = Call(
        call_sid=sid or f"CA{next(_serial):032d}",
        from_number=number,
        from_hash=phone_lookup_hash(number) if number else None,
        **fields,
    )
    session.add(call)
    session.commit()
    return call


def make_case(session: Any, reference: str | None = None, phone: str | None = NUMBER, **fields: Any) -> Case:
    """Add an open case from `phone` (encrypted, with its look-up hash); the reference is made up unless given.

    Defaults: one service (information), a short summary, callback consent; `fields` override them.
    """
    values: dict[str, Any] = {"status": "open", "services": ["info"], "consent_callback": True, "summary": "咨询"}
    values.update(fields)
    case = Case(
        reference=reference or f"T-{next(_serial):06d}",
        caller_phone=phone,
        caller_phone_hash=phone_lookup_hash(phone) if phone else None,
        **values,
    )
    session.add(case)
    session.commit()
    return case
