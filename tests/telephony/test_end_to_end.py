"""End to end: the app on a live server, a Twilio-compatible network posting signed webhooks, REST calls recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
import time_machine
from flask import Flask
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.audit import AuditEntry
from hotline.escalation.models import Escalation
from hotline.extensions import db
from hotline.gateway.interpreter import CallerScript, RecordingInput
from hotline.gateway.rest import recording_media
from hotline.telephony import connecting, services
from hotline.telephony.line_settings import load_line_settings, save_line_settings
from tests.conftest import log_in
from tests.support.signing import twilio_signature
from tests.telephony.line import HOTLINE, Line, phone_line

NOON = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
NIGHT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # Monday 22:00
NATIONAL_DAY = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)  # Wednesday 10:00, a public holiday
MAKE_UP_SATURDAY = datetime(2025, 10, 11, 2, 0, tzinfo=UTC)  # Saturday 10:00, a make-up working day
CALLER = "+8613812345678"
OTHER = "+8613987654321"


def set_max_wait(line: Line, seconds: int) -> None:
    """Change the maximum wait, as a manager would."""
    with line.app.app_context():
        settings = load_line_settings(db.session)
        settings.max_wait_seconds = seconds
        save_line_settings(db.session, settings, None)
        db.session.remove()


def add_worker(line: Line, username: str) -> int:
    """Create a worker in the real database (the live server's data is deleted after the test)."""
    with line.app.app_context(), line.session() as session:
        user = User(username=username, display_name=username, password_hash="x", role="worker")
        session.add(user)
        session.commit()
        return user.id


def connect_first_waiting(line: Line, identity: str) -> str:
    """Do what the router will: take the first waiting call to a worker."""
    with line.app.app_context():
        call = services.queued_calls(db.session)[0]
        connecting.connect_to_worker(db.session, call, identity)
        sid = call.call_sid
        db.session.remove()
    line.wait_for_commands()
    return sid


def test_answered_in_hours(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        worker = add_worker(line, "w-answer")
        line.network.callees[f"client:worker_{worker}"] = CallerScript(ring_seconds=4, talk_seconds=120)
        call = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["2"]))
        line.network.run_until_idle()
        assert line.call(call.sid).status == "queued"
        assert connect_first_waiting(line, f"worker_{worker}") == call.sid
        line.network.run_until_idle()
        line.network.advance(300)
        record = line.call(call.sid)
        assert not line.network.errors
    assert "信息和政策咨询请按1" in " ".join(call.said) and call.events("bridged")
    assert record.status == "completed" and record.outcome == "answered" and record.service == "emotional"
    assert record.worker_id == worker and record.answered_at is not None and record.wait_seconds is not None
    kinds = [event.kind for event in record.events]
    assert kinds.index("queued") < kinds.index("connecting") < kinds.index("worker-answered")
    assert line.gateway.rest.requests_to("POST", rf"/Calls/{call.sid}\.json")  # the REST redirect
    assert [d["outcome"] for d in line.signals_named("call-ended")] == ["answered"]
    assert line.signals_named("call-created") and line.signals_named("call-queued")
    assert not line.signals_named("callback-needed")


def test_closed_hours_with_voicemail(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NIGHT, tick=False), phone_line(app, live_server, NIGHT) as line:
        script = CallerScript(digits=["1"], recordings=[RecordingInput(seconds=12)])
        call = line.network.dial_in(CALLER, HOTLINE, script)
        line.network.run_until_idle()
        line.network.advance(30)
        record = line.call(call.sid)
        assert not line.network.errors
    spoken = " ".join(call.said)
    assert "非服务时间" in spoken and "每天9:00至17:00" in spoken and "110" in spoken
    assert call.events("record") and record.recording_seconds == 12 and record.recording_sid
    assert record.outcome == "voicemail" and record.closed_reason == "hours"
    assert [d["reason"] for d in line.signals_named("callback-needed")] == ["voicemail"]


