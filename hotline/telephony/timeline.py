"""A call's append-only timeline: events, status callbacks, and the outcome computed from them.

Status callbacks may arrive twice or out of order. Each is stored once (its
CallSid + SequenceNumber is the dedupe key), and the call's status only moves
forward: a late `ringing` never overwrites `completed`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.telephony.models import Call, CallEvent

TERMINAL = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
KNOWN_STATUSES = frozenset({"queued", "initiated", "ringing", "in-progress"}) | TERMINAL
OUTCOMES = ("answered", "abandoned", "voicemail", "callback-requested", "closed-hours", "missed")


def add_event(
    session: Session, call: Call, kind: str, at: datetime, data: dict[str, Any] | None = None, dedupe: str | None = None
) -> CallEvent | None:
    """Append an event; with a dedupe key, return None when that event is already stored."""
    if dedupe is not None:
        exists = session.scalar(
            select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.dedupe_key == dedupe)
        )
        if exists is not None:
            return None
        # A racing duplicate is stopped by the unique constraint; the savepoint keeps the rest of the work.
        try:
            with session.begin_nested():
                event = CallEvent(call=call, kind=kind, at=at, data=data or {}, dedupe_key=dedupe)
                session.add(event)
        except IntegrityError:
            session.expire(call, ["events"])
            return None
        return event
    event = CallEvent(call=call, kind=kind, at=at, data=data or {})
    session.add(event)
    return event


def kinds(call: Call) -> set[str]:
    """Return the kinds of event in a call's timeline."""
    return {event.kind for event in call.events}


def compute_outcome(call: Call) -> str:
    """Derive the outcome from the timeline (the last word is the events', never a guess)."""
    seen = kinds(call)
    if "worker-answered" in seen:
        return "answered"
    if "voicemail" in seen:
        return "voicemail"
    if "callback-requested" in seen:
        return "callback-requested"
    if "closed" in seen:
        return "closed-hours"
    if "max-wait" in seen:
        return "missed"
    return "abandoned"


def apply_status_callback(session: Session, call: Call, params: dict[str, str], now: datetime) -> tuple[bool, bool]:
    """Store one status callback of the call (or of a leg it dialled) and move the status forward.

    Returns:
        (stored, ended): whether the callback was new, and whether it ended the call just now.
    """
    leg_sid = params.get("CallSid") or call.call_sid
    status = (params.get("CallStatus") or "").strip().lower()
    sequence = params.get("SequenceNumber")
    key = f"status:{leg_sid}:{sequence}" if sequence not in (None, "") else f"status:{leg_sid}:{status}"
    is_leg = leg_sid != call.call_sid
    data = {
        "call_sid": leg_sid,
        "status": status,
        "sequence": _int(sequence),
        "timestamp": params.get("Timestamp"),
        "duration": _int(params.get("CallDuration")),
    }
    if params.get("worker"):
        data["worker_id"] = _int(params.get("worker"))
    event = add_event(session, call, "leg-status" if is_leg else "status", now, data, dedupe=key)
    if event is None:
        return False, False
    if is_leg:
        if status == "in-progress" and call.answered_at is None and call.ended_at is None:
            # The worker picked up the dialled leg: the caller is talking to a person.
            call.answered_at = now
            call.status = "in-progress"
            call.worker_id = existing_user_id(session, data.get("worker_id")) or call.worker_id
            add_event(session, call, "worker-answered", now, {"worker_id": call.worker_id, "leg": leg_sid})
        return True, False
    seq = _int(sequence)
    if seq is not None:
        call.last_sequence = max(call.last_sequence, seq)
    if status not in KNOWN_STATUSES or call.status in TERMINAL:
        return True, False
    if status in TERMINAL:
        call.status = status
        call.ended_at = call.ended_at or now
        call.duration_seconds = data["duration"]
        call.outcome = compute_outcome(call)
        return True, True
    if call.status == "ringing" and status == "in-progress":
        call.status = status  # before the app queues the call; later app states are not overwritten
    return True, False


def end_call(session: Session, call: Call, now: datetime, reason: str) -> bool:
    """End a call from the app's side (hang-up heard in a queue result); return whether it ended now."""
    if call.status in TERMINAL:
        return False
    add_event(session, call, "ended", now, {"reason": reason})
    call.status = "completed"
    call.ended_at = now
    call.outcome = compute_outcome(call)
    return True


def existing_user_id(session: Session, value: Any) -> int | None:
    """Return the id of an existing user, or None (a worker id comes from a URL and may be stale)."""
    from hotline.accounts.models import User

    user_id = _int(value)
    return user_id if user_id is not None and session.get(User, user_id) is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
