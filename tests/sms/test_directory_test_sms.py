"""A manager's test SMS from the directory page, through the template provider; its delivery comes back."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.directory.models import Station
from tests.conftest import csrf_token, log_in, user_builder
from tests.sms.conftest import ALIBABA_TEMPLATES
from tests.sms.test_escalation import callback


def test_a_test_sms_goes_by_the_test_template_and_its_receipt_shows_on_the_page(
    app: Flask, committed: Any, live_server: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(committed, "alibaba", alibaba)
    station = Station(name="甲街道站", tier="station", duty_contact_phone="+8613900000001")
    committed.add(station)
    committed.commit()
    manager = user_builder(committed)("manager")
    client = log_in(app.test_client(), manager)
    path = f"/directory/stations/{station.id}"
    page = client.get(path).get_data(as_text=True)
    assert 'id="test-sms"' in page and 'id="test-sms-state"' not in page
    sent = client.post(f"{path}/test-sms", data={"csrf_token": csrf_token(client, path)})
    assert sent.status_code == 302
    (message,) = alibaba.accepted
    assert message["TemplateCode"] == ALIBABA_TEMPLATES["test"] and message["TemplateParam"] == {}
    assert message["PhoneNumbers"] == "13900000001"
    state = client.get(path).get_data(as_text=True).split('id="test-sms-state"')[1].split("</p>")[0]
    assert "139****0001" in state and "已发送，尚无回执" in state
    committed.rollback()
    url = callback(live_server, committed, "alibaba", "report")
    report = alibaba.report(url, message["BizId"], phone="13900000001")
    assert report.json()["code"] == 0
    state = client.get(path).get_data(as_text=True).split('id="test-sms-state"')[1].split("</p>")[0]
    assert "已送达" in state


def test_an_entry_without_a_number_is_told_so(
    app: Flask, committed: Any, live_server: Any, sms_config: Any, alibaba: Any
) -> None:
    sms_config(committed, "alibaba", alibaba)
    station = Station(name="无号码站", tier="station")
    committed.add(station)
    committed.commit()
    client = log_in(app.test_client(), user_builder(committed)("manager"))
    path = f"/directory/stations/{station.id}"
    answer = client.post(f"{path}/test-sms", data={"csrf_token": csrf_token(client, path)}, follow_redirects=True)
    assert "没有可发短信的号码" in answer.get_data(as_text=True) and alibaba.accepted == []