def test_a_worker_listens_to_the_voicemail_through_the_app(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NIGHT, tick=False), phone_line(app, live_server, NIGHT) as line:
        call = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"], recordings=[RecordingInput(seconds=9)]))
        line.network.run_until_idle()
        line.network.advance(30)
        record = line.call(call.sid)
        worker_id = add_worker(line, "w-listen")
        with line.app.app_context(), line.session() as session:
            # The voicemail started its callback chain by itself (the new database got the default policies).
            callback = select(Escalation.id).where(Escalation.call_id == record.id, Escalation.reason == "callback")
            assert session.scalar(callback) is not None
            worker = session.get(User, worker_id)
            assert worker is not None
        with line.app.app_context():
            response = log_in(app.test_client(), worker).get(f"/console/calls/{record.id}/recording")
        assert response.status_code == 200 and response.mimetype == "audio/mpeg"
        assert response.data == recording_media(record.recording_sid or "", "mp3")
        (fetch,) = line.gateway.rest.requests_to("GET", r"/Recordings/RE\w+\.mp3$")
        assert fetch.status == 200 and fetch.username == app.config["TWILIO_ACCOUNT_SID"]
        with line.app.app_context(), line.session() as session:
            actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target == f"call:{record.id}")).all()
        assert "recording.listen" in actions


def test_public_holiday_is_closed_and_make_up_working_day_is_open(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NATIONAL_DAY, tick=False), phone_line(app, live_server, NATIONAL_DAY) as line:
        holiday = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["2"]))
        line.network.run_until_idle()
        line.network.advance(10)
        assert line.call(holiday.sid).closed_reason == "holiday"
        assert line.call(holiday.sid).outcome == "callback-requested"
    assert "法定节假日" in " ".join(holiday.said)
    with time_machine.travel(MAKE_UP_SATURDAY, tick=False), phone_line(app, live_server, MAKE_UP_SATURDAY) as line:
        with app.app_context():
            settings = load_line_settings(db.session)
            settings.weekly_hours["sat"] = []
            settings.weekly_hours["sun"] = []
            save_line_settings(db.session, settings, None)
            db.session.remove()
        workday = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"]))
        line.network.run_until_idle()
        assert line.call(workday.sid).status == "queued" and line.call(workday.sid).closed_reason is None


def test_crisis_goes_ahead_of_a_waiting_call(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        worker = add_worker(line, "w-crisis")
        set_max_wait(line, 900)
        line.network.callees[f"client:worker_{worker}"] = CallerScript(ring_seconds=2, talk_seconds=60)
        waiting = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"]))
        line.network.run_until(lambda: waiting.queue_sid is not None)
        crisis = line.network.dial_in(OTHER, HOTLINE, CallerScript(digits=["0"]))
        line.network.run_until(lambda: crisis.queue_sid is not None)
        line.network.advance(40)
        with app.app_context():
            order = [c.call_sid for c in services.queued_calls(db.session)]
            db.session.remove()
        assert order == [crisis.sid, waiting.sid]
        assert connect_first_waiting(line, f"worker_{worker}") == crisis.sid
        line.network.run_until(lambda: bool(crisis.events("bridged")))
        assert line.call(crisis.sid).priority > line.call(waiting.sid).priority
        assert not line.network.errors
    assert any("前面还有1位" in text for text in waiting.said)  # the crisis call went ahead
    assert crisis.events("bridged") and not waiting.events("bridged")


def test_abandon_while_waiting(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        call = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["3"], hangup_in_queue_after_rounds=2))
        line.network.run_until_idle()
        line.network.advance(120)
        record = line.call(call.sid)
    assert record.status == "completed" and record.outcome == "abandoned" and record.ended_at
    assert "queue-result" in {e.kind for e in record.events}
    assert [d["reason"] for d in line.signals_named("callback-needed")] == ["abandoned"]


