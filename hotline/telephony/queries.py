"""Read-only look-ups of calls (for the API, the simulator, and other packages)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from hotline import signals
from hotline.telephony.models import Call


def call_by_sid(session: Session, call_sid: str) -> Call | None:
    """Return the call with this CallSid."""
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


def call_with_voicemail(session: Session, call_id: int | None) -> Call | None:
    """Return the call if it has a voicemail recording (for the pages that show its player)."""
    call = session.get(Call, call_id) if call_id else None
    return call if call is not None and call.recording_url else None


def readable_by(user_id: int) -> ColumnElement[bool]:
    """Return the condition on Call that a worker may read it: answered by them, ringing for them, or theirs now."""
    others = [reply for _receiver, reply in signals.call_readers.send(user_id=user_id) if reply is not None]
    return or_(Call.worker_id == user_id, *(Call.id.in_(other) for other in others))


def may_read_call(session: Session, call: Call, user_id: int) -> bool:
    """Return whether a worker may read this call (see `readable_by`)."""
    if call.worker_id == user_id:
        return True
    return session.scalar(select(Call.id).where(Call.id == call.id, readable_by(user_id))) is not None


def list_calls(
    session: Session,
    *,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
    reader_id: int | None = None,
) -> list[Call]:
    """Return calls, newest first, filtered by status and arrival time (and to one worker's readable calls)."""
    query = select(Call).order_by(Call.created_at.desc(), Call.id.desc()).limit(limit)
    if reader_id is not None:
        query = query.where(readable_by(reader_id))
    if status:
        query = query.where(Call.status == status)
    if start:
        query = query.where(Call.created_at >= start)
    if end:
        query = query.where(Call.created_at <= end)
    return list(session.scalars(query))
