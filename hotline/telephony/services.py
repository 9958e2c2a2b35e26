"""The phone line's call flow: arrival, menu, queue, connecting a worker, voicemail, callbacks.

Services take the session, `now`, the settings and the provider explicitly; they
commit their own work. Signals and Socket.IO events go out after the commit,
from the routes (`hotline.telephony.events.announce`). The queue's order is the
application's: priority first (crisis highest), then the longest wait.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from phonenumbers import geocoder
from sqlalchemy import JSON, Engine, TextClause, bindparam, func, insert, select, text
from sqlalchemy.orm import Session, scoped_session

from hotline.privacy import e164_of, normalise_phone, parse_phone, phone_lookup_hash
from hotline.telephony.exceptions import CallNotFound, CallNotWaiting
from hotline.telephony.hours import LineStatus, ServiceCalendar
from hotline.telephony.line_settings import CRISIS_KEY, CRISIS_PRIORITY, NORMAL_PRIORITY, LineSettings
from hotline.telephony.models import Call, CallEvent
from hotline.telephony.outbox import dispatch, queue_command
from hotline.telephony.providers import TelephonyProvider
from hotline.telephony.timeline import TERMINAL, add_event, compute_outcome, end_call, existing_user_id

QUEUE_NAME = "hotline"
GENERAL_SERVICE = "general"
IDENTITY_PATTERN = re.compile(r"^worker_(\d+)$")


@dataclass(frozen=True)
class Arrival:
    """What happened when a call arrived: the record's id and values, whether it is new, whether the line is open."""

    session: Session = field(repr=False, compare=False)
    call_id: int
    values: dict[str, Any]
    """Every column of the record as stored (the webhook announces the call from these, without reading it)."""
    created: bool
    line: LineStatus

    @property
    def call(self) -> Call:
        """Return the record, read from the session."""
        call = self.session.get(Call, self.call_id)
        assert call is not None  # noqa: S101  (just stored, or found by its CallSid)
        return call


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


