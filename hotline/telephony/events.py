"""Announcements after a commit: the live `call.updated` Socket.IO event and the domain signals.

A failing receiver or an unreachable message queue is logged and never reaches
the caller: these run inside webhooks whose TwiML a caller is waiting for.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app

from hotline import push, signals
from hotline.privacy import mask_phone
from hotline.telephony.models import Call

log = logging.getLogger("hotline.telephony.events")


PAYLOAD_FIELDS = (
    "call_sid",
    "status",
    "outcome",
    "service",
    "priority",
    "from_number",
    "caller_city",
    "queued_at",
    "answered_at",
    "ended_at",
    "worker_id",
)


def call_payload(call: Call) -> dict[str, Any]:
    """Return what consoles may see of a call (the number masked, never in full)."""
    return payload_of({name: getattr(call, name) for name in PAYLOAD_FIELDS})


def payload_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return what consoles may see of a call from its column values."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "call_sid": values["call_sid"],
        "status": values["status"],
        "outcome": values["outcome"],
        "service": values["service"],
        "priority": values["priority"],
        "caller": mask_phone(values["from_number"]),
        "caller_city": values["caller_city"],
        "queued_at": iso(values["queued_at"]),
        "answered_at": iso(values["answered_at"]),
        "ended_at": iso(values["ended_at"]),
        "worker_id": values["worker_id"],
    }


def emit_call_updated(call: Call) -> None:
    """Tell every open console that a call changed."""
    emit_payload(call.id, call_payload(call))


def emit_payload(call_id: int, payload: dict[str, Any]) -> None:
    """Send `call.updated` to every open console; a failure is logged, never raised."""
    push.call_updated(payload)


def announce_arrival(call_id: int, values: Mapping[str, Any]) -> None:
    """Announce a call that just arrived, from the values it was stored with (no need to read it back)."""
    emit_payload(call_id, payload_of(values))
    _send(signals.call_created, call_id=call_id)


def _send(signal: Any, **data: Any) -> list[Any]:
    """Send a signal, logging (not raising) a receiver's failure; return the receivers' replies."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    replies: list[Any] = []
    for receiver in signal.receivers_for(app):
        try:
            replies.append(receiver(app, **data))
        except Exception:  # noqa: BLE001  (another package's bug must not reach a caller)
            log.exception("receiver of %s failed", signal.name)
    return replies


def announce(
    call: Call,
    *,
    created: bool = False,
    queued: bool = False,
    ended: bool = False,
    callback_reason: str | None = None,
) -> None:
    """Emit the live update and send the signals for what just happened to a committed call."""
    emit_call_updated(call)
    if created:
        _send(signals.call_created, call_id=call.id)
    if queued:
        _send(signals.call_queued, call_id=call.id)
    if callback_reason:
        _send(signals.callback_needed, call_id=call.id, reason=callback_reason)
    if ended:
        _send(signals.call_ended, call_id=call.id, outcome=call.outcome)
        reason = callback_reason_at_end(call)
        if reason and reason != callback_reason:
            _send(signals.callback_needed, call_id=call.id, reason=reason)


def callback_reason_at_end(call: Call) -> str | None:
    """Return why an ended call needs a callback: it waited and hung up, or waited too long and chose nothing."""
    if not call.from_number:
        return None
    if call.outcome == "abandoned" and call.queued_at is not None:
        return "abandoned"
    if call.outcome == "missed":
        return "missed"
    return None


def sms_reply(message_sid: str, from_number: str | None, body: str) -> str | None:
    """Send `sms_received` and return the first reply a receiver gave."""
    for reply in _send(signals.sms_received, message_sid=message_sid, from_number=from_number, body=body):
        if reply is not None:
            return str(reply)
    return None
