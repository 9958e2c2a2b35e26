"""Group commit for arriving calls on PostgreSQL: the arrivals of concurrent webhooks written by one statement.

Each arriving call is one row in `calls` and one or two in `call_events`. Written
one webhook at a time, a surge of calls costs a connection check-out, a ping and
a statement per call. Here the first webhook to arrive becomes the *leader*: it
takes every arrival waiting at that moment (its own first) and writes them all
with one statement in autocommit (`INSERT ... SELECT FROM
jsonb_to_recordset(batch) ON CONFLICT (call_sid) DO NOTHING`, the events
inserted from the same statement's CTE), then wakes the others with their call's id. Arrivals that came in while it
wrote wait for the next batch, led by the first of them. Under light load every
batch holds one call and nothing waits; under a surge the database sees a few
statements a second whatever the number of calls.

The threads (or greenlets: gunicorn's gevent worker patches `threading`) never
wait longer than `wait_seconds`; a webhook that gives up takes its arrival back
if it was not written yet, and answers through the usual path instead.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Engine, String, TypeDecorator

from hotline.ops.metrics import ARRIVAL_BATCHES, ARRIVALS_WRITTEN
from hotline.telephony.models import Call

WAITING, TAKEN, LEADING, DONE = "waiting", "taken", "leading", "done"
log = logging.getLogger("hotline.telephony.arrival_writer")


class ArrivalNotWritten(Exception):
    """The arrival could not be written by the batch (timeout or database error); the caller should fall back."""


@dataclass(eq=False)
class PendingArrival:
    """One webhook's arrival on its way to the database."""

    row: dict[str, Any]
    """Every column of the call but its id (see arrival.arrival_of)."""
    events: list[tuple[str, dict[str, Any]]]
    """Its first events: (kind, data), all at `row["created_at"]`."""
    state: str = WAITING
    call_id: int | None = None
    error: BaseException | None = None
    wake: threading.Event = field(default_factory=threading.Event)

    def outcome(self) -> int | None:
        """Return the new call's id, or None when its CallSid was stored already; raise when the batch failed."""
        if self.error is not None:
            raise ArrivalNotWritten(type(self.error).__name__) from self.error
        return self.call_id


