"""A SIP gateway's trunk reports: signed, recorded per gateway in order, the supervisor on call alerted."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotline.wallboard.trunk import lost_gateways
from tests.support.signing import twilio_signature

PATH = "/twilio/wallboard/trunk"


def report(app: Flask, client: Any, event: str, sent: str, gateway: str = "10.0.0.5:5080") -> Any:
    """POST a gateway's report, signed as the gateway signs it."""
    form = {"Event": event, "Gateway": gateway, "Timestamp": sent, "StatusCode": "403", "Reason": "Forbidden"}
    return client.post(PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, PATH, form)})


def test_a_forged_report_is_refused_and_changes_nothing(client: Any, db_session: Any) -> None:
    form = {"Event": "trunk-registration-lost", "Gateway": "10.0.0.5:5080", "Timestamp": "1"}
    assert client.post(PATH, data=form, headers={"X-Twilio-Signature": "forged"}).status_code == 403
    assert lost_gateways(db_session) == []


def test_a_lost_trunk_alerts_once_and_a_late_old_report_does_not_undo_the_newer(
    app: Flask, client: Any, db_session: Any, monkeypatch: Any
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr("hotline.push.wallboard_alert", lambda ids, payload: sent.append(payload))
    assert report(app, client, "trunk-registration-lost", "100.5").status_code == 204
    assert lost_gateways(db_session) == ["10.0.0.5:5080"]
    assert [payload["alerts"] for payload in sent] == [["trunk_lost"]]
    assert report(app, client, "trunk-registration-lost", "101").status_code == 204
    assert len(sent) == 1, "still lost: the supervisor is not told twice"
    assert report(app, client, "trunk-registration-restored", "90").status_code == 204
    assert lost_gateways(db_session) == ["10.0.0.5:5080"], "an older report arriving late is ignored"
    assert report(app, client, "trunk-registration-restored", "102").status_code == 204
    assert lost_gateways(db_session) == []


def test_another_event_or_bad_values_answer_204_and_record_nothing(app: Flask, client: Any, db_session: Any) -> None:
    assert report(app, client, "something-else", "1").status_code == 204
    assert report(app, client, "trunk-registration-lost", "not a time", gateway="x" * 500).status_code == 204
    assert lost_gateways(db_session) == ["x" * 100]
