"""What the simulator page does: dial, press keys, hang up, chat, accept as a worker, read the transcript.

The caller's side acts on the simulator gateway's network directly (it plays the phone);
the app's side goes through the provider, over REST, as with Twilio.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.gateway.media.simulated import WAIT_FOR_INPUT, CallerScript
from hotline.privacy import mask_phone
from hotline.telephony import services as call_services
from hotline.telephony.connecting import connect_to_worker
from hotline.telephony.models import Call, SimulatedMessage
from hotline.telephony.prompts import PATH_PREFIX
from hotline.telephony.providers import TelephonyProvider

SHOWN_KINDS = (
    "say",
    "play",
    "pause",
    "gather",
    "awaiting-input",
    "enqueue",
    "dequeue",
    "dial",
    "bridged",
    "conference",
    "conference-left",
    "conference-mute",
    "barge-in",
    "record",
    "beep",
    "hangup",
    "status",
    "error",
    "application-error",
)


class SimulatorError(Exception):
    """The simulated call cannot do that now (it ended, it is not waiting for keys)."""


def dial(network: Any, from_number: str, to_number: str) -> str:
    """Start a call from `from_number` that waits at every menu for the person's keys; return its sid."""
    script = CallerScript(on_gather=lambda prompt: WAIT_FOR_INPUT, talk_seconds=math.inf)
    return network.dial_in(from_number, to_number, script).sid


def press(network: Any, call_sid: str, digits: str) -> None:
    """Press keys (or '' to stay silent) on a call at a menu, while its prompt plays or after."""
    try:
        network.press(call_sid, digits)
    except Exception as exc:  # noqa: BLE001  (the engine's errors: unknown call, not waiting)
        raise SimulatorError(str(exc)) from exc


def hang_up(network: Any, call_sid: str) -> None:
    """Hang up a simulated phone: the caller's, or one the app called (an expert's, a responder's)."""
    try:
        network.hang_up(call_sid)
    except Exception as exc:  # noqa: BLE001
        raise SimulatorError(str(exc)) from exc


def snapshot(network: Any, call_sid: str) -> dict[str, Any]:
    """Return what the caller has heard and done so far, and whether the call takes keys now."""
    with network.lock:
        try:
            call = network.call(call_sid)
        except Exception as exc:  # noqa: BLE001
            raise SimulatorError(str(exc)) from exc
        return _state(network, call)


def _state(network: Any, call: Any) -> dict[str, Any]:
    lines = [
        {"kind": event.kind, "at": round(event.at, 1), "text": event.text or event.digits or "", **_audio(event)}
        for event in call.transcript
        if event.kind in SHOWN_KINDS
    ]
    return {
        "call_sid": call.sid,
        "to": call.to,
        "status": call.status,
        "live": call.is_live,
        "waiting_for_keys": call.waiting_for_input is not None,
        "in_queue": call.queue_sid is not None,
        "bridged": call.bridged_with is not None,
        "in_conference": network.conferences.of_call(call.sid) is not None,
        "transcript": lines,
    }


def _audio(event: Any) -> dict[str, str]:
    """The audio a <Play> event played, as a path of this app the page can play (a recorded prompt), else nothing."""
    if event.kind != "play" or not event.url:
        return {}
    parts = urlsplit(event.url)
    if not parts.path.startswith(PATH_PREFIX):
        return {"text": event.url}
    name = parts.path.removeprefix(PATH_PREFIX).split("/", 1)[0]
    return {"text": name, "audio": parts.path + (f"?{parts.query}" if parts.query else "")}


def phones(network: Any, limit: int = 10) -> list[dict[str, Any]]:
    """Return the phone calls the app placed (an expert's phone, a responder's), newest first, with their state."""
    with network.lock:
        placed = [call for call in network.calls.values() if call.direction == "outbound-api"]
        return [_state(network, call) for call in reversed(placed[-limit:])]


def accept(session: Session, call: Call, worker_id: int, provider: TelephonyProvider) -> None:
    """Take a waiting call as a worker: the caller is redirected to ring `client:worker_<id>`, which answers."""
    connect_to_worker(session, call, f"worker_{worker_id}", provider)


def end_conversation(network: Any, call_sid: str) -> None:
    """The worker hangs up: end the caller's call."""
    try:
        network.update_call(call_sid, status="completed")
    except Exception as exc:  # noqa: BLE001
        raise SimulatorError(str(exc)) from exc


def say(session: Session, call_sid: str, sender: str, text: str, now: datetime) -> None:
    """Add a line to the simulated conversation (typed instead of spoken)."""
    session.add(SimulatedMessage(kind="chat", call_sid=call_sid, sender=sender, body=text[:1000], created_at=now))
    session.commit()


def conversation(session: Session, call_sid: str) -> list[dict[str, str]]:
    """Return the conversation's lines, oldest first."""
    rows = session.scalars(
        select(SimulatedMessage)
        .where(SimulatedMessage.kind == "chat", SimulatedMessage.call_sid == call_sid)
        .order_by(SimulatedMessage.id)
    )
    return [{"sender": row.sender or "", "text": row.body} for row in rows]


def outbound(network: Any, limit: int = 30) -> list[dict[str, Any]]:
    """Return the latest SMS and calls the app sent through the simulator gateway, newest first."""
    with network.lock:
        sent = [
            (message.created_utc, "sms", message.to, message.body)
            for message in network.messages
            if message.direction == "outbound-api"
        ]
        sent += [
            (call.created_utc, "call", call.to, call.start.url if call.start else "")
            for call in network.calls.values()
            if call.direction == "outbound-api"
        ]
    sent.sort(key=lambda item: item[0], reverse=True)
    return [{"kind": kind, "to": to, "body": body, "at": at.isoformat()} for at, kind, to, body in sent[:limit]]


def worker_view(session: Session, worker_id: int) -> dict[str, Any]:
    """Return the waiting calls (numbers masked) and the worker's own live call."""
    waiting = [
        {
            "call_sid": c.call_sid,
            "caller": mask_phone(c.from_number),
            "service": c.service,
            "priority": c.priority,
            "queued_at": c.queued_at.isoformat() if c.queued_at else None,
        }
        for c in call_services.queued_calls(session)
    ]
    mine = session.scalar(
        select(Call)
        .where(Call.worker_id == worker_id, Call.status == "in-progress")
        .order_by(Call.answered_at.desc())
        .limit(1)
    )
    return {"waiting": waiting, "current": mine.call_sid if mine else None}