def caller_city(e164: str | None) -> str | None:
    """Return the caller's city or province from the number (phonenumbers' geocoder, in Chinese)."""
    if not e164:
        return None
    try:
        return city_of(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def city_of(parsed: phonenumbers.PhoneNumber | None) -> str | None:
    """Return the city or province of a parsed number, in Chinese."""
    return None if parsed is None else geocoder.description_for_number(parsed, "zh") or None


@functools.lru_cache(maxsize=16)
def line_number(raw: str | None, region: str) -> str | None:
    """Return the dialled number (the hotline's own, so one of a few) in E.164, remembered."""
    return normalise_phone(raw, region)


def receive_call(
    session: Session,
    *,
    call_sid: str,
    from_raw: str | None,
    to_raw: str | None,
    now: datetime,
    settings: LineSettings,
    zone: ZoneInfo,
    region: str = "CN",
) -> Arrival:
    """Record an arriving call once per CallSid and decide whether the line is open.

    A retried webhook finds the record and gets the same answer; nothing changes.
    This runs for every call that reaches the line, so it is written for speed:
    the call and its first events go in with one statement on PostgreSQL (two on
    SQLite), `INSERT ... ON CONFLICT DO NOTHING` on the CallSid instead of a
    look-up first, and the record handed back is built from the values in hand
    rather than read again. Whether the caller called before is looked up when a
    console shows the call, not here.
    """
    line = ServiceCalendar(settings, zone).status(now)
    caller = parse_phone(from_raw, region)
    e164 = e164_of(caller)
    row = new_call_row(
        call_sid=call_sid,
        direction="inbound",
        from_number=e164,
        from_hash=phone_lookup_hash(e164),
        caller_city=city_of(caller),
        to_number=line_number(to_raw, region),
        status="ringing",
        created_at=now,
        closed_reason=None if line.open else line.reason,
    )
    events: list[tuple[str, dict[str, Any]]] = [("created", {"withheld": e164 is None})]
    if not line.open:
        events.append(("closed", {"reason": line.reason, "holiday": line.holiday_name}))
    call_id = insert_call(session, row, events, now)
    if call_id is None:  # a retried or racing webhook: answer from the stored record
        stored = get_call(session, call_sid)
        values = {column.key: getattr(stored, column.key) for column in Call.__table__.columns}
        return Arrival(session, stored.id, values, False, _line_of(stored))
    session.commit()
    return Arrival(session, call_id, {"id": call_id, **row}, True, line)


def new_call_row(**values: Any) -> dict[str, Any]:
    """Return every column of a new call (except its id): the given values over the columns' scalar defaults."""
    row: dict[str, Any] = {}
    for column in Call.__table__.columns:
        if not column.primary_key:
            default = column.default
            row[column.key] = default.arg if default is not None and default.is_scalar else None
    row.update(values)
    return row


def insert_call(
    session: Session, row: dict[str, Any], events: list[tuple[str, dict[str, Any]]], at: datetime
) -> int | None:
    """Insert a call and its first events unless its CallSid is stored already; return its id, or None.

    On PostgreSQL the events are inserted from a data-modifying CTE that inserts
    the call, so the whole arrival is one statement, atomic by itself: when the
    session has no transaction of its own yet, it runs in autocommit, which saves
    the BEGIN and COMMIT round trips. Otherwise (or on SQLite) the statements run
    in the session's transaction. Either way they bypass the ORM's execution
    layer: nothing here is an ORM entity.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        connection = session.connection(execution_options=_single_statement_options(session))
        parameters = dict(row)
        for number, (kind, data) in enumerate(events):
            parameters |= {f"kind_{number}": kind, f"at_{number}": at, f"data_{number}": data}
        return connection.execute(_arrival_statement(dialect, len(events)), parameters).scalar()
    connection = session.connection()
    call_id = connection.execute(_arrival_statement(dialect, 0), row).scalar()
    if call_id is not None:
        connection.execute(
            insert(CallEvent.__table__),
            [{"call_id": call_id, "kind": kind, "at": at, "data": data} for kind, data in events],
        )
    return call_id


def _single_statement_options(session: Session) -> dict[str, str] | None:
    """Return the options that run a lone statement in autocommit, when the session may take them.

    Only a session that holds no transaction yet and draws connections from the
    engine (not one bound to a caller's connection, as the tests' are) may.
    """
    current = session() if isinstance(session, scoped_session) else session
    if current.in_transaction() or not isinstance(current.get_bind(), Engine):
        return None
    return {"isolation_level": "AUTOCOMMIT"}


@functools.cache
def _arrival_statement(dialect: str, events: int) -> TextClause:
    """Build once: insert a call unless its CallSid exists, returning its id; with `events`, insert them too (CTE).

    Written as SQL text with typed bind parameters because SQLAlchemy does not
    cache the compiled form of its dialect-specific `INSERT ... ON CONFLICT`,
    and compiling it on every call cost more than the rest of the arrival.
    """
    calls, call_events = Call.__table__, CallEvent.__table__
    columns = [column for column in calls.columns if not column.primary_key]
    binds = [bindparam(column.key, type_=column.type) for column in columns]
    sql = (
        f"INSERT INTO calls ({', '.join(column.name for column in columns)}) "  # noqa: S608  (names from the model)
        f"VALUES ({', '.join(':' + column.key for column in columns)}) "
        "ON CONFLICT (call_sid) DO NOTHING RETURNING id"
    )
    if events:
        selects = []
        for number in range(events):
            selects.append(f"SELECT id, :kind_{number}, :at_{number}, CAST(:data_{number} AS JSONB) FROM new_call")  # noqa: S608
            binds += [
                bindparam(f"kind_{number}", type_=call_events.c.kind.type),
                bindparam(f"at_{number}", type_=call_events.c.at.type),
                bindparam(f"data_{number}", type_=JSON()),
            ]
        sql = (
            f"WITH new_call AS ({sql}) INSERT INTO call_events (call_id, kind, at, data) "
            f"{' UNION ALL '.join(selects)} RETURNING call_id"
        )
    return text(sql).bindparams(*binds)


def _line_of(call: Call) -> LineStatus:
    return LineStatus(False, call.closed_reason) if call.closed_reason else LineStatus(True)


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
    """Count the duty workers on a published shift now (for the expected wait)."""
    from hotline.rota.models import Shift, ShiftAssignment

    return (
        session.scalar(
            select(func.count(ShiftAssignment.id))
            .join(Shift, ShiftAssignment.shift_id == Shift.id)
            .where(
                Shift.status == "published",
                Shift.starts_at <= now,
                Shift.ends_at > now,
                ShiftAssignment.duty == "duty_worker",
            )
        )
        or 0
    )


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
