"""The incoming-call fast lane on PostgreSQL: the application's answer for a new call, everything else handed on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.test import Client

from hotline import signals
from hotline.extensions import db
from hotline.ops.metrics import REGISTRY
from hotline.telephony.arrival_writer import ArrivalWriter
from hotline.telephony.fast_lane import PATH, ArrivalFastLane, announce_written
from hotline.telephony.line_settings import SettingsCache
from hotline.telephony.models import Call, CallEvent
from hotline.telephony.routes import SETTINGS_CACHE
from tests.conftest import truncate_all
from tests.support.signing import twilio_signature
from tests.telephony.conftest import said, verbs

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
NIGHT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
CALLER = "+8613812345678"
HOTLINE = "+862288880000"


@pytest.fixture
def lane(app: Flask) -> Iterator[ArrivalFastLane]:
    """The fast lane in front of the suite's app on PostgreSQL, settings kept a minute; commits deleted afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the fast lane is PostgreSQL's (set DATABASE_URL)")
        writer = ArrivalWriter(db.engine, on_written=announce_written, context=app.app_context)
    saved = app.config["LINE_SETTINGS_CACHE_SECONDS"]
    app.config["LINE_SETTINGS_CACHE_SECONDS"] = 60
    app.extensions.pop(SETTINGS_CACHE, None)
    try:
        yield ArrivalFastLane(app.wsgi_app, app, writer)
    finally:
        app.config["LINE_SETTINGS_CACHE_SECONDS"] = saved
        app.extensions.pop(SETTINGS_CACHE, None)
        writer.close()
        truncate_all(app)


def post(app: Flask, lane: ArrivalFastLane, **params: str) -> Any:
    """POST a signed incoming-call webhook through the lane."""
    headers = {"X-Twilio-Signature": twilio_signature(app, PATH, params)}
    return Client(lane).post(PATH, data=params, headers=headers)


def stored(app: Flask, call_sid: str) -> tuple[Call, list[CallEvent]]:
    """Return a call as the ORM reads it, with its events."""
    with app.app_context(), Session(db.engine) as session:
        call = session.scalar(select(Call).where(Call.call_sid == call_sid))
        assert call is not None
        events = list(session.scalars(select(CallEvent).where(CallEvent.call_id == call.id)))
        session.expunge_all()
        return call, events


def served() -> float:
    """Return how many incoming-call webhooks were answered 200 so far (the Prometheus counter)."""
    return REGISTRY.get_sample_value("hotline_webhook_responses_total", {"route": PATH, "status": "200"}) or 0.0


def lane_answers() -> float:
    """Return how many webhooks the fast lane answered so far (the Prometheus counter)."""
    return REGISTRY.get_sample_value("hotline_webhook_fast_lane_answers_total") or 0.0


def test_a_new_call_on_an_open_line_gets_the_applications_answer_from_the_fast_lane(
    app: Flask, lane: ArrivalFastLane
) -> None:
    received: list[int] = []

    def on_created(sender: Any, call_id: int) -> None:
        received.append(call_id)

    signals.call_created.connect(on_created)
    counted, lane_before = served(), lane_answers()
    try:
        with time_machine.travel(NOON, tick=False):
            first = post(app, lane, CallSid="CA-lane-1", From=CALLER, To=HOTLINE)
            assert lane_answers() == lane_before  # no settings read yet: the application answered (and read them)
            second = post(app, lane, CallSid="CA-lane-2", From=CALLER, To=HOTLINE)
            assert lane_answers() == lane_before + 1
    finally:
        signals.call_created.disconnect(on_created)

    assert second.status_code == 200 and second.mimetype == "text/xml"
    assert second.get_data() == first.get_data() and "信息和政策咨询请按1" in said(second)
    by_app, app_events = stored(app, "CA-lane-1")
    by_lane, lane_events = stored(app, "CA-lane-2")
    different = {"id", "call_sid", "from_hash"}
    columns = [column.key for column in Call.__table__.columns if column.key not in different]
    assert {key: getattr(by_lane, key) for key in columns} == {key: getattr(by_app, key) for key in columns}
    assert by_lane.from_number == CALLER and by_lane.from_hash and by_lane.caller_city
    assert [(event.kind, event.data, event.at) for event in lane_events] == [("created", {"withheld": False}, NOON)]
    assert [(event.kind, event.data) for event in app_events] == [("created", {"withheld": False})]
    assert received == [by_app.id, by_lane.id]  # the signal went out for both
    assert served() == counted + 2  # the lane's answer is in the webhook metrics too


