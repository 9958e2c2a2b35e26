"""The call-flow services: arrival, menu, queue order, results, callbacks, voicemail, connecting a worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.cases.services import caller_history
from hotline.telephony import arrival, connecting, services
from hotline.telephony.exceptions import CallNotWaiting
from hotline.telephony.line_settings import CRISIS_PRIORITY, LineSettings
from hotline.telephony.models import TelephonyCommand
from hotline.telephony.outbox import process_command
from hotline.telephony.providers import RecordingProvider

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, a Monday
NIGHT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


def arrive(db_session: Any, sid: str, number: str | None = "+8613812345678", now: datetime = NOON) -> Any:
    return arrival.receive_call(
        db_session,
        call_sid=sid,
        from_raw=number,
        to_raw="+862288880000",
        now=now,
        settings=LineSettings(),
        zone=SHANGHAI,
    )


def queued(db_session: Any, sid: str, digits: str, now: datetime) -> Any:
    call = arrive(db_session, sid, now=now).call
    services.choose_from_menu(db_session, call, digits, LineSettings(), now)
    services.enqueue_call(db_session, call, now)
    return call


def test_a_call_is_recorded_once_with_its_number_parsed_and_located(db_session: Any) -> None:
    first = arrive(db_session, "CA-s1", "13812345678")
    again = arrive(db_session, "CA-s1", "13812345678")
    assert first.created and not again.created and first.line.open
    call = again.call
    assert call.from_number == "+8613812345678" and call.caller_city  # phonenumbers' geocoder
    assert [event.kind for event in call.events] == ["created"]


def test_repeat_callers_are_recognised_by_the_keyed_hash(db_session: Any) -> None:
    first = arrive(db_session, "CA-r1").call
    second = arrive(db_session, "CA-r2").call
    history = caller_history(db_session, second.from_number, exclude_call_id=second.id)
    assert history.is_repeat_caller and [call.id for call in history.calls] == [first.id]
    withheld = arrive(db_session, "CA-r3", "anonymous").call
    assert withheld.from_number is None and withheld.events[0].data["withheld"] is True


def test_outside_hours_the_call_is_marked_closed(db_session: Any) -> None:
    arrival = arrive(db_session, "CA-c1", now=NIGHT)
    assert not arrival.line.open and arrival.call.closed_reason == "hours"
    assert [event.kind for event in arrival.call.events] == ["created", "closed"]


def test_menu_maps_keys_and_zero_is_crisis(db_session: Any) -> None:
    call = arrive(db_session, "CA-m1").call
    assert services.choose_from_menu(db_session, call, "2", LineSettings(), NOON).service == "emotional"
    crisis = arrive(db_session, "CA-m2").call
    choice = services.choose_from_menu(db_session, crisis, "0", LineSettings(), NOON)
    assert choice.service == "crisis" and crisis.priority == CRISIS_PRIORITY


def test_silence_or_wrong_keys_repeat_the_menu_three_times_then_general_queue(db_session: Any) -> None:
    call = arrive(db_session, "CA-m3").call
    actions = [
        services.choose_from_menu(db_session, call, digits, LineSettings(), NOON).action for digits in ("", "9", "*")
    ]
    assert actions == ["repeat", "repeat", "queue"] and call.service == "general"


def test_queue_order_is_priority_then_longest_wait(db_session: Any) -> None:
    early = queued(db_session, "CA-q1", "1", NOON)
    later = queued(db_session, "CA-q2", "2", NOON + timedelta(seconds=30))
    crisis = queued(db_session, "CA-q3", "0", NOON + timedelta(seconds=60))
    assert [c.call_sid for c in services.queued_calls(db_session)] == [crisis.call_sid, early.call_sid, later.call_sid]
    place = services.queue_place(db_session, later, NOON + timedelta(seconds=90), LineSettings())
    assert place.ahead == 2 and place.minutes >= 1 and not place.over_limit
    assert services.queue_place(db_session, early, NOON + timedelta(seconds=200), LineSettings()).over_limit
    # Twilio's QueueTime counts too (a virtual or skewed clock).
    assert services.queue_place(db_session, later, NOON + timedelta(seconds=31), LineSettings(), 500).over_limit


def test_queue_results_are_all_handled(db_session: Any) -> None:
    results = {}
    for index, result in enumerate(("bridged", "hangup", "leave", "redirected", "queue-full", "system-error", "new")):
        call = queued(db_session, f"CA-qr{index}", "1", NOON)
        results[result] = services.queue_result(db_session, call, result, NOON, 10)
        if result == "hangup":
            assert call.status == "completed" and call.outcome == "abandoned"
    assert results == {
        "bridged": "goodbye",
        "hangup": "nothing",
        "leave": "offer",
        "redirected": "nothing",
        "queue-full": "offer",
        "system-error": "offer",
        "new": "offer",
    }


def test_callback_needs_a_number(db_session: Any) -> None:
    call = arrive(db_session, "CA-cb1", now=NIGHT).call
    assert services.request_callback(db_session, call, NIGHT)
    withheld = arrive(db_session, "CA-cb2", "anonymous", now=NIGHT).call
    assert not services.request_callback(db_session, withheld, NIGHT)


def test_voicemail_is_stored_once_per_recording_sid(db_session: Any) -> None:
    call = arrive(db_session, "CA-vm1", now=NIGHT).call
    kwargs = {"recording_sid": "RE1", "url": "https://api.twilio.com/RE1", "duration": 12, "status": "completed"}
    assert services.store_recording(db_session, call, now=NIGHT, **kwargs)
    assert not services.store_recording(db_session, call, now=NIGHT, **kwargs)
    assert call.recording_seconds == 12 and [e.kind for e in call.events].count("voicemail") == 1
    empty = {**kwargs, "recording_sid": "RE2", "duration": 0}
    assert not services.store_recording(db_session, call, now=NIGHT, **empty)


def test_connect_to_worker_queues_a_redirect_and_an_unanswered_dial_keeps_the_place(db_session: Any) -> None:
    first = queued(db_session, "CA-w1", "1", NOON)
    second = queued(db_session, "CA-w2", "1", NOON + timedelta(seconds=20))
    command_id = connecting.connect_to_worker(db_session, first, "worker_7", now=NOON + timedelta(seconds=40))
    assert first.status == "connecting" and [c.call_sid for c in services.queued_calls(db_session)] == ["CA-w2"]
    with pytest.raises(CallNotWaiting):
        connecting.connect_to_worker(db_session, first, "worker_8")
    provider = RecordingProvider()
    assert process_command(db_session, command_id, provider, NOON) == "done"
    assert provider.redirects == [("CA-w1", "http://127.0.0.1:5000/twilio/voice/connect/CA-w1?attempt=1")]
    assert connecting.dial_target(first) == {"identity": "worker_7", "number": None, "worker_id": 7, "attempt": 1}
    assert connecting.dial_result(db_session, first, "no-answer", 0, NOON + timedelta(seconds=70)) == "requeue"
    services.enqueue_call(db_session, first, NOON + timedelta(seconds=71))
    assert first.queued_at == NOON  # the original place, ahead of the later caller
    assert [c.call_sid for c in services.queued_calls(db_session)] == ["CA-w1", "CA-w2"]
    assert second.status == "queued"
    command = db_session.scalar(select(TelephonyCommand).where(TelephonyCommand.id == command_id))
    assert command.kind == "redirect_call" and command.attempts == 1


def test_connect_to_a_phone_number_and_refuse_other_targets(db_session: Any) -> None:
    call = queued(db_session, "CA-w3", "1", NOON)
    connecting.connect_to_worker(db_session, call, "+8613900000001", now=NOON)
    assert connecting.dial_target(call)["number"] == "+8613900000001"
    other = queued(db_session, "CA-w4", "1", NOON)
    with pytest.raises(ValueError):
        connecting.connect_to_worker(db_session, other, "alice")


@pytest.fixture
def engine_session(app: Any) -> Any:
    """A session drawing connections from the engine, as in production (committed for real, deleted afterwards)."""
    from sqlalchemy.orm import Session

    from hotline.extensions import db
    from tests.conftest import truncate_all

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the single-statement arrival in autocommit is PostgreSQL's (set DATABASE_URL)")
        with Session(db.engine) as session:
            try:
                yield session
            finally:
                session.rollback()
                truncate_all(app)


def autocommit_of_each_statement(session: Any) -> list[bool]:
    """Record, for every statement the engine runs from now on, whether its connection was in autocommit."""
    from sqlalchemy import event

    seen: list[bool] = []
    event.listen(
        session.get_bind(),
        "before_cursor_execute",
        lambda connection, *_: seen.append(connection.connection.dbapi_connection.autocommit),
    )
    return seen


def test_on_postgresql_a_new_session_records_the_arrival_in_one_autocommitted_statement(engine_session: Any) -> None:
    from sqlalchemy import text

    from hotline.telephony.models import Call

    seen = autocommit_of_each_statement(engine_session)
    first = arrive(engine_session, "CA-auto-1")
    # The day's calendar is read first, in a short transaction of its own; the record goes in alone.
    assert first.created and seen[-1] is True and seen.count(True) == 1
    # Stored for everyone at once, with its first event, and a retry finds it.
    with engine_session.get_bind().connect() as other:
        events = text("SELECT count(*) FROM call_events WHERE call_id = :id")
        assert other.execute(events, {"id": first.call_id}).scalar() == 1
    again = arrive(engine_session, "CA-auto-1")
    assert not again.created and again.call_id == first.call_id
    # The connection went back to the pool as it came: the next transaction is a real one again.
    engine_session.rollback()
    engine_session.add(Call(call_sid="CA-auto-rolled-back", direction="inbound", status="ringing", created_at=NOON))
    engine_session.flush()
    engine_session.rollback()
    assert seen[-1] is False
    assert engine_session.scalar(select(Call).where(Call.call_sid == "CA-auto-rolled-back")) is None


def test_on_postgresql_an_arrival_joins_the_transaction_its_session_already_holds(engine_session: Any) -> None:
    from hotline.telephony.models import Call

    engine_session.scalar(select(Call.id).limit(1))  # the session's transaction has begun
    seen = autocommit_of_each_statement(engine_session)
    arrival = arrive(engine_session, "CA-auto-2")
    assert arrival.created and seen and True not in seen
    assert engine_session.get(Call, arrival.call_id).call_sid == "CA-auto-2"
