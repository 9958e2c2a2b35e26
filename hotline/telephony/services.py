"""The phone line's call flow: finding a call, the menu, the queue, voicemail and callbacks.

Services take the session, `now` and the settings explicitly; they commit their
own work. Signals and Socket.IO events go out after the commit, from the routes
(`hotline.telephony.events.announce`). The queue's order is the application's:
priority first (crisis highest), then the longest wait. A call's arrival is
recorded in `arrival`; taking a waiting call to a worker is in `connecting`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from phonenumbers import geocoder
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import signals
from hotline.privacy import normalise_phone
from hotline.telephony.exceptions import CallNotFound
from hotline.telephony.line_settings import CRISIS_KEY, CRISIS_PRIORITY, NORMAL_PRIORITY, LineSettings
from hotline.telephony.models import Call, CallSatisfaction
from hotline.telephony.timeline import TERMINAL, add_event, compute_outcome, end_call

QUEUE_NAME = "hotline"
GENERAL_SERVICE = "general"


@dataclass(frozen=True)
class MenuChoice:
    """The result of a menu key: `queue` (with service and priority) or `repeat` the menu."""

    action: str
    service: str | None = None
    priority: int = NORMAL_PRIORITY


@dataclass(frozen=True)
class QueuePlace:
    """Where a waiting caller stands: callers ahead, expected minutes, seconds waited, over the limit."""

    ahead: int
    minutes: int
    waited: float
    over_limit: bool


def find_call(session: Session, call_sid: str | None) -> Call | None:
    """Return the call with this CallSid, or None."""
    if not call_sid:
        return None
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


def lock_call(session: Session, call: Call) -> None:
    """Re-read the call under a row lock, so duplicated webhooks running at once act one after the other.

    SQLite serialises writers by itself; on PostgreSQL this is SELECT ... FOR UPDATE, held until the commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(call, with_for_update=True)


def get_call(session: Session, call_sid: str) -> Call:
    """Return the call with this CallSid or raise CallNotFound."""
    call = find_call(session, call_sid)
    if call is None:
        raise CallNotFound(call_sid)
    return call


def city_of(parsed: phonenumbers.PhoneNumber | None) -> str | None:
    """Return the city or province of a parsed number, in Chinese."""
    return None if parsed is None else geocoder.description_for_number(parsed, "zh") or None


@functools.lru_cache(maxsize=16)
def line_number(raw: str | None, region: str) -> str | None:
    """Return the dialled number (the hotline's own, so one of a few) in E.164, remembered."""
    return normalise_phone(raw, region)


def new_call_row(**values: Any) -> dict[str, Any]:
    """Return every column of a new call (except its id): the given values over the columns' scalar defaults."""
    return {**call_defaults(), **values}


@functools.cache
def call_defaults() -> dict[str, Any]:
    """Return each column of a call (but the id) with its scalar default, or None."""
    row: dict[str, Any] = {}
    for column in Call.__table__.columns:
        if not column.primary_key:
            default = column.default
            row[column.key] = default.arg if default is not None and default.is_scalar else None
    return row


def choose_from_menu(
    session: Session, call: Call, digits: str | None, settings: LineSettings, now: datetime
) -> MenuChoice:
    """Map a menu key to a service; silence or a wrong key repeats the menu, up to the limit, then the general queue."""
    lock_call(session, call)
    if call.queued_at is not None or call.service is not None or call.status in TERMINAL:
        return MenuChoice("queue", call.service, call.priority)  # a retried webhook: same answer
    key = (digits or "").strip()[:1]
    if key == CRISIS_KEY:
        choice = MenuChoice("queue", "crisis", CRISIS_PRIORITY)
    elif key and key in settings.menu:
        choice = MenuChoice("queue", settings.menu[key], NORMAL_PRIORITY)
    else:
        call.ivr_attempts += 1
        add_event(session, call, "menu-invalid", now, {"digits": key, "attempt": call.ivr_attempts})
        if call.ivr_attempts < settings.menu_attempts:
            session.commit()
            return MenuChoice("repeat")
        choice = MenuChoice("queue", GENERAL_SERVICE, NORMAL_PRIORITY)
    call.service = choice.service
    call.priority = choice.priority
    add_event(session, call, "menu-choice", now, {"digits": key, "service": choice.service})
    session.commit()
    return choice


def enqueue_call(session: Session, call: Call, now: datetime) -> bool:
    """Put the call in the waiting queue, keeping its first queued_at (so it stays ahead); return whether it entered."""
    lock_call(session, call)
    if call.status in TERMINAL:
        return False
    if call.status == "queued":
        return False  # a retried webhook
    requeue = call.queued_at is not None
    call.status = "queued"
    call.queued_at = call.queued_at or now
    call.service = call.service or GENERAL_SERVICE
    add_event(session, call, "queued", now, {"requeue": requeue, "priority": call.priority})
    session.commit()
    return True


