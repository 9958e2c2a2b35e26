"""The post-call question over TwiML: signed requests only, Mandarin, 1-5 recorded against the call."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline.cases.models import CallSatisfaction
from hotline.cases.survey import survey_url
from hotline.telephony.models import Call


def signed_post(app: Flask, client: Any, path: str, params: dict[str, str]) -> Any:
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_survey_url_is_absolute(app: Flask) -> None:
    with app.app_context():
        assert survey_url("CA123") == app.config["PUBLIC_BASE_URL"] + "/twilio/survey/CA123"


def test_the_survey_asks_in_mandarin_and_records_the_answer(app: Flask, client: Any, db_session: Any) -> None:
    db_session.add(Call(call_sid="CA-survey"))
    db_session.commit()
    question = signed_post(app, client, "/twilio/survey/CA-survey", {"CallSid": "CA-survey"}).get_data(as_text=True)
    assert (
        'language="cmn-CN"' in question
        and "<Gather" in question
        and "/twilio/survey/CA-survey/answer?attempt=1" in question
    )
    answer = signed_post(
        app, client, "/twilio/survey/CA-survey/answer?attempt=1", {"CallSid": "CA-survey", "Digits": "4"}
    )
    assert "<Hangup" in answer.get_data(as_text=True)
    assert db_session.scalar(select(CallSatisfaction.score)) == 4


def test_a_wrong_key_asks_once_more_then_hangs_up(app: Flask, client: Any, db_session: Any) -> None:
    again = signed_post(app, client, "/twilio/survey/CA-x/answer?attempt=1", {"Digits": "9"}).get_data(as_text=True)
    assert "attempt=2" in again
    last = signed_post(app, client, "/twilio/survey/CA-x/answer?attempt=2", {"Digits": "9"})
    assert last.status_code == 200 and "<Hangup" in last.get_data(as_text=True)


def test_unsigned_requests_are_refused(client: Any) -> None:
    assert client.post("/twilio/survey/CA-x/answer", data={"Digits": "5"}).status_code == 403
