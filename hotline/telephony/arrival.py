"""A call's arrival: recorded once per CallSid, with whether the line is open, in as few statements as possible.

The webhook of every call that reaches the line runs this, so it is written for
speed (see `receive_call`). The columns of a new call and the number look-ups it
shares with the rest of the call flow are in `services`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Engine, TextClause, bindparam, insert, text
from sqlalchemy.orm import Session, scoped_session

from hotline.privacy import e164_of, parse_phone, phone_lookup_hash
from hotline.telephony.hours import DayKind, LineStatus, ServiceCalendar
from hotline.telephony.line_settings import LineSettings
from hotline.telephony.models import Call, CallEvent
from hotline.telephony.services import city_of, get_call, line_number, new_call_row


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
    day_kinds: Callable[[date], DayKind] | None = None,
) -> Arrival:
    """Record an arriving call once per CallSid and decide whether the line is open.

    A retried webhook finds the record and gets the same answer; nothing changes.
    This runs for every call that reaches the line, so it is written for speed:
    the call and its first events go in with one statement on PostgreSQL (two on
    SQLite), `INSERT ... ON CONFLICT DO NOTHING` on the CallSid instead of a
    look-up first, and the record handed back is built from the values in hand
    rather than read again. Whether the caller called before is looked up when a
    console shows the call, not here. `day_kinds` classifies the day (the
    calendar's copy the process keeps); without it the calendar is read.
    """
    began = not _current(session).in_transaction()
    line = ServiceCalendar(settings, zone, session, day_kinds).status(now)
    if began and _current(session).in_transaction():
        # End the calendar's read (and a first seed of the year) so the record goes in alone, autocommitted.
        session.commit()
    row, events = arrival_of(call_sid, from_raw, to_raw, now, line, region)
    call_id = insert_call(session, row, events, now)
    if call_id is None:  # a retried or racing webhook: answer from the stored record
        stored = get_call(session, call_sid)
        values = {column.key: getattr(stored, column.key) for column in Call.__table__.columns}
        return Arrival(session, stored.id, values, False, _line_of(stored))
    if _current(session).in_transaction():
        session.commit()
    return Arrival(session, call_id, {"id": call_id, **row}, True, line)


def arrival_of(
    call_sid: str,
    from_raw: str | None,
    to_raw: str | None,
    now: datetime,
    line: LineStatus,
    region: str,
    lookup_hash: Callable[[str | None], str | None] = phone_lookup_hash,
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """Return the row of an arriving call (every column but the id) and its first events, as they are stored.

    `lookup_hash` hashes the number (the app's cipher by default; given outside an app context).
    """
    caller = parse_phone(from_raw, region)
    e164 = e164_of(caller)
    row = new_call_row(
        call_sid=call_sid,
        direction="inbound",
        from_number=e164,
        from_hash=lookup_hash(e164),
        caller_city=city_of(caller),
        to_number=line_number(to_raw, region),
        status="ringing",
        created_at=now,
        closed_reason=None if line.open else line.reason,
    )
    events: list[tuple[str, dict[str, Any]]] = [("created", {"withheld": e164 is None})]
    if not line.open:
        events.append(("closed", {"reason": line.reason, "holiday": line.holiday_name}))
    return row, events


def insert_call(
    session: Session, row: dict[str, Any], events: list[tuple[str, dict[str, Any]]], at: datetime
) -> int | None:
    """Insert a call and its first events unless its CallSid is stored already; return its id, or None.

    On PostgreSQL the events are inserted from a data-modifying CTE that inserts
    the call, so the whole arrival is one statement, atomic by itself: when the
    session holds no transaction yet, it runs on a connection of its own in
    autocommit, outside the session (no BEGIN, no COMMIT, none of the session's
    bookkeeping). Otherwise (or on SQLite) the statements run in the session's
    transaction, which the caller commits. Nothing here is an ORM entity.
    """
    bind = session.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        parameters = dict(row)
        for number, (kind, data) in enumerate(events):
            parameters |= {f"kind_{number}": kind, f"at_{number}": at, f"data_{number}": data}
        statement = _arrival_statement(dialect, len(events))
        engine = _autocommit_engine(bind) if _holds_no_transaction(session, bind) else None
        if engine is None:
            return session.connection().execute(statement, parameters).scalar()
        with engine.connect() as connection:
            return connection.execute(statement, parameters).scalar()
    connection = session.connection()
    call_id = connection.execute(_arrival_statement(dialect, 0), row).scalar()
    if call_id is not None:
        connection.execute(
            insert(CallEvent.__table__),
            [{"call_id": call_id, "kind": kind, "at": at, "data": data} for kind, data in events],
        )
    return call_id


def _holds_no_transaction(session: Session, bind: Any) -> bool:
    """Return whether the session holds no transaction and draws connections from an engine.

    A session bound to a caller's connection (as the tests' are) always runs its
    statements in that connection's transaction.
    """
    return not _current(session).in_transaction() and isinstance(bind, Engine)


def _current(session: Session) -> Session:
    """Return the session itself, behind Flask-SQLAlchemy's scoped session."""
    return session() if isinstance(session, scoped_session) else session


@functools.lru_cache(maxsize=8)
def _autocommit_engine(engine: Engine) -> Engine:
    """Return the engine's autocommit twin, made once per process: same pool, each statement committed alone."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


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
