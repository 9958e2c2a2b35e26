"""Group commit of arriving calls on PostgreSQL: concurrent arrivals in few statements, nothing lost or doubled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from hotline.extensions import db
from hotline.ops.metrics import REGISTRY
from hotline.telephony.arrival_writer import ArrivalNotWritten, ArrivalWriter
from hotline.telephony.models import Call
from hotline.telephony.services import new_call_row
from tests.conftest import truncate_all

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def writer(app: Flask) -> Iterator[ArrivalWriter]:
    """A writer on the suite's PostgreSQL database; what it commits is deleted afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the arrival writer is PostgreSQL's (set DATABASE_URL)")
        writer = ArrivalWriter(db.engine, wait_seconds=5)
        try:
            yield writer
        finally:
            writer.close()
            truncate_all(app)


def row(call_sid: str, caller: str | None = "+8613812345678") -> dict[str, Any]:
    return new_call_row(
        call_sid=call_sid, direction="inbound", from_number=caller, status="ringing", created_at=NOON, to_number="+8622"
    )


def write_in_threads(app: Flask, writer: ArrivalWriter, sids: list[str]) -> list[Any]:
    """Write one arrival per CallSid from as many threads, all released at once; return ids or errors."""
    start = threading.Barrier(len(sids))

    def write(sid: str) -> Any:
        with app.app_context():
            start.wait()
            try:
                return writer.write(row(sid), [("created", {"withheld": False})])
            except ArrivalNotWritten as exc:
                return exc

    with ThreadPoolExecutor(len(sids)) as pool:
        return list(pool.map(write, sids))


def statements() -> float:
    """Return how many batch statements were written so far (the Prometheus counter)."""
    return REGISTRY.get_sample_value("hotline_arrival_batches_total") or 0.0


def stored(sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with db.engine.connect() as connection:
        return [tuple(found) for found in connection.execute(text(sql), params)]


def test_concurrent_arrivals_are_written_together_each_once_with_its_event(app: Flask, writer: ArrivalWriter) -> None:
    sids = [f"CA-batch-{number:02d}" for number in range(40)]
    batches = statements()
    ids = write_in_threads(app, writer, sids)

    assert all(isinstance(call_id, int) for call_id in ids) and len(set(ids)) == 40
    assert (
        REGISTRY.get_sample_value("hotline_arrival_batches_total") - batches < 40
    )  # arrivals that came in while a batch was written went together
    calls = stored("SELECT id, call_sid FROM calls WHERE call_sid LIKE 'CA-batch-%' ORDER BY call_sid")
    assert calls == sorted(zip(ids, sids, strict=True), key=lambda pair: pair[1])
    events = stored("SELECT call_id, kind, data::text FROM call_events ORDER BY call_id")
    assert events == sorted((call_id, "created", '{"withheld": false}') for call_id in ids)
    # Stored as the ORM stores a call: the number encrypted, read back in clear, times in UTC.
    with Session(db.engine) as session:
        call = session.get(Call, ids[0])
        assert call is not None and call.from_number == "+8613812345678" and call.created_at == NOON
        raw = stored("SELECT from_number FROM calls WHERE id = :id", id=ids[0])[0][0]
        assert "13812345678" not in raw


def test_the_writer_of_a_batch_hands_its_new_calls_on_once_and_a_failure_there_loses_nothing(
    app: Flask, writer: ArrivalWriter
) -> None:
    handed: list[list[int]] = []

    def on_written(written: list[tuple[int, dict[str, Any]]]) -> None:
        handed.append([call_id for call_id, _row in written])
        assert all(row["call_sid"].startswith("CA-handed-") for _call_id, row in written)
        raise RuntimeError("the message queue is down")  # logged; the calls are stored and answered all the same

    writer.on_written = on_written
    ids = write_in_threads(app, writer, [f"CA-handed-{number:02d}" for number in range(30)] + ["CA-handed-00"])

    new = [call_id for call_id in ids if isinstance(call_id, int)]
    assert len(new) == 30 and ids.count(None) == 1  # the repeated CallSid is handed on with the first only
    assert sorted(call_id for batch in handed for call_id in batch) == sorted(new)
    assert len(stored("SELECT id FROM calls WHERE call_sid LIKE 'CA-handed-%'")) == 30


def test_a_callsid_stored_already_or_twice_at_once_is_written_once(app: Flask, writer: ArrivalWriter) -> None:
    first = writer.write(row("CA-twice"), [("created", {"withheld": False})])
    assert isinstance(first, int)
    assert writer.write(row("CA-twice"), [("created", {"withheld": False})]) is None

    ids = write_in_threads(app, writer, ["CA-at-once"] * 12)
    assert len([call_id for call_id in ids if isinstance(call_id, int)]) == 1
    assert [call_id for call_id in ids if not isinstance(call_id, int)] == [None] * 11
    counts = "SELECT c.call_sid, count(e.id) FROM calls c JOIN call_events e ON e.call_id = c.id GROUP BY c.call_sid"
    assert sorted(stored(counts)) == [("CA-at-once", 1), ("CA-twice", 1)]


def test_a_failing_batch_is_reported_to_each_webhook_and_the_next_one_is_written(writer: ArrivalWriter) -> None:
    with pytest.raises(ArrivalNotWritten):
        writer.write(row("CA-" + "x" * 100), [("created", {})])  # longer than the column: the database refuses
    assert isinstance(writer.write(row("CA-after-failure"), [("created", {})]), int)


def test_a_webhook_that_waits_too_long_takes_its_arrival_back(app: Flask, writer: ArrivalWriter) -> None:
    writer.wait_seconds = 0.5
    with db.engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE calls IN EXCLUSIVE MODE"))  # the leader's statement waits for this
        leader = threading.Thread(target=write_in_threads, args=(app, writer, ["CA-leader"]))
        leader.start()
        for _ in range(100):
            if writer._busy:
                break
            time.sleep(0.01)
        time.sleep(0.2)
        with pytest.raises(ArrivalNotWritten, match="in time"):
            writer.write(row("CA-gave-up"), [("created", {})])
        blocker.rollback()
    leader.join(timeout=10)

    assert stored("SELECT call_sid FROM calls ORDER BY call_sid") == [("CA-leader",)]
    assert writer._pending == [] and not writer._busy
    assert isinstance(writer.write(row("CA-gave-up"), [("created", {})]), int)  # its retry is written


def test_a_webhook_taken_into_a_batch_the_database_holds_up_gives_up_after_a_second_bounded_wait(
    app: Flask, writer: ArrivalWriter
) -> None:
    writer.wait_seconds = 0.4
    leading = threading.Event()

    @contextmanager
    def slow_to_take() -> Iterator[None]:  # entered by the leader before it takes the batch: a follower queues
        leading.set()
        time.sleep(0.2)
        yield

    writer.context = slow_to_take
    with db.engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE calls IN EXCLUSIVE MODE"))  # the leader's statement waits for this
        leader = threading.Thread(target=write_in_threads, args=(app, writer, ["CA-leader"]))
        leader.start()
        assert leading.wait(5)
        started = time.monotonic()
        with pytest.raises(ArrivalNotWritten, match="taken into"):
            writer.write(row("CA-taken"), [("created", {})])
        waited = time.monotonic() - started
        blocker.rollback()
    leader.join(timeout=10)

    assert 0.8 <= waited < 5  # its first wait, then a second one as long, not an endless one
    # The batch went in whole once the table was free (the application's own ON CONFLICT insert finds it).
    assert stored("SELECT call_sid FROM calls ORDER BY call_sid") == [("CA-leader",), ("CA-taken",)]
    assert writer._pending == [] and not writer._busy
