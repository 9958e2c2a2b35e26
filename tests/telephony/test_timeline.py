"""Status callbacks: stored once, out of order never moves a call back, outcome from the events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.telephony.models import Call
from hotline.telephony.timeline import apply_status_callback, compute_outcome, end_call

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


def new_call(db_session: Any, sid: str, **fields: Any) -> Call:
    call = Call(call_sid=sid, created_at=NOW, **{"status": "ringing", **fields})
    db_session.add(call)
    db_session.commit()
    return call


def callback(sid: str, status: str, sequence: int, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "CallStatus": status, "SequenceNumber": str(sequence), **extra}


def test_the_same_callback_twice_is_one_event(db_session: Any) -> None:
    call = new_call(db_session, "CA-t1")
    assert apply_status_callback(db_session, call, callback("CA-t1", "in-progress", 1), NOW) == (True, False)
    assert apply_status_callback(db_session, call, callback("CA-t1", "in-progress", 1), NOW) == (False, False)
    db_session.commit()
    assert [event.kind for event in call.events] == ["status"]


def test_a_late_ringing_never_overwrites_completed(db_session: Any) -> None:
    call = new_call(db_session, "CA-t2", queued_at=NOW)
    later = NOW + timedelta(seconds=40)
    assert apply_status_callback(db_session, call, callback("CA-t2", "completed", 3, CallDuration="40"), later)[1]
    apply_status_callback(db_session, call, callback("CA-t2", "ringing", 0), later)
    apply_status_callback(db_session, call, callback("CA-t2", "in-progress", 1), later)
    db_session.commit()
    assert call.status == "completed" and call.ended_at == later and call.duration_seconds == 40
    assert call.last_sequence == 3 and len(call.events) == 3
    assert call.outcome == "abandoned" and call.wait_seconds == 40


def test_the_dialled_legs_answer_marks_the_call_answered(db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    call = new_call(db_session, "CA-t3", queued_at=NOW, status="connecting")
    answered = NOW + timedelta(seconds=25)
    leg = callback("CA-leg", "in-progress", 1, ParentCallSid="CA-t3", worker=str(worker.id))
    apply_status_callback(db_session, call, leg, answered)
    apply_status_callback(db_session, call, callback("CA-t3", "completed", 2), answered + timedelta(seconds=60))
    db_session.commit()
    assert call.answered_at == answered and call.outcome == "answered" and call.wait_seconds == 25
    assert call.worker_id == worker.id


def test_outcomes_come_from_the_events(db_session: Any) -> None:
    closed = new_call(db_session, "CA-t4", closed_reason="hours")
    from hotline.telephony.timeline import add_event

    add_event(db_session, closed, "closed", NOW)
    assert compute_outcome(closed) == "closed-hours"
    add_event(db_session, closed, "callback-requested", NOW)
    assert compute_outcome(closed) == "callback-requested"
    add_event(db_session, closed, "voicemail", NOW)
    assert compute_outcome(closed) == "voicemail"
    missed = new_call(db_session, "CA-t5", queued_at=NOW)
    add_event(db_session, missed, "max-wait", NOW)
    assert end_call(db_session, missed, NOW, "hangup") and missed.outcome == "missed"
    assert not end_call(db_session, missed, NOW, "hangup")
