"""The declarative base shared by every model, with column types used across packages."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from flask import has_request_context
from sqlalchemy import JSON, DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Give back an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
utc_datetime = Annotated[datetime, mapped_column(UTCDateTime())]
e164 = Annotated[str, mapped_column(String(20))]
"""A phone number in E.164 form (+8613812345678), for staff and directory numbers."""
short_text = Annotated[str, mapped_column(String(200))]
code = Annotated[str, mapped_column(String(40))]


class Base(DeclarativeBase):
    """Declarative base for every Hotline model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: JSONType,
            list[str]: JSONType,
            list[int]: JSONType,
        },
    )


_IMMEDIATE: ContextVar[bool] = ContextVar("hotline_sqlite_begin_immediate", default=False)


@contextmanager
def immediate_transactions() -> Iterator[None]:
    """Begin SQLite transactions IMMEDIATE inside this block, as in a request (see hotline.database_pragmas)."""
    token = _IMMEDIATE.set(True)
    try:
        yield
    finally:
        _IMMEDIATE.reset(token)


def begins_immediate() -> bool:
    """Return whether a SQLite transaction beginning now should take the write lock at once.

    Yes for a web request or a scheduled job: their transactions are short and
    may write after reading. No elsewhere (a shell, a test's own reads): a read
    left open there would otherwise hold every writer off. And never in a gevent
    process: SQLite waits for the lock in C (busy_timeout), which no other
    greenlet can interrupt, so the greenlet holding the lock could not run to
    release it and the whole process would stall (measured: the busy-day
    benchmark answered 1 call in 500). There, a writer that finds the lock
    taken fails at once, as before; run SQLite under gthread (docs/deploy.md).
    """
    return (has_request_context() or _IMMEDIATE.get()) and not _gevent_patched()


def _gevent_patched() -> bool:
    """Return whether gevent has patched this process's threads (gunicorn's gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("threading"))


UNMAPPED_TABLES = ("knowledge_fts",)
"""Tables the migrations create but no model maps (full-text indexes, with FTS5's shadow tables)."""


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Tell Alembic to leave the unmapped tables alone when it compares the schema with the models."""
    if type_ == "table" and name:
        return not any(name == table or name.startswith(f"{table}_") for table in UNMAPPED_TABLES)
    return True


def ping_idle_connections(engine: Any, idle_seconds: float) -> None:
    """Test a pooled connection with `SELECT 1` on check-out when it sat idle longer than `idle_seconds`.

    A connection the database dropped (a PostgreSQL restart) is then replaced
    before the request uses it; one in steady use is not pinged, which spares a
    round trip on every request under load (SQLAlchemy's `pool_pre_ping` pings
    every check-out). A connection that breaks while in use is detected by
    SQLAlchemy, which then discards every connection of the pool.
    """
    from sqlalchemy import event, exc

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since <= idle_seconds:
            return  # just opened, or in steady use
        try:
            # The dialect's own ping: on PostgreSQL it pings in autocommit, so the
            # connection is not left inside a transaction it would then refuse to
            # switch to autocommit from (the arrival's single statement does that).
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001  (any failure means: use a new connection)
            raise exc.DisconnectionError(f"idle connection dropped: {type(error).__name__}") from error


class CommitWatch:
    """Counts this process's committed changes to the rows `concerns` picks: a cache's cue to read them again.

    Make one per kind of row, at import time (it listens on every session).
    Changes made without the ORM's unit of work (Core statements) are not seen.
    """

    def __init__(self, name: str, concerns: Callable[[Any], bool]) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        self.generation = 0
        self.concerns = concerns
        self._flag = f"changed:{name}"
        event.listen(Session, "before_flush", self._flushing)
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_soft_rollback", self._rolled_back)

    def _flushing(self, session: Any, _context: Any, _instances: Any) -> None:
        if self._flag not in session.info and any(
            self.concerns(row) for row in (*session.new, *session.dirty, *session.deleted)
        ):
            session.info[self._flag] = True

    def _committed(self, session: Any) -> None:
        if session.info.pop(self._flag, False):
            self.generation += 1

    def _rolled_back(self, session: Any, _previous: Any) -> None:
        session.info.pop(self._flag, None)  # a copy read meanwhile came from the committed rows


@dataclass
class Copy:
    """One value a process read, when, and the watch's generation then."""

    value: Any
    loaded_at: float
    generation: int


class ProcessCopies:
    """A process's copies of values read from rows that rarely change, for the requests every call goes through.

    A copy is used for at most `ttl` seconds (another process's change is seen
    within that), and not at all once this process committed a change its
    `watch` concerns. A `ttl` of 0 reads every time.
    """

    def __init__(self, watch: CommitWatch) -> None:
        self.watch = watch
        self.copies: dict[Hashable, Copy] = {}

    def get(self, key: Hashable, ttl: float, load: Callable[[], Any]) -> Any:
        """Return the fresh copy of `key`, or `load()` it (and keep it)."""
        copy = self.copies.get(key)
        now = time.monotonic()
        if copy is not None and now - copy.loaded_at < ttl and copy.generation == self.watch.generation:
            return copy.value
        generation = self.watch.generation
        value = load()
        self.copies[key] = Copy(value, now, generation)
        return value

    def last(self, key: Hashable) -> Any:
        """Return the last value read for `key`, fresh or not (None if never read): for fallbacks."""
        copy = self.copies.get(key)
        return None if copy is None else copy.value
