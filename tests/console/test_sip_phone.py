"""The console issues a worker's SIP phone credentials in Kamailio's auth_ephemeral scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

import config
from hotline.console.exceptions import SipPhoneUnavailable
from hotline.console.sip_phone import credentials, password_for
from tests.conftest import log_in

ISSUED = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
SECRET = "kamailio-shared-secret-42"
CONFIG = {"GATEWAY_PHONE_REGISTRAR": "sip:10.0.0.5:5060", "GATEWAY_PHONE_SECRET": SECRET, "GATEWAY_PHONE_HOURS": 12}


def test_the_password_is_the_base64_hmac_sha1_of_the_username_as_auth_ephemeral_checks_it() -> None:
    # The module's documentation: password = base64(hmac-sha1(secret key, returned username)).
    expected = base64.b64encode(hmac.new(b"kamailio_rules", b"1234567890:foo@bar.com", hashlib.sha1).digest())
    assert password_for("kamailio_rules", "1234567890:foo@bar.com") == expected.decode()


def test_credentials_name_the_worker_and_expire_after_the_configured_hours() -> None:
    issued = credentials(CONFIG, 7, ISSUED)
    expiry = int(ISSUED.timestamp()) + 12 * 3600
    assert issued["username"] == f"{expiry}:worker_7" and issued["identity"] == "worker_7"
    assert issued["password"] == password_for(SECRET, issued["username"])
    assert issued["aor"] == "sip:worker_7@10.0.0.5:5060" and issued["registrar"] == "sip:10.0.0.5:5060"
    assert issued["ttl"] == 43200 and issued["expires_at"] == "2026-03-10T14:00:00+00:00"


def test_without_a_registrar_or_secret_none_are_issued() -> None:
    for missing in ("GATEWAY_PHONE_REGISTRAR", "GATEWAY_PHONE_SECRET"):
        with pytest.raises(SipPhoneUnavailable):
            credentials({**CONFIG, missing: None}, 7, ISSUED)


def test_a_short_secret_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PHONE_SECRET", "short")
    with pytest.raises(config.ConfigError, match="GATEWAY_PHONE_SECRET"):
        config.TestingConfig()


def test_a_logged_in_worker_gets_their_own_credentials_and_nobody_else_does(
    app: Any, client: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    saved = {key: app.config.get(key) for key in CONFIG}
    try:
        with time_machine.travel(ISSUED, tick=False):
            assert client.get("/api/v1/console/sip-phone").status_code == 401
            log_in(client, worker)
            app.config.update(GATEWAY_PHONE_REGISTRAR=None)
            refused = client.get("/api/v1/console/sip-phone")
            assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "sip_phone_unavailable"
            app.config.update(CONFIG)
            answer = client.get("/api/v1/console/sip-phone")
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        assert answer.get_json() == credentials(CONFIG, worker.id, ISSUED)
    finally:
        app.config.update(saved)


def test_a_ws_url_that_is_not_a_websocket_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PHONE_WS_URL", "https://10.0.0.5/sip-ws")
    with pytest.raises(config.ConfigError, match="GATEWAY_PHONE_WS_URL"):
        config.TestingConfig()


def test_on_a_sip_line_the_softphone_gets_the_websocket_and_the_same_credentials(
    app: Any, client: Any, make_user: Any
) -> None:
    worker = make_user("worker")
    line = {**CONFIG, "TELEPHONY": "gateway", "GATEWAY_PHONE_WS_URL": "wss://hotline.example.org/sip-ws"}
    saved = {key: app.config.get(key) for key in line}
    try:
        with time_machine.travel(ISSUED, tick=False):
            log_in(client, worker)
            app.config.update({**line, "GATEWAY_PHONE_WS_URL": None})
            refused = client.get("/api/v1/console/softphone/token")
            assert refused.status_code == 503 and refused.get_json()["error"]["code"] == "softphone_unavailable"
            app.config.update(line)
            answer = client.get("/api/v1/console/softphone/token")
            page = client.get("/console")
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        expected = {"mode": "sip", "ws_url": line["GATEWAY_PHONE_WS_URL"], **credentials(CONFIG, worker.id, ISSUED)}
        assert answer.get_json() == expected
        # The page loads JsSIP (not the Twilio SDK) and may connect to Kamailio's WebSocket.
        html = page.get_data(as_text=True)
        assert "vendor/jssip-3.13.8.min.js" in html and "twilio-voice" not in html
        assert "connect-src 'self' wss://hotline.example.org/sip-ws;" in page.headers["Content-Security-Policy"]
    finally:
        app.config.update(saved)