def queued_calls(session: Session) -> list[Call]:
    """Return the calls waiting for a worker: crisis first, then the longest wait."""
    return list(
        session.scalars(
            select(Call)
            .where(Call.status == "queued", Call.queued_at.is_not(None))
            .order_by(Call.priority.desc(), Call.queued_at, Call.id)
        )
    )


def on_duty_workers(session: Session, now: datetime) -> int:
    """Count the duty workers on a published shift now (for the expected wait), as the rota answers."""
    replies = signals.on_duty_count.send(session=session, at=now)
    return max((int(count or 0) for _receiver, count in replies), default=0)


def queue_place(
    session: Session, call: Call, now: datetime, settings: LineSettings, queue_time: int | None = None
) -> QueuePlace:
    """Work out the caller's place from the app's order, the expected wait, and whether the limit is reached."""
    waiting = [c.id for c in queued_calls(session)]
    ahead = waiting.index(call.id) if call.id in waiting else len(waiting)
    workers = max(1, on_duty_workers(session, now))
    minutes = -(-((ahead + 1) * settings.average_handle_seconds) // (workers * 60))
    since_queued = (now - call.queued_at).total_seconds() if call.queued_at else 0.0
    waited = max(since_queued, float(queue_time or 0))
    return QueuePlace(ahead, int(minutes), waited, waited >= settings.max_wait_seconds)


def reach_max_wait(session: Session, call: Call, now: datetime, waited: float) -> None:
    """Note that the caller waited too long; they leave the queue and are offered voicemail or a callback."""
    if call.status != "queued":
        return
    call.status = "in-progress"
    add_event(session, call, "max-wait", now, {"waited": int(waited)})
    session.commit()


def queue_result(session: Session, call: Call, result: str, now: datetime, queue_time: int | None) -> str:
    """Handle how the caller left the queue; return what to play: goodbye, offer, nothing, or requeue."""
    result = (result or "").strip().lower()
    add_event(session, call, "queue-result", now, {"result": result, "queue_time": queue_time})
    if result in ("bridged", "redirected-from-bridged"):
        action = "goodbye"
    elif result == "hangup":
        end_call(session, call, now, "abandoned")
        action = "nothing"
    elif result == "redirected":
        action = "nothing"  # the call went on to the TwiML it was redirected to
    elif result == "leave":
        action = "offer"
    else:
        # queue-full, error, system-error, bridging-in-process, anything new: never leave the caller in silence.
        if call.status == "queued":
            call.status = "in-progress"
        add_event(session, call, "queue-error", now, {"result": result})
        action = "offer"
    session.commit()
    return action


def request_callback(session: Session, call: Call, now: datetime) -> bool:
    """Record that the caller asked to be called back; return False when the number is withheld."""
    if not call.from_number:
        add_event(session, call, "callback-refused", now, {"reason": "withheld number"})
        session.commit()
        return False
    if not any(event.kind == "callback-requested" for event in call.events):
        add_event(session, call, "callback-requested", now, {})
        _refresh_outcome(call)
    session.commit()
    return True


def store_recording(
    session: Session,
    call: Call,
    *,
    recording_sid: str,
    url: str | None,
    duration: int | None,
    status: str,
    now: datetime,
) -> bool:
    """Store a voicemail against the call once per RecordingSid; return whether it is a new, usable message."""
    if not recording_sid or status != "completed":
        add_event(session, call, "recording-status", now, {"recording_sid": recording_sid, "status": status})
        session.commit()
        return False
    data = {"recording_sid": recording_sid, "duration": duration or 0, "url": url}
    if not duration:
        add_event(session, call, "voicemail-empty", now, data, dedupe=f"recording:{recording_sid}")
        session.commit()
        return False
    event = add_event(session, call, "voicemail", now, data, dedupe=f"recording:{recording_sid}")
    if event is None:
        session.commit()
        return False
    call.recording_sid, call.recording_url, call.recording_seconds = recording_sid, url, duration
    _refresh_outcome(call)
    session.commit()
    return True


def _refresh_outcome(call: Call) -> None:
    """Recompute the outcome of an ended call when a later event (a voicemail) changes it."""
    if call.ended_at is not None:
        call.outcome = compute_outcome(call)


def record_satisfaction(session: Session, call_sid: str, digits: str, now: datetime) -> CallSatisfaction | None:
    """Record the caller's 1-5 answer to the post-call question against the call (the first answer stands).

    Returns None when the answer is not 1-5 or the call is unknown.
    """
    if digits not in ("1", "2", "3", "4", "5"):
        return None
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        return None
    existing = session.scalar(select(CallSatisfaction).where(CallSatisfaction.call_id == call.id))
    if existing is not None:
        return existing
    entry = CallSatisfaction(call_id=call.id, score=int(digits), created_at=now)
    session.add(entry)
    session.commit()
    return entry
