"""SMS to callers: consent by keypress after a callback request, the callback confirmation, 回复TD退订."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline import signals
from hotline.clock import utcnow
from hotline.sms import configuration
from hotline.sms.models import SmsConsent
from hotline.sms.services import may_text_caller, record_consent
from hotline.telephony.models import CallSatisfaction
from tests.sms.conftest import ALIBABA_TEMPLATES
from tests.support.factories import make_call
from tests.support.signing import signed_post

NUMBER = "+8613812345678"


def request_callback(app: Flask, client: Any, sid: str) -> str:
    return signed_post(app, client, "/twilio/voice/options", {"CallSid": sid, "Digits": "2"}).get_data(as_text=True)


def test_a_caller_who_presses_1_gets_the_callback_confirmation_once(
    app: Flask, client: Any, db_session: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    make_call(db_session, sid="CA-sms-1", number=NUMBER)
    spoken = request_callback(app, client, "CA-sms-1")
    assert "/twilio/voice/sms-consent" in spoken and "如需接收回电确认短信" in spoken
    assert alibaba.accepted == [], "nothing is texted before the caller agrees"
    for _ in range(2):
        answer = signed_post(app, client, "/twilio/voice/sms-consent", {"CallSid": "CA-sms-1", "Digits": "1"})
        assert "回复TD可退订" in answer.get_data(as_text=True)
    (message,) = alibaba.accepted
    assert message["TemplateCode"] == ALIBABA_TEMPLATES["callback_confirmation"]
    assert message["PhoneNumbers"] == NUMBER[3:] and "月" in message["TemplateParam"]["time"]
    assert db_session.scalar(select(SmsConsent.source)) == "keypress"


def test_a_caller_who_does_not_press_1_gets_no_sms(
    app: Flask, client: Any, db_session: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    make_call(db_session, sid="CA-sms-2", number=NUMBER)
    request_callback(app, client, "CA-sms-2")
    signed_post(app, client, "/twilio/voice/sms-consent", {"CallSid": "CA-sms-2", "Digits": ""})
    assert alibaba.accepted == [] and not may_text_caller(db_session, NUMBER)


def test_td_opts_a_caller_out_for_good(app: Flask, client: Any, db_session: Any, sms_config: Any, alibaba: Any) -> None:
    sms_config(db_session, "alibaba", alibaba)
    make_call(db_session, sid="CA-sms-3", number=NUMBER)
    request_callback(app, client, "CA-sms-3")
    signed_post(app, client, "/twilio/voice/sms-consent", {"CallSid": "CA-sms-3", "Digits": "1"})
    assert len(alibaba.accepted) == 1
    token = configuration.callback_token(db_session)
    db_session.commit()
    push = [
        {
            "phone_number": NUMBER[3:],
            "send_time": "2026-12-03 10:00:00",
            "content": "TD",
            "sign_name": "x",
            "dest_code": "",
            "sequence_id": 77,
        }
    ]
    answer = client.post(f"/sms/callbacks/alibaba/{token}/up", json=push)
    assert answer.get_json() == {"code": 0, "msg": "成功"}
    assert not may_text_caller(db_session, NUMBER)
    # The caller calls again and asks for a callback: no offer, no text, even if they had pressed 1.
    make_call(db_session, sid="CA-sms-4", number=NUMBER)
    assert "/twilio/voice/sms-consent" not in request_callback(app, client, "CA-sms-4")
    signed_post(app, client, "/twilio/voice/sms-consent", {"CallSid": "CA-sms-4", "Digits": "1"})
    assert len(alibaba.accepted) == 1


def test_a_caller_who_hung_up_before_the_voice_survey_gets_it_by_sms_and_replies(
    app: Flask, client: Any, db_session: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    now = utcnow()
    record_consent(db_session, NUMBER, "intake", now)
    call = make_call(db_session, sid="CA-survey", number=NUMBER, answered_at=now - timedelta(minutes=5))
    unanswered = make_call(db_session, sid="CA-missed", number=NUMBER)
    for ended in (call, unanswered, call):
        signals.call_ended.send(app, call_id=ended.id, outcome="completed")
    (message,) = alibaba.accepted
    assert message["TemplateCode"] == ALIBABA_TEMPLATES["survey"] and message["TemplateParam"] == {}
    token = configuration.callback_token(db_session)
    db_session.commit()
    for sequence, score in ((901, "4"), (902, "5")):
        push = [
            {
                "phone_number": NUMBER[3:],
                "content": score,
                "sign_name": "x",
                "dest_code": "",
                "send_time": "2026-12-03 10:00:00",
                "sequence_id": sequence,
            }
        ]
        assert client.post(f"/sms/callbacks/alibaba/{token}/up", json=push).get_json()["code"] == 0
    assert db_session.scalar(select(CallSatisfaction.score).where(CallSatisfaction.call_id == call.id)) == 4
