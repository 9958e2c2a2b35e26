"""Free-text SMS to staff through the phone line (no template provider): a row of the outbox, sent once per
origin, its delivery receipt from the line's signed status callback recorded and listed like a template's."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.directory.models import Station
from hotline.extensions import db
from hotline.sms import services as sms
from hotline.sms.exceptions import StaffSmsFailed
from hotline.sms.models import SmsMessage
from hotline.telephony.providers import RecordingProvider, TelephonyError, get_provider
from tests.conftest import csrf_token, log_in, user_builder
from tests.support.signing import twilio_signature
from tests.support.simulator import simulated_line
from tests.support.waiting import until

STAFF = "+8613900000002"


def stored(session: Any, origin: str) -> SmsMessage:
    """Return the outbox row of an origin, read afresh."""
    session.rollback()
    return session.scalar(select(SmsMessage).where(SmsMessage.origin == origin))


def test_a_rota_notice_through_the_simulated_line_is_delivered_listed_and_never_sent_twice(
    app: Flask, committed: Any, live_server: Any
) -> None:
    with simulated_line(app, live_server.url) as gateway:
        sid = sms.text_staff(
            committed, get_provider(), "rota_notice", STAFF, {}, "排班通知：明天白班", origin="rota:1", now=utcnow()
        )
        assert sid
        message = until(lambda: (row := stored(committed, "rota:1")) and row.status == "delivered" and row, 20)
        assert (message.provider, message.provider_message_id, message.kind) == ("sms", sid, "rota_notice")
        assert message.delivered_at is not None and message.error is None
        again = sms.text_staff(
            committed, get_provider(), "rota_notice", STAFF, {}, "排班通知：明天白班", origin="rota:1", now=utcnow()
        )
        assert again == sid
        sent = [item for item in gateway.network.messages if item.to == STAFF]
        assert len(sent) == 1 and sent[0].body == "排班通知：明天白班"
    manager = log_in(app.test_client(), user_builder(committed)("manager"))
    page = manager.get("/messages/?channel=sms&state=delivered").get_data(as_text=True)
    assert "139****0002" in page and "短信（电话线路）" in page


def test_an_undelivered_receipt_records_the_line_s_error(app: Flask, committed: Any, live_server: Any) -> None:
    line = RecordingProvider()
    sid = sms.text_staff(committed, line, "shift_reminder", STAFF, {}, "明天8点白班", origin="shift:1", now=utcnow())
    (sent,) = line.messages
    assert sent["status_callback"].endswith(f"/twilio/sms/status/{stored(committed, 'shift:1').id}")
    path = sent["status_callback"].removeprefix(app.config["PUBLIC_BASE_URL"].rstrip("/"))
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    headers = {"X-Twilio-Signature": twilio_signature(app, path, form)}
    forged = requests.post(f"{live_server.url}{path}", data=form, headers={"X-Twilio-Signature": "x"}, timeout=10)
    assert forged.status_code == 403 and stored(committed, "shift:1").status == "sent"
    other = {**form, "MessageSid": "SMother"}
    answer = requests.post(
        f"{live_server.url}{path}",
        data=other,
        headers={"X-Twilio-Signature": twilio_signature(app, path, other)},
        timeout=10,
    )
    assert answer.status_code == 204 and stored(committed, "shift:1").status == "sent", "another message's sid"
    answer = requests.post(f"{live_server.url}{path}", data=form, headers=headers, timeout=10)
    assert answer.status_code == 204
    message = stored(committed, "shift:1")
    assert (message.status, message.error) == ("undelivered", "30005")


class Refusing:
    """A phone line that refuses every SMS."""

    def __init__(self, maybe_done: bool) -> None:
        self.maybe_done = maybe_done
        self.tries = 0

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
        self.tries += 1
        raise TelephonyError("line down", retryable=True, maybe_done=self.maybe_done)


def test_a_clear_refusal_may_be_tried_again_but_an_uncertain_send_never(app: Flask, db_session: Any) -> None:
    refusing = Refusing(maybe_done=False)
    with pytest.raises(TelephonyError):
        sms.text_staff(db.session, refusing, "rota_notice", STAFF, {}, "通知", origin="rota:7", now=utcnow())
    assert stored(db.session, "rota:7").status == "failed"
    line = RecordingProvider()
    sid = sms.text_staff(db.session, line, "rota_notice", STAFF, {}, "通知", origin="rota:7", now=utcnow())
    message = stored(db.session, "rota:7")
    assert (message.status, message.attempts, message.provider_message_id) == ("sent", 2, sid)

    uncertain = Refusing(maybe_done=True)
    with pytest.raises(TelephonyError):
        sms.text_staff(db.session, uncertain, "rota_notice", STAFF, {}, "通知", origin="rota:8", now=utcnow())
    assert stored(db.session, "rota:8").status == "uncertain"
    with pytest.raises(StaffSmsFailed):
        sms.text_staff(db.session, uncertain, "rota_notice", STAFF, {}, "通知", origin="rota:8", now=utcnow())
    assert uncertain.tries == 1


def test_a_directory_test_sms_without_a_template_provider_goes_through_the_line_and_comes_back_delivered(
    app: Flask, committed: Any, live_server: Any
) -> None:
    station = Station(name="乙街道站", tier="station", duty_contact_phone=STAFF)
    committed.add(station)
    committed.commit()
    client = log_in(app.test_client(), user_builder(committed)("manager"))
    path = f"/directory/stations/{station.id}"
    with simulated_line(app, live_server.url) as gateway:
        answer = client.post(f"{path}/test-sms", data={"csrf_token": csrf_token(client, path)}, follow_redirects=True)
        assert "测试短信已发出" in answer.get_data(as_text=True)
        shown = until(
            lambda: (found := client.get(f"{path}/tests.json").get_json()["sms"]) and found["final"] and found
        )
        assert shown["state"] == "delivered" and "139****0002" in shown["text"] and "已送达" in shown["text"]
        (sent,) = [item for item in gateway.network.messages if item.to == STAFF]
        assert "转介" in sent.body
