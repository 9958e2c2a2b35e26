"""Read-only look-ups of calls (for the API, the simulator, and other packages)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.telephony.models import Call


def call_by_sid(session: Session, call_sid: str) -> Call | None:
    """Return the call with this CallSid."""
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


def call_with_voicemail(session: Session, call_id: int | None) -> Call | None:
    """Return the call if it has a voicemail recording (for the pages that show its player)."""
    call = session.get(Call, call_id) if call_id else None
    return call if call is not None and call.recording_url else None


def list_calls(
    session: Session,
    *,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[Call]:
    """Return calls, newest first, filtered by status and arrival time."""
    query = select(Call).order_by(Call.created_at.desc(), Call.id.desc()).limit(limit)
    if status:
        query = query.where(Call.status == status)
    if start:
        query = query.where(Call.created_at >= start)
    if end:
        query = query.where(Call.created_at <= end)
    return list(session.scalars(query))
