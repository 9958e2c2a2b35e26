"""Taking a waiting call to a worker: the REST redirect to the <Dial>, and what the <Dial> ended with.

Like the rest of the call flow (`services`), these take the session, `now` and the
provider explicitly and commit their own work.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from hotline.telephony.exceptions import CallNotWaiting
from hotline.telephony.models import Call
from hotline.telephony.outbox import dispatch, queue_command
from hotline.telephony.providers import TelephonyProvider
from hotline.telephony.timeline import TERMINAL, add_event, existing_user_id

IDENTITY_PATTERN = re.compile(r"^worker_(\d+)$")


def parse_target(target: str) -> tuple[str | None, str | None, int | None]:
    """Split a worker target into (client identity, phone number, worker id)."""
    target = (target or "").strip()
    match = IDENTITY_PATTERN.match(target)
    if match:
        return target, None, int(match.group(1))
    if target.startswith("+"):
        return None, target, None
    raise ValueError(f"not a worker identity or E.164 number: {target!r}")


def connect_to_worker(
    session: Session,
    call: Call,
    worker_identity_or_number: str,
    provider: TelephonyProvider | None = None,
    now: datetime | None = None,
) -> int:
    """Take a waiting call to a worker: record it and queue the REST redirect to TwiML that dials them.

    The redirect goes through the outbox: sent by a background thread right after the
    commit with `provider` (default: the app's), retried by the scheduler if it fails.
    Returns the outbox command id.

    Raises:
        CallNotWaiting: the call is not in the queue (it ended or is being connected).
        ValueError: the target is neither `worker_<id>` nor an E.164 number.
    """
    from hotline.clock import utcnow
    from hotline.telephony.urls import public_url

    now = now or utcnow()
    identity, number, worker_id = parse_target(worker_identity_or_number)
    if call.status != "queued":
        raise CallNotWaiting(call.call_sid)
    call.status = "connecting"
    call.dial_attempts += 1
    add_event(
        session,
        call,
        "connecting",
        now,
        {"identity": identity, "number": number, "worker_id": worker_id, "attempt": call.dial_attempts},
    )
    url = public_url(f"/twilio/voice/connect/{call.call_sid}?attempt={call.dial_attempts}")
    command_id = queue_command(session, "redirect_call", now, call_sid=call.call_sid, url=url)
    session.commit()
    dispatch(current_app._get_current_object(), [command_id], provider)  # type: ignore[attr-defined]
    return command_id


def dial_target(call: Call) -> dict[str, object] | None:
    """Return the latest connect request of the call (identity, number, worker id)."""
    for event in reversed(call.events):
        if event.kind == "connecting":
            return event.data
    return None


def dial_result(session: Session, call: Call, dial_status: str, duration: int | None, now: datetime) -> str:
    """Handle the end of a <Dial> to a worker; return goodbye, or requeue when nobody answered."""
    dial_status = (dial_status or "").strip().lower()
    target = dial_target(call) or {}
    if dial_status in ("completed", "answered"):
        if call.answered_at is None:
            call.answered_at = now
            call.worker_id = existing_user_id(session, target.get("worker_id")) or call.worker_id
            add_event(session, call, "worker-answered", now, {"worker_id": call.worker_id, "via": "dial-action"})
        add_event(session, call, "dial-ended", now, {"status": dial_status, "duration": duration})
        session.commit()
        return "goodbye"
    add_event(session, call, "worker-missed", now, {"status": dial_status, "worker_id": target.get("worker_id")})
    if call.status not in TERMINAL:
        call.status = "in-progress"  # enqueue_call puts it back, ahead of later callers (first queued_at kept)
    session.commit()
    return "requeue"
