"""A manager's test call to a directory entry's number: its record, and its outcome from the line's status.

The line places the call (`hotline.telephony.test_calls`); this module keeps the
row the directory page shows. Status callbacks may come out of order: a call's
state only moves forward (calling → ringing → in progress → a final outcome).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.directory.exceptions import NoPhone
from hotline.directory.models import DirectoryTestCall, Station

RANK = {"calling": 0, "ringing": 1, "in_progress": 2}
FINAL = frozenset({"answered", "no_answer", "busy", "failed", "uncertain"})
SETTLED = FINAL - {"uncertain"}
"""What no later callback changes (an uncertain call's status, if it comes, tells what happened)."""
CALL_STATUS = {
    "queued": "calling",
    "initiated": "calling",
    "ringing": "ringing",
    "in-progress": "in_progress",
    "answered": "in_progress",
    "completed": "answered",
    "no-answer": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "failed",
}
"""Twilio's CallStatus → the test call's state."""


def target_of(entry: Any) -> str:
    """Return how a test call names its entry ("stations:4")."""
    return f"{entry.__tablename__}:{entry.id}"


def number_of(entry: Any) -> str | None:
    """Return the number a test reaches: a station's duty contact (else its own), an expert's or organisation's."""
    if isinstance(entry, Station):
        return entry.duty_contact_phone or entry.phone
    return entry.phone


def start(session: Session, entry: Any, now: datetime, actor_id: int | None) -> DirectoryTestCall:
    """Record a test call about to be placed to the entry's number, audited; the caller commits before dialling.

    Raises:
        NoPhone: the entry has no number to call.
    """
    phone = number_of(entry)
    if not phone:
        raise NoPhone(entry.__tablename__)
    test_call = DirectoryTestCall(
        target=target_of(entry), to=phone, requested_by_id=actor_id, created_at=now, updated_at=now
    )
    session.add(test_call)
    session.flush()
    audit.record(
        session,
        "directory.test_call",
        actor_id=actor_id,
        target=target_of(entry),
        detail={"test_call": test_call.id},
    )
    return test_call


def placed(session: Session, test_call_id: int, call_sid: str, now: datetime) -> None:
    """Record the line's call id once the line took the call (a status may have arrived first); commit."""
    session.execute(
        update(DirectoryTestCall)
        .where(DirectoryTestCall.id == test_call_id, DirectoryTestCall.call_sid.is_(None))
        .values(call_sid=call_sid, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def refused(session: Session, test_call_id: int, error: str, *, uncertain: bool, now: datetime) -> None:
    """Record that the line refused the call (or may have placed it: `uncertain`, never redialled); commit."""
    session.execute(
        update(DirectoryTestCall)
        .where(DirectoryTestCall.id == test_call_id, DirectoryTestCall.status.in_(tuple(RANK)))
        .values(status="uncertain" if uncertain else "failed", error=error[:300], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def record_status(
    session: Session, test_call_id: int, call_sid: str, call_status: str, error: str | None, now: datetime
) -> DirectoryTestCall | None:
    """Record a status callback of a test call; only a later state counts. None: not one of ours; commit."""
    test_call = session.get(DirectoryTestCall, test_call_id)
    state = CALL_STATUS.get(call_status)
    if test_call is None or state is None or (test_call.call_sid and call_sid and test_call.call_sid != call_sid):
        return None
    if test_call.status not in SETTLED and (state in FINAL or RANK[state] > RANK.get(test_call.status, -1)):
        test_call.status = state
        test_call.error = (error or None) if state in ("failed", "no_answer", "busy") else None
        test_call.updated_at = now
    if call_sid and not test_call.call_sid:
        test_call.call_sid = call_sid
    session.commit()
    return test_call


def last_test_call(session: Session, entry: Any) -> DirectoryTestCall | None:
    """Return the entry's latest test call."""
    return session.scalar(
        select(DirectoryTestCall)
        .where(DirectoryTestCall.target == target_of(entry))
        .order_by(DirectoryTestCall.id.desc())
        .limit(1)
    )


def get(session: Session, test_call_id: int) -> DirectoryTestCall | None:
    """Return one test call."""
    return session.get(DirectoryTestCall, test_call_id)
