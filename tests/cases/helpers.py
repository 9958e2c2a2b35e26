"""Small builders for case tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hotline.cases.models import Case
from hotline.privacy import phone_lookup_hash

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NUMBER = "+8613812345678"


def make_case(session: Any, reference: str = "HL-T-1", phone: str | None = NUMBER, **fields: Any) -> Case:
    """Add a case with a caller number and its look-up hash."""
    values = {"status": "open", "services": ["info"], "consent_callback": True, "created_at": NOW, "summary": "咨询"}
    values.update(fields)
    case = Case(reference=reference, caller_phone=phone, caller_phone_hash=phone_lookup_hash(phone), **values)
    session.add(case)
    session.commit()
    return case
