"""A manager's test call from the directory page, end to end on the simulated line (the gateway engine):
the line rings the entry's number, plays the test message, and the page shows answered, busy, no answer or failed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.directory.models import DirectoryTestCall, ExpertVolunteer, Station
from hotline.extensions import db
from hotline.gateway.media.simulated import CallerScript
from hotline.telephony.providers import TelephonyError
from tests.conftest import csrf_token, log_in, truncate_all, user_builder
from tests.support.simulator import simulated_line
from tests.support.waiting import until

STATION_PHONE = "+8613900000001"


@pytest.fixture
def committed(app: Flask, live_server: Any) -> Iterator[Any]:
    """A session whose work is really committed (the live server must see it); emptied afterwards."""
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            truncate_all(app)


def station_page(app: Flask, session: Any) -> tuple[Any, str]:
    """Add a station with a duty phone; return a manager's client and the station's page."""
    station = Station(name="甲街道站", tier="station", duty_contact_phone=STATION_PHONE)
    session.add(station)
    session.commit()
    client = log_in(app.test_client(), user_builder(session)("manager"))
    return client, f"/directory/stations/{station.id}"


def call_test(client: Any, path: str) -> Any:
    """Press the page's test call button."""
    return client.post(f"{path}/test-call", data={"csrf_token": csrf_token(client, path)}, follow_redirects=True)


def settled_call(client: Any, path: str, timeout: float = 30) -> dict[str, Any]:
    """Wait until the page's JSON says the test call has its outcome; return it."""
    return until(
        lambda: (call := client.get(f"{path}/tests.json").get_json()["call"]) and call["final"] and call, timeout
    )


def test_an_answered_test_call_plays_the_message_and_the_page_says_answered(
    app: Flask, committed: Any, live_server: Any
) -> None:
    client, path = station_page(app, committed)
    with simulated_line(app, live_server.url) as gateway:
        answer = call_test(client, path)
        assert "线路正在拨打" in answer.get_data(as_text=True)
        call = settled_call(client, path)
        assert call["state"] == "answered" and "139****0001" in call["text"] and "已接听" in call["text"]
        committed.rollback()
        record = committed.scalar(select(DirectoryTestCall))
        leg = gateway.network.call(record.call_sid)
        assert leg.to == STATION_PHONE
        assert leg.said and all("社工热线的测试电话" in text for text in leg.said) and len(leg.said) == 2
    audit = committed.scalar(select(AuditEntry).where(AuditEntry.action == "directory.test_call"))
    assert audit.target == path.removeprefix("/directory/").replace("/", ":")
    page = client.get(path).get_data(as_text=True)
    assert 'id="test-call-state" data-state="answered"' in page


@pytest.mark.parametrize(
    ("answer", "state", "shown"),
    [("busy", "busy", "占线"), ("no-answer", "no_answer", "无人接听"), ("failed", "failed", "呼叫失败")],
)
def test_a_test_call_nobody_answers_says_why(
    app: Flask, committed: Any, live_server: Any, answer: str, state: str, shown: str
) -> None:
    client, path = station_page(app, committed)
    with simulated_line(app, live_server.url) as gateway:
        gateway.network.callees[STATION_PHONE] = CallerScript(answer=answer)
        call_test(client, path)
        call = settled_call(client, path)
        assert call["state"] == state and shown in call["text"]
        committed.rollback()
        record = committed.scalar(select(DirectoryTestCall))
        assert gateway.network.call(record.call_sid).said == [], "nobody heard the message"


def test_a_line_that_refuses_the_call_is_shown_and_nothing_is_redialled(
    app: Flask, committed: Any, live_server: Any
) -> None:
    class Refusing:
        calls = 0

        def place_call(self, to: str, url: str, status_callback: str | None = None) -> str:
            Refusing.calls += 1
            raise TelephonyError("gateway unreachable", retryable=True, maybe_done=True)

    client, path = station_page(app, committed)
    saved = app.extensions.get("hotline_telephony")
    app.extensions["hotline_telephony"] = Refusing()
    try:
        answer = call_test(client, path).get_data(as_text=True)
    finally:
        app.extensions["hotline_telephony"] = saved
    assert "线路未拨出测试电话" in answer and "gateway unreachable" in answer
    call = client.get(f"{path}/tests.json").get_json()["call"]
    assert call["state"] == "uncertain" and "不再重拨" in call["text"] and Refusing.calls == 1


def test_an_entry_without_a_number_is_told_so_and_nothing_is_called(
    app: Flask, committed: Any, live_server: Any
) -> None:
    expert = ExpertVolunteer(name="李律师", profession="lawyer")
    committed.add(expert)
    committed.commit()
    client = log_in(app.test_client(), user_builder(committed)("manager"))
    path = f"/directory/experts/{expert.id}"
    answer = call_test(client, path).get_data(as_text=True)
    assert "没有可拨打的号码" in answer
    assert committed.scalar(select(DirectoryTestCall)) is None


def test_a_status_for_another_call_or_an_earlier_state_changes_nothing(app: Flask, committed: Any) -> None:
    from hotline.clock import utcnow
    from hotline.directory import test_calls

    record = DirectoryTestCall(target="stations:1", to=STATION_PHONE, status="answered", call_sid="CA1")
    committed.add(record)
    committed.commit()
    assert test_calls.record_status(committed, record.id, "CA2", "busy", None, utcnow()) is None
    test_calls.record_status(committed, record.id, "CA1", "ringing", None, utcnow())
    assert committed.get(DirectoryTestCall, record.id).status == "answered"
