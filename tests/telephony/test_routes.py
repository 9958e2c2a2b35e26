"""The webhooks over HTTP: signatures, the flow's TwiML, odd parameters never answer 500, SMS replies."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from hotline import signals
from hotline.telephony.models import Call, CallEvent
from tests.support.signing import twilio_signature
from tests.telephony.conftest import said, verbs

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
NIGHT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
CALLER = "+8613812345678"
WEBHOOKS = [
    "/twilio/voice/incoming",
    "/twilio/voice/menu",
    "/twilio/voice/enqueue",
    "/twilio/voice/queue/wait",
    "/twilio/voice/queue/result",
    "/twilio/voice/options",
    "/twilio/voice/voicemail/done",
    "/twilio/voice/recording",
    "/twilio/voice/connect/CA-odd",
    "/twilio/voice/dial-result/CA-odd",
    "/twilio/voice/status",
    "/twilio/voice/fallback",
    "/twilio/sms/incoming",
]


def test_forged_or_missing_signature_is_refused_and_changes_nothing(app: Flask, client: Any, db_session: Any) -> None:
    params = {"CallSid": "CA-forged", "From": CALLER, "To": "+862288880000"}
    forged = client.post("/twilio/voice/incoming", data=params, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    missing = client.post("/twilio/voice/incoming", data=params)
    # Signed for other parameters: the signature covers every POST parameter.
    tampered = client.post(
        "/twilio/voice/incoming",
        data={**params, "From": "+8613900000000"},
        headers={"X-Twilio-Signature": twilio_signature(app, "/twilio/voice/incoming", params)},
    )
    assert (forged.status_code, missing.status_code, tampered.status_code) == (403, 403, 403)
    assert db_session.scalar(select(func.count(Call.id))) == 0


def test_incoming_call_in_hours_gets_the_menu_and_is_recorded_once(twilio_post: Any, db_session: Any) -> None:
    received: list[int] = []

    def on_created(sender: Any, call_id: int) -> None:
        received.append(call_id)

    signals.call_created.connect(on_created)
    try:
        with time_machine.travel(NOON, tick=False):
            first = twilio_post("/twilio/voice/incoming", CallSid="CA-r1", From=CALLER, To="+862288880000")
            again = twilio_post("/twilio/voice/incoming", CallSid="CA-r1", From=CALLER, To="+862288880000")
    finally:
        signals.call_created.disconnect(on_created)
    assert first.status_code == 200 and first.mimetype == "text/xml"
    assert verbs(first) == ["Gather", "Say", "Say", "Say", "Redirect"] and "信息和政策咨询请按1" in said(first)
    assert verbs(again) == verbs(first)
    assert db_session.scalar(select(func.count(Call.id))) == 1 and len(received) == 1


def test_menu_to_queue_to_wait_announces_the_place(twilio_post: Any, db_session: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        for sid in ("CA-r2", "CA-r3"):
            twilio_post("/twilio/voice/incoming", CallSid=sid, From=CALLER, To="+862288880000")
        queued = twilio_post("/twilio/voice/menu", CallSid="CA-r2", Digits="1")
        crisis = twilio_post("/twilio/voice/menu", CallSid="CA-r3", Digits="0")
        wait = twilio_post("/twilio/voice/queue/wait", CallSid="CA-r2", QueueTime="10", QueuePosition="1")
    assert verbs(queued) == ["Say", "Enqueue"] and verbs(crisis) == ["Say", "Enqueue"]
    assert "1位" in said(wait)  # behind the crisis call, whatever Twilio's own position says
    assert verbs(wait) == ["Say", "Pause"]


def test_outside_hours_offers_voicemail_and_callback(twilio_post: Any, db_session: Any) -> None:
    with time_machine.travel(NIGHT, tick=False):
        closed = twilio_post("/twilio/voice/incoming", CallSid="CA-r4", From=CALLER, To="+862288880000")
        callback = twilio_post("/twilio/voice/options", CallSid="CA-r4", Digits="2")
    assert "每天9:00至17:00" in said(closed) and "110" in said(closed)
    assert verbs(callback) == ["Say", "Hangup"] and "回电" in said(callback)
    call = db_session.scalar(select(Call).where(Call.call_sid == "CA-r4"))
    assert "callback-requested" in {event.kind for event in call.events}


def test_sms_reply_comes_from_the_first_receiver_that_answers(twilio_post: Any) -> None:
    def silent(sender: Any, **data: Any) -> None:
        return None

    def replier(sender: Any, message_sid: str, from_number: str | None, body: str) -> str:
        return f"收到 {body}"

    signals.sms_received.connect(silent)
    signals.sms_received.connect(replier)
    try:
        reply = twilio_post("/twilio/sms/incoming", MessageSid="SM1", From=CALLER, Body="ACK 12")
    finally:
        signals.sms_received.disconnect(silent)
        signals.sms_received.disconnect(replier)
    assert "<Message>收到 ACK 12</Message>" in reply.get_data(as_text=True)
    nobody = twilio_post("/twilio/sms/incoming", MessageSid="SM2", From=CALLER, Body="hi")
    assert nobody.get_data(as_text=True).endswith("<Response />")


def test_a_failing_signal_receiver_never_reaches_the_caller(twilio_post: Any) -> None:
    def broken(sender: Any, call_id: int) -> None:
        raise RuntimeError("another package's bug")

    signals.call_created.connect(broken)
    try:
        with time_machine.travel(NOON, tick=False):
            response = twilio_post("/twilio/voice/incoming", CallSid="CA-r5", From=CALLER, To="+862288880000")
    finally:
        signals.call_created.disconnect(broken)
    assert response.status_code == 200 and "Gather" in verbs(response)


ODD_PARAMETERS = [
    {},
    {"CallSid": ""},
    {"CallSid": "CA-unknown"},
    {"CallSid": "CA-odd", "Digits": "abc", "QueueTime": "soon", "RecordingDuration": "-", "SequenceNumber": "x"},
    {"CallSid": "CA-odd", "QueueResult": "🤷", "DialCallStatus": "", "CallStatus": "weird", "RecordingSid": "RE-x"},
    {"CallSid": "'; DROP TABLE calls; --", "From": "not a number", "To": "", "Body": "x" * 5000},
    {"CallSid": "CA-odd", "From": "client:worker_1", "ParentCallSid": "CA-missing", "CallStatus": "completed"},
]


@pytest.mark.parametrize(("path", "params"), list(itertools.product(WEBHOOKS, ODD_PARAMETERS)))
def test_odd_parameters_still_get_valid_twiml_never_500(twilio_post: Any, path: str, params: dict[str, str]) -> None:
    with time_machine.travel(NOON, tick=False):
        response = twilio_post(path, **params)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    if response.status_code == 200:
        verbs(response)  # parses as a <Response>


def test_a_database_failure_still_answers_safe_twiml(app: Flask, twilio_post: Any, db_session: Any) -> None:
    from hotline.telephony import arrival

    original = arrival.receive_call

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database unreachable")

    arrival.receive_call = failing
    try:
        response = twilio_post("/twilio/voice/incoming", CallSid="CA-r6", From=CALLER, To="+862288880000")
    finally:
        arrival.receive_call = original
    assert response.status_code == 200 and verbs(response) == ["Say", "Enqueue"]
    assert "很抱歉" in said(response)


def test_status_callbacks_are_deduplicated_over_http(twilio_post: Any, db_session: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        twilio_post("/twilio/voice/incoming", CallSid="CA-r7", From=CALLER, To="+862288880000")
        for _ in range(2):
            assert (
                twilio_post(
                    "/twilio/voice/status", CallSid="CA-r7", CallStatus="completed", SequenceNumber="2"
                ).status_code
                == 204
            )
        twilio_post("/twilio/voice/status", CallSid="CA-r7", CallStatus="ringing", SequenceNumber="0")
    call = db_session.scalar(select(Call).where(Call.call_sid == "CA-r7"))
    statuses = db_session.scalars(
        select(CallEvent.data).where(CallEvent.call_id == call.id, CallEvent.kind == "status")
    )
    assert call.status == "completed" and len(list(statuses)) == 2


def test_after_the_worker_hangs_up_the_caller_is_asked_the_satisfaction_question(
    twilio_post: Any, db_session: Any
) -> None:
    from hotline.telephony import connecting

    with time_machine.travel(NOON, tick=False):
        twilio_post("/twilio/voice/incoming", CallSid="CA-sv", From=CALLER, To="+862288880000")
        twilio_post("/twilio/voice/menu", CallSid="CA-sv", Digits="2")
        call = db_session.scalar(select(Call).where(Call.call_sid == "CA-sv"))
        connecting.connect_to_worker(db_session, call, "worker_7", now=NOON)
        talked = twilio_post(
            "/twilio/voice/dial-result/CA-sv", CallSid="CA-sv", DialCallStatus="completed", DialCallDuration="95"
        )
    assert verbs(talked) == ["Redirect"]
    assert talked.get_data(as_text=True).count("/twilio/survey/CA-sv") == 1


def test_the_calendar_is_kept_a_few_seconds_and_dropped_when_this_process_changes_a_day(
    app: Flask, twilio_post: Any, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The arrival reads no calendar row while its copy is fresh: another process's edit shows within the ttl."""
    from hotline.telephony.routes.voice import CALENDAR_CACHE
    from hotline.workdays import services as workdays
    from hotline.workdays.models import CalendarDay

    monkeypatch.setitem(app.config, "LINE_SETTINGS_CACHE_SECONDS", 60)
    monkeypatch.delitem(app.extensions, CALENDAR_CACHE, raising=False)
    today = NOON.date()  # a Monday, an ordinary working day

    def closed(sid: str) -> bool:
        with time_machine.travel(NOON, tick=False):
            return "节假日" in said(twilio_post("/twilio/voice/incoming", CallSid=sid, From=CALLER, To="+862288880000"))

    assert not closed("CA-day1")
    # Another process makes the day a holiday (written without the ORM's bookkeeping): not seen yet...
    db_session.execute(
        CalendarDay.__table__.update()
        .where(CalendarDay.day == today)
        .values(kind="holiday", holiday_name="测试假日", source="manager")
    )
    assert not closed("CA-day2")
    # ... until the copy is older than LINE_SETTINGS_CACHE_SECONDS.
    app.extensions[CALENDAR_CACHE].copies[today].loaded_at -= 61
    assert closed("CA-day3")
    # A change this process commits is heard on the next call.
    workdays.set_day(db_session, today, "working", None, actor_id=None)
    assert not closed("CA-day4")