def test_what_the_fast_lane_does_not_answer_gets_the_applications_usual_answer(
    app: Flask, lane: ArrivalFastLane
) -> None:
    lane_before = lane_answers()
    with time_machine.travel(NOON, tick=False):
        first = post(app, lane, CallSid="CA-lane-warm", From=CALLER, To=HOTLINE)
        retried = post(app, lane, CallSid="CA-lane-warm", From=CALLER, To=HOTLINE)
        forged = Client(lane).post(PATH, data={"CallSid": "CA-lane-forged"}, headers={"X-Twilio-Signature": "bm90"})
        no_sid = post(app, lane, From=CALLER, To=HOTLINE)
        with_query = Client(lane).post(f"{PATH}?x=1", data={"CallSid": "CA-lane-q"})
        twice = Client(lane).post(
            PATH,
            data="CallSid=CA-lane-a&CallSid=CA-lane-b",
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": twilio_signature(app, PATH, {"CallSid": "CA-lane-a"})},
        )
        too_long = post(app, lane, CallSid="CA-" + "x" * 100, From=CALLER, To=HOTLINE)
    with time_machine.travel(NIGHT, tick=False):
        closed = post(app, lane, CallSid="CA-lane-night", From=CALLER, To=HOTLINE)

    assert lane_answers() == lane_before
    assert retried.get_data() == first.get_data()  # a retried webhook: the stored call's answer
    assert [event.kind for event in stored(app, "CA-lane-warm")[1]] == ["created"]
    assert forged.status_code == 403 and with_query.status_code == 403
    assert verbs(no_sid) == ["Say", "Enqueue"] and "系统暂时出现问题" in said(no_sid)  # the apology, held in the queue
    assert twice.status_code == 200 and "Gather" in verbs(twice)  # the application takes the first CallSid
    assert too_long.status_code == 200 and "系统暂时出现问题" in said(too_long)  # the database refused it: safe TwiML
    assert "每天9:00至17:00" in said(closed)
    assert [event.kind for event in stored(app, "CA-lane-night")[1]] == ["created", "closed"]


def test_the_lane_is_installed_only_on_postgresql_when_switched_on(app: Flask) -> None:
    from hotline.telephony import fast_lane

    installed = "hotline_fast_lane" in app.extensions
    assert not installed  # the suite's app: switched off (tests' sessions are bound to rolled-back connections)
    before = app.wsgi_app
    app.config["TELEPHONY_FAST_LANE"] = True
    try:
        fast_lane.install(app)
        with app.app_context():
            expected = db.engine.dialect.name == "postgresql"
        assert isinstance(app.wsgi_app, ArrivalFastLane) is expected
    finally:
        app.config["TELEPHONY_FAST_LANE"] = False
        app.wsgi_app = before  # type: ignore[method-assign]
        app.extensions.pop("hotline_fast_lane", None)


def test_stale_settings_are_read_again_by_the_lane_and_never_outlive_a_saved_change(
    app: Flask, lane: ArrivalFastLane
) -> None:
    with time_machine.travel(NOON, tick=False):
        post(app, lane, CallSid="CA-stale-0", From=CALLER, To=HOTLINE)  # no copy yet: the application reads them
        cache = app.extensions[SETTINGS_CACHE]
        before = lane_answers()

        cache.loaded_at -= 61  # the copy is past LINE_SETTINGS_CACHE_SECONDS (60 here)
        old = cache.settings
        post(app, lane, CallSid="CA-stale-1", From=CALLER, To=HOTLINE)
        assert lane_answers() == before + 1  # the lane read them again and answered
        assert cache.settings is not old and cache.fresh(60) is cache.settings

        cache.loaded_at -= 61  # stale, and a webhook began to read them a moment ago: the copy serves meanwhile
        lane.refresh_started = time.monotonic()
        old = cache.settings
        post(app, lane, CallSid="CA-stale-2", From=CALLER, To=HOTLINE)
        assert lane_answers() == before + 2 and cache.settings is old

        menu = post(app, lane, CallSid="CA-stale-3", From=CALLER, To=HOTLINE).get_data(as_text=True)
        cache.settings.rendered.clear()  # a copy just read, its menu not rendered yet: the lane renders it
        assert post(app, lane, CallSid="CA-stale-4", From=CALLER, To=HOTLINE).get_data(as_text=True) == menu
        assert lane_answers() == before + 4

        SettingsCache.changed()  # a manager saved a change in this process: the old copy is never used again
        post(app, lane, CallSid="CA-stale-5", From=CALLER, To=HOTLINE)
        assert lane_answers() == before + 4
    assert [stored(app, f"CA-stale-{n}")[1][0].kind for n in range(6)] == ["created"] * 6


def test_settings_the_lane_cannot_read_again_send_the_webhook_to_the_application(
    app: Flask, lane: ArrivalFastLane
) -> None:
    with time_machine.travel(NOON, tick=False):
        post(app, lane, CallSid="CA-unread-0", From=CALLER, To=HOTLINE)
        cache = app.extensions[SETTINGS_CACHE]
        before = lane_answers()
        cache.loaded_at -= 61
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE settings RENAME TO settings_away"))
        try:
            failed = post(app, lane, CallSid="CA-unread-1", From=CALLER, To=HOTLINE)
            meanwhile = post(app, lane, CallSid="CA-unread-2", From=CALLER, To=HOTLINE)  # within the grace
        finally:
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(text("ALTER TABLE settings_away RENAME TO settings"))
        assert failed.status_code == 200 and "系统暂时出现问题" in said(failed)  # the application's safe answer
        assert meanwhile.status_code == 200 and "Gather" in verbs(meanwhile)
        assert lane_answers() == before + 1  # the failed reading's webhook went to the application

        lane.refresh_started -= 2  # past the grace: the next webhook reads them again, and now can
        post(app, lane, CallSid="CA-unread-3", From=CALLER, To=HOTLINE)
        assert lane_answers() == before + 2 and cache.fresh(60) is cache.settings