def test_max_wait_reached_offers_a_callback(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        call = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1", "2"]))
        line.network.run_until_idle()
        line.network.advance(400)
        record = line.call(call.sid)
        assert not line.network.live_calls()
    spoken = " ".join(call.said)
    assert "久等" in spoken and "回电" in spoken and call.events("dequeue")
    assert record.outcome == "callback-requested" and "max-wait" in {e.kind for e in record.events}
    assert [d["reason"] for d in line.signals_named("callback-needed")] == ["callback-requested"]


def test_the_maximum_wait_is_kept_within_a_few_seconds(app: Flask, live_server: Any) -> None:
    # 45 s is not a multiple of the 30 s announcement interval: the last hold is shortened to the limit.
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        set_max_wait(line, 45)
        call = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1", "2"]))
        line.network.run_until_idle()
        line.network.advance(400)
        record = line.call(call.sid)
    waited = [event.detail["queue_time"] for event in call.events("dequeue")]
    assert waited and 45 <= waited[0] <= 50, waited  # the announcement itself takes a few seconds
    assert "max-wait" in {e.kind for e in record.events}


def test_an_unanswered_worker_puts_the_caller_back_at_the_front(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        absent = add_worker(line, "w-absent")
        set_max_wait(line, 900)
        line.network.callees[f"client:worker_{absent}"] = CallerScript(answer="no-answer")
        first = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"]))
        line.network.run_until(lambda: first.queue_sid is not None)
        line.network.advance(20)
        second = line.network.dial_in(OTHER, HOTLINE, CallerScript(digits=["1"]))
        line.network.run_until(lambda: second.queue_sid is not None)
        queued_at = line.call(first.sid).queued_at
        connect_first_waiting(line, f"worker_{absent}")
        line.network.run_until(lambda: bool(first.events("dial")))
        line.network.run_until(lambda: first.queue_sid is not None)
        with app.app_context():
            order = [c.call_sid for c in services.queued_calls(db.session)]
            db.session.remove()
        record = line.call(first.sid)
    assert order == [first.sid, second.sid] and record.queued_at == queued_at
    assert "worker-missed" in {e.kind for e in record.events} and record.status == "queued"
    assert any("最前面" in text for text in first.said)


def test_retried_and_out_of_order_callbacks(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        line.network.duplicate_callbacks = True
        line.network.hold_callbacks = True
        call = line.network.dial_in(CALLER, HOTLINE, CallerScript(digits=["1"], hangup_in_queue_after_rounds=1))
        line.network.run_until_idle()
        line.network.advance(60)
        line.network.release_callbacks("reverse")
        record = line.call(call.sid)
    statuses = [e.data["status"] for e in record.events if e.kind == "status"]
    assert record.status == "completed" and record.outcome == "abandoned"
    assert len(statuses) == len(set(statuses)) and statuses[0] == "completed"  # newest first, each once
    assert len(line.signals_named("call-ended")) == 1


def test_forged_signature_is_refused_over_http(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON) as line:
        response = requests.post(
            f"{live_server.url}/twilio/voice/incoming",
            data={"CallSid": "CA-forged", "From": CALLER},
            headers={"X-Twilio-Signature": "Zm9yZ2Vk"},
            timeout=5,
        )
        assert response.status_code == 403
        with app.app_context():
            assert services.find_call(db.session, "CA-forged") is None
            db.session.remove()
        assert line.network.send_sms_to_app(CALLER, HOTLINE, "hello") == []


def test_missing_parameters_over_http_still_get_twiml(app: Flask, live_server: Any) -> None:
    with time_machine.travel(NOON, tick=False), phone_line(app, live_server, NOON):
        url = f"{live_server.url}/twilio/voice/incoming"
        signature = twilio_signature(app, url)
        response = requests.post(url, data={}, headers={"X-Twilio-Signature": signature}, timeout=5)
    assert response.status_code == 200 and "<Enqueue" in response.text