class ArrivalWriter:
    """Write the arrivals of concurrent webhooks together (leader/follower group commit); PostgreSQL only."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 200,
        wait_seconds: float = 5.0,
        on_written: Callable[[list[tuple[int, dict[str, Any]]]], None] | None = None,
        context: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> None:
        """Write arrivals to `engine`'s database.

        `on_written` is called by the webhook that wrote a batch, with (id, row) of
        each new call, once the others are on their way (announcing them is its job).
        `context` is entered around writing and announcing a batch (the app context
        the columns' encryption and the signals need), once a batch, not once a call.
        """
        if engine.dialect.name != "postgresql":
            raise ValueError("the arrival writer needs PostgreSQL")
        self.engine = engine
        self.on_written = on_written
        self.context = context
        self.max_batch = max_batch
        self.wait_seconds = wait_seconds
        self.statements: dict[frozenset[str], str] = {}
        """The batch statement for each set of columns that differ between the calls of a batch."""
        self.processors = column_processors(engine)
        self.connection: Connection | None = None
        """Only the leader of the moment uses it; one batch is written at a time."""
        self._pending: list[PendingArrival] = []
        self._busy = False
        self._lock = threading.Lock()

    def write(self, row: dict[str, Any], events: Sequence[tuple[str, dict[str, Any]]]) -> int | None:
        """Store a call and its first events unless its CallSid is stored; return the new id, or None if it was.

        Raises:
            ArrivalNotWritten: the database failed, or the batch did not come back within `wait_seconds`
                (an arrival not taken yet is withdrawn; one taken may still be written whole, and the
                application's own arrival, ON CONFLICT DO NOTHING too, then finds it).
        """
        arrival = PendingArrival(dict(row), list(events))
        with self._lock:
            self._pending.append(arrival)
            if not self._busy:
                self._busy = True
                arrival.state = LEADING
        if arrival.state == WAITING and not arrival.wake.wait(self.wait_seconds):
            with self._lock:
                if arrival.state == WAITING:  # nobody took it: withdraw it and let the caller fall back
                    self._pending.remove(arrival)
                    raise ArrivalNotWritten("the batch did not come back in time")
            # Handed the lead a moment ago (go on), or taken into a batch being written: wait for it once more.
            # Giving up then is safe too: the application's own arrival is ON CONFLICT DO NOTHING as well.
            if arrival.state == TAKEN and not arrival.wake.wait(self.wait_seconds):
                raise ArrivalNotWritten("the batch it was taken into did not come back in time")
        if arrival.state == LEADING:
            with self.context():
                self._lead()
        return arrival.outcome()

    def _lead(self) -> None:
        """Write the waiting arrivals (at most max_batch, oldest first), wake them, and hand over to the next."""
        with self._lock:
            batch = self._pending[: self.max_batch]
            del self._pending[: len(batch)]
            for arrival in batch:
                arrival.state = TAKEN
        written: list[tuple[int, dict[str, Any]]] = []
        try:
            ids = self._insert(batch)
            for arrival in batch:
                arrival.call_id = ids.pop(arrival.row["call_sid"], None)  # a repeat in the batch gets None
                if arrival.call_id is not None:
                    written.append((arrival.call_id, arrival.row))
        except Exception as exc:  # noqa: BLE001  (each webhook falls back on its own)
            log.warning("a batch of %d arrivals was not written: %s", len(batch), type(exc).__name__)
            for arrival in batch:
                arrival.error = exc
        finally:
            with self._lock:
                for arrival in batch:
                    arrival.state = DONE
                following = self._pending[0] if self._pending else None
                if following is None:
                    self._busy = False
                else:
                    following.state = LEADING
            for arrival in batch:
                arrival.wake.set()
            if following is not None:
                following.wake.set()
        if written and self.on_written is not None:
            try:
                self.on_written(written)
            except Exception:  # noqa: BLE001  (the calls are stored; consoles catch up on their next refresh)
                log.exception("announcing %d arrivals failed", len(written))

    def _insert(self, batch: list[PendingArrival]) -> dict[str, int]:
        """Insert the batch with one statement; return the new calls' ids by CallSid (repeats get none).

        The rows go as one JSON document (`jsonb_to_recordset`), encoded in one call
        to the C encoder, rather than as an array a column, which psycopg would dump
        element by element in Python.
        """
        firsts: dict[str, PendingArrival] = {}
        for arrival in batch:
            firsts.setdefault(arrival.row["call_sid"], arrival)  # a CallSid twice in one batch: the first one
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for sid, arrival in firsts.items():
            values = {
                key: value if process is None or value is None else process(value)
                for key, process in self.processors.items()
                for value in (arrival.row[key],)
            }
            at = values["created_at"] = values["created_at"].isoformat()
            rows.append(values)
            events += ({"call_sid": sid, "kind": kind, "at": at, "data": data} for kind, data in arrival.events)
        # A column with one value for the whole batch goes as one parameter, not once a row.
        first = rows[0]
        varying = frozenset(
            key for key, value in first.items() if key == "call_sid" or any(row[key] != value for row in rows)
        )
        parameters = {key: value for key, value in first.items() if key not in varying}
        parameters["calls"] = json.dumps([{key: row[key] for key in varying} for row in rows], ensure_ascii=False)
        parameters["events"] = json.dumps(events, ensure_ascii=False)
        statement = self.statements.get(varying)
        if statement is None:
            statement = self.statements[varying] = arrival_batch_sql(self.engine, varying)
        ARRIVAL_BATCHES.inc()
        ARRIVALS_WRITTEN.inc(len(batch))
        try:
            found = self._connection().exec_driver_sql(statement, parameters).all()
        except Exception:
            self._drop_connection()  # the next batch starts on a new one (after the pool's ping)
            raise
        return {sid: call_id for call_id, sid in found}

    def _connection(self) -> Connection:
        """Return the writer's own connection, in autocommit, kept between batches (no ping, no check-out each)."""
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.connection

    def close(self) -> None:
        """Give the writer's connection back to the pool (a later batch takes one again)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()

    def _drop_connection(self) -> None:
        """Give the connection back to the pool as unusable, after a failure."""
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except Exception:  # noqa: BLE001  (it is gone either way)
                log.debug("closing a failed connection failed", exc_info=True)


def column_processors(engine: Engine) -> dict[str, Callable[[Any], Any] | None]:
    """Return each column's bind processor (encryption, UTC), keyed by attribute, the id left out."""
    dialect = engine.dialect
    return {
        column.key: column.type.bind_processor(dialect) for column in Call.__table__.columns if not column.primary_key
    }


def arrival_batch_sql(engine: Engine, varying: frozenset[str]) -> str:
    """Return the statement that stores a batch of arrivals (psycopg's parameter style).

    The columns in `varying` come from the JSON array `calls`, one object a call
    (`jsonb_to_recordset`); every other column is one parameter for all. The events
    come from the JSON array `events`, each naming its call by CallSid.
    """
    dialect = engine.dialect
    columns = [column for column in Call.__table__.columns if not column.primary_key]
    fields = ", ".join(
        f"{column.name} {_sql_type(column.type, dialect)}" for column in columns if column.key in varying
    )
    values = ", ".join(
        f"a.{column.name}" if column.key in varying else f"%({column.key})s::{_sql_type(column.type, dialect)}"
        for column in columns
    )
    names = ", ".join(column.name for column in columns)
    return (
        f"WITH arriving AS (SELECT {values} "  # noqa: S608  (names and types from the model)
        f"FROM jsonb_to_recordset(CAST(%(calls)s AS JSONB)) AS a({fields})), "
        f"new_calls AS (INSERT INTO calls ({names}) SELECT * FROM arriving "
        "ON CONFLICT (call_sid) DO NOTHING RETURNING id, call_sid), "
        "new_events AS (INSERT INTO call_events (call_id, kind, at, data) "
        "SELECT new_calls.id, e.kind, e.at, e.data FROM new_calls "
        "JOIN jsonb_to_recordset(CAST(%(events)s AS JSONB)) AS e(call_sid TEXT, kind TEXT, at TIMESTAMPTZ, data JSONB) "
        "ON e.call_sid = new_calls.call_sid) "
        "SELECT id, call_sid FROM new_calls"
    )


def _sql_type(type_: Any, dialect: Any) -> str:
    """Return the type a column's values are read as from the JSON rows, as PostgreSQL spells it.

    Text goes as TEXT, never VARCHAR(n): an explicit cast to VARCHAR(n) would cut a
    value too long without a word, where the INSERT's own conversion refuses it.
    """
    base = type_.impl if isinstance(type_, TypeDecorator) else type_
    if isinstance(base, JSON):
        return "JSONB"
    if isinstance(base, String):
        return "TEXT"
    return base.compile(dialect=dialect)
