"""The post-call question over TwiML: signed requests only, Mandarin, 1-5 recorded against the call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.telephony.models import Call, CallSatisfaction
from hotline.telephony.services import record_satisfaction
from hotline.telephony.survey import survey_url
from tests.support.signing import signed_post

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


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


def test_post_call_satisfaction_is_recorded_once_against_the_call(app: Any, db_session: Any) -> None:
    db_session.add(Call(call_sid="CA-sat"))
    db_session.commit()
    assert record_satisfaction(db_session, "CA-sat", "9", NOW) is None
    assert record_satisfaction(db_session, "CA-sat", "4", NOW).score == 4
    assert record_satisfaction(db_session, "CA-sat", "1", NOW).score == 4
    assert record_satisfaction(db_session, "CA-unknown", "4", NOW) is None
    assert db_session.scalar(select(CallSatisfaction.score)) == 4
