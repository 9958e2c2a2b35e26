"""An escalation end to end on Alibaba and on Tencent: request out, reply in over HTTP, referral accepted."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.escalation import triggers
from hotline.escalation.models import Escalation, NotificationAttempt, Referral
from hotline.sms import configuration
from hotline.sms.models import SmsMessage
from hotline.telephony.providers import RecordingProvider
from tests.escalation.conftest import build_network, make_case
from tests.escalation.test_durable import plain_user_factory
from tests.sms.conftest import ALIBABA_TEMPLATES, TENCENT_TEMPLATES


def reply_code(server: Any, name: str) -> str:
    (request,) = server.accepted
    return request["TemplateParam"]["code"] if name == "alibaba" else request["TemplateParamSet"][-1]


def callback(live_server: Any, committed: Any, name: str, what: str) -> str:
    token = configuration.callback_token(committed)
    committed.commit()
    return f"{live_server.url}/sms/callbacks/{name}/{token}/{what}"


@pytest.mark.parametrize("name", ["alibaba", "tencent"])
def test_an_escalation_is_texted_and_a_reply_to_the_number_it_went_to_accepts_it(
    app: Flask, committed: Any, live_server: Any, sms_config: Any, alibaba: Any, tencent: Any, name: str
) -> None:
    server = alibaba if name == "alibaba" else tencent
    sms_config(committed, name, server)
    network = build_network(committed, plain_user_factory(committed))
    telephony = RecordingProvider()
    chain = triggers.escalate_case(
        committed,
        make_case(committed, network.community).id,
        reason="home_visit",
        urgency="normal",
        note="请上门",
        actor_id=None,
        now=utcnow(),
        provider=telephony,
    )
    assert telephony.messages == [], "mainland SMS goes through the template provider, not the phone line"
    (request,) = server.accepted
    templates = ALIBABA_TEMPLATES if name == "alibaba" else TENCENT_TEMPLATES
    assert request.get("TemplateCode", request.get("TemplateId")) == templates["escalation_request"]
    code = reply_code(server, name)
    attempt = committed.scalar(select(NotificationAttempt).where(NotificationAttempt.channel == "sms"))
    assert attempt.status == "sent" and attempt.provider_id
    referral = committed.get(Referral, attempt.referral_id)
    number = referral.target_phone
    committed.rollback()

    if name == "alibaba":
        answered = server.reply(callback(live_server, committed, name, "up"), number[3:], f"1 {code}")
        assert answered.json() == {"code": 0, "msg": "成功"}
        report = server.report(callback(live_server, committed, name, "report"), attempt.provider_id, phone=number[3:])
        assert report.json()["code"] == 0
    else:
        answered = server.reply(callback(live_server, committed, name, "reply"), number[3:], f"1 {code}")
        assert answered.json() == {"result": 0, "errmsg": "OK"}
        report = server.report(callback(live_server, committed, name, "status"), attempt.provider_id, mobile=number[3:])
        assert report.json()["result"] == 0

    committed.rollback()
    assert committed.get(Referral, referral.id).status == "accepted"
    assert committed.get(Escalation, chain.id).status == "acknowledged"
    assert committed.get(NotificationAttempt, attempt.id).status == "delivered"
    confirmation = server.accepted[-1]
    assert len(server.accepted) == 2
    assert confirmation.get("TemplateCode", confirmation.get("TemplateId")) == templates["acknowledgement"]
    kinds = [m.kind for m in committed.scalars(select(SmsMessage).order_by(SmsMessage.id))]
    assert kinds == ["escalation_request", "acknowledgement"]


def test_a_reply_from_another_number_changes_nothing(
    app: Flask, committed: Any, live_server: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(committed, "alibaba", alibaba)
    network = build_network(committed, plain_user_factory(committed))
    triggers.escalate_case(
        committed,
        make_case(committed, network.community).id,
        reason="home_visit",
        urgency="normal",
        note=None,
        actor_id=None,
        now=utcnow(),
        provider=RecordingProvider(),
    )
    code = reply_code(alibaba, "alibaba")
    committed.rollback()
    alibaba.reply(callback(live_server, committed, "alibaba", "up"), "13700000009", f"1 {code}")
    committed.rollback()
    assert committed.scalar(select(Referral.status)) == "notified"


def test_a_callback_with_a_wrong_token_is_refused(app: Flask, committed: Any, live_server: Any, alibaba: Any) -> None:
    configuration.callback_token(committed)
    committed.commit()
    answer = alibaba.reply(f"{live_server.url}/sms/callbacks/alibaba/not-the-token/up", "13900000002", "1 1234")
    assert answer.status_code == 404