def test_line_settings_are_kept_a_few_seconds_and_dropped_when_this_process_saves_a_change(
    app: Flask, twilio_post: Any, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.settings import Setting
    from hotline.telephony.line_settings import Prompt, load_line_settings, save_line_settings
    from hotline.telephony.routes.voice import SETTINGS_CACHE

    monkeypatch.setitem(app.config, "LINE_SETTINGS_CACHE_SECONDS", 60)
    monkeypatch.delitem(app.extensions, SETTINGS_CACHE, raising=False)

    def greeting(sid: str) -> str:
        with time_machine.travel(NOON, tick=False):
            return said(twilio_post("/twilio/voice/incoming", CallSid=sid, From=CALLER, To="+862288880000"))

    assert "您好，这里是社会工作服务热线" in greeting("CA-cache1")
    # Another process changes the greeting (written here without the ORM session's bookkeeping): not seen yet.
    other = {"prompts": {"greeting": {"text": "另一个进程的问候。"}}}
    db_session.execute(Setting.__table__.insert().values(key="telephony.prompts", value=other, updated_at=NOON))
    assert "另一个进程的问候" not in greeting("CA-cache2")
    # ... until the copy is older than LINE_SETTINGS_CACHE_SECONDS.
    app.extensions[SETTINGS_CACHE].copies[None].loaded_at -= 61
    assert "另一个进程的问候" in greeting("CA-cache3")
    # A change saved by this process is heard on the next call.
    settings = load_line_settings(db_session)
    settings.prompts["greeting"] = Prompt("新的问候。")
    save_line_settings(db_session, settings, actor_id=None)
    assert "新的问候" in greeting("CA-cache4")
