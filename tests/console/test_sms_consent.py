"""A caller's SMS consent recorded at intake: the checkbox names its number, TD withdraws it for good,
and a consenting caller who later asks for a callback gets the confirmation by SMS without being asked again."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.cases import services as cases
from hotline.cases.exceptions import IntakeInvalid
from hotline.clock import utcnow
from hotline.sms import services as sms
from hotline.sms.models import SmsConsent
from tests.conftest import csrf_token, log_in
from tests.console.test_routes import VALID_INTAKE
from tests.sms.conftest import ALIBABA_TEMPLATES, alibaba, sms_config  # noqa: F401
from tests.support.factories import make_call
from tests.support.signing import signed_post

TYPED = "+8613812345678"  # VALID_INTAKE's number for a callback (the queued call's number too)


def save(client: Any, call: Any, **fields: str) -> Any:
    token = csrf_token(client, f"/console/calls/{call.id}")
    return client.post(f"/console/calls/{call.id}/intake", data=dict(VALID_INTAKE, csrf_token=token, **fields))


def test_without_a_template_provider_the_intake_offers_no_sms(client: Any, accepted_call: Any) -> None:
    worker, call = accepted_call
    log_in(client, worker)
    assert 'id="sms-consent"' not in client.get(f"/console/calls/{call.id}").get_data(as_text=True)


def test_consent_ticked_at_intake_is_stored_as_the_keypress_one_and_td_withdraws_it_for_good(
    app: Flask,
    client: Any,
    db_session: Any,
    accepted_call: Any,
    sms_config: Any,  # noqa: F811
    alibaba: Any,  # noqa: F811
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    worker, call = accepted_call
    log_in(client, worker)
    page = client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    offer = page.split('id="sms-consent"')[1].split("</div></div>")[0]
    assert 'name="consent_sms"' in offer and "138****5678" in offer and "13812345678" not in page
    assert save(client, call, consent_sms="y").status_code == 302
    consent = db_session.scalar(select(SmsConsent))
    assert consent.source == "intake" and consent.consented_at is not None and sms.may_text_caller(db_session, TYPED)
    assert "已同意" in client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    # 回复TD: withdrawn; a later intake ticking the box again does not bring it back.
    assert sms.handle_inbound(db_session, "alibaba", "up-1", TYPED, "TD", utcnow()) == "opt_out"
    assert "回复了TD" in client.get(f"/console/calls/{call.id}").get_data(as_text=True)
    save(client, call, consent_sms="y")
    assert not sms.may_text_caller(db_session, TYPED)
    assert len(db_session.scalars(select(SmsConsent)).all()) == 1


def test_consent_without_any_number_is_refused_beside_the_box(app: Flask, db_session: Any, make_user: Any) -> None:
    worker = make_user("worker")
    data = cases.IntakeData.from_mapping({**VALID_INTAKE, "caller_phone": "", "consent_sms": True})
    with app.test_request_context(), pytest.raises(IntakeInvalid) as refused:
        cases.save_intake(db_session, data=data, worker_id=worker.id, now=utcnow())
    assert "consent_sms" in refused.value.errors and db_session.scalar(select(SmsConsent)) is None


def test_a_caller_who_consented_at_intake_gets_the_callback_confirmation_when_asking_later(
    app: Flask,
    client: Any,
    db_session: Any,
    accepted_call: Any,
    sms_config: Any,  # noqa: F811
    alibaba: Any,  # noqa: F811
) -> None:
    sms_config(db_session, "alibaba", alibaba)
    worker, call = accepted_call
    log_in(client, worker)
    save(client, call, consent_sms="y")
    client.get("/logout")
    make_call(db_session, sid="CA-intake-consent", number=TYPED)
    spoken = signed_post(app, client, "/twilio/voice/options", {"CallSid": "CA-intake-consent", "Digits": "2"})
    assert "/twilio/voice/sms-consent" not in spoken.get_data(as_text=True), "consent given: not asked again"
    (message,) = alibaba.accepted
    assert message["TemplateCode"] == ALIBABA_TEMPLATES["callback_confirmation"]
    assert message["PhoneNumbers"] == TYPED[3:] and "月" in message["TemplateParam"]["time"]
