"""Over HTTP: the managers' escalation settings page."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.audit import AuditEntry
from hotline.escalation.policies import setting
from hotline.settings import Setting
from tests.conftest import csrf_token, log_in

VALID_SETTINGS = {
    "channels_normal": ["sms"],
    "channels_urgent": ["sms", "voice"],
    "channels_emergency": ["sms", "voice", "webhook"],
    "restricted_countries": "cn, hk",
    "link_hours": "24",
    "team_webhook_url": "https://qyapi.example.com/cgi-bin/webhook/send?key=abc",
    "voice_language": "cmn-CN",
    "voice_name": "Polly.Zhiyu",
    "callback_minutes": "10",
}


def test_escalation_settings_are_for_managers_only(app: Flask, client: Any, make_user: Any) -> None:
    anonymous = app.test_client().get("/escalation/settings")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for role in ("worker", "supervisor"):
        log_in(client, make_user(role))
        assert client.get("/escalation/settings").status_code == 403
        assert client.post("/escalation/settings", data=VALID_SETTINGS).status_code == 403
    log_in(client, make_user("manager"))
    page = client.get("/escalation/settings").get_data(as_text=True)
    assert 'href="/escalation/settings"' in page and "升级设置" in page


def test_escalation_settings_page_shows_the_defaults(login_as: Any) -> None:
    page = login_as("manager").get("/escalation/settings").get_data(as_text=True)
    for value in ('value="72"', 'value="CN"', 'value="cmn-CN"', 'value="Polly.Zhiyu"', 'value="15"'):
        assert value in page
    normal = re.search(r'<select id="channels_normal".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option selected value=\"(\w+)\"", normal) == ["sms", "webhook"]


def test_manager_saves_escalation_settings_and_each_change_is_audited(
    client: Any, db_session: Any, make_user: Any
) -> None:
    manager = make_user("manager")
    log_in(client, manager)
    token = csrf_token(client, "/escalation/settings")
    response = client.post("/escalation/settings", data={**VALID_SETTINGS, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/escalation/settings")
    assert "升级设置已保存" in client.get("/escalation/settings").get_data(as_text=True)
    assert setting(db_session, "escalation.channels") == {
        "normal": ["sms"],
        "urgent": ["sms", "voice"],
        "emergency": ["voice", "sms", "webhook"],
    }
    assert setting(db_session, "escalation.sms_rules") == {"restricted_countries": ["CN", "HK"]}
    assert setting(db_session, "escalation.link") == {"hours": 24}
    assert setting(db_session, "escalation.team_webhook")["url"] == VALID_SETTINGS["team_webhook_url"]
    assert setting(db_session, "escalation.callback") == {"duty_team_minutes": 10}
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()
    assert sorted(e.target for e in entries) == [
        "setting:escalation.callback",
        "setting:escalation.channels",
        "setting:escalation.link",
        "setting:escalation.sms_rules",
        "setting:escalation.team_webhook",
    ]
    assert all(e.actor_id == manager.id for e in entries)


def test_wrong_escalation_settings_show_errors_keep_what_was_typed_and_change_nothing(
    client: Any, db_session: Any, make_user: Any
) -> None:
    log_in(client, make_user("manager"))
    token = csrf_token(client, "/escalation/settings")
    typed = {
        **VALID_SETTINGS,
        "channels_urgent": [],
        "restricted_countries": "CHN",
        "link_hours": "0",
        "team_webhook_url": "ftp://robot.example.com/send",
        "csrf_token": token,
    }
    page = client.post("/escalation/settings", data=typed)
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'value="CHN"' in text and 'value="0"' in text and 'value="ftp://robot.example.com/send"' in text
    assert "请至少选择一个渠道。" in text and "请填写以 http:// 或 https:// 开头的地址，或留空。" in text
    assert "请填写两个字母的国家或地区代码（例如 CN），用逗号分隔。" in text
    assert text.count('aria-invalid="true"') == 4
    only_the_url = client.post(
        "/escalation/settings", data={**VALID_SETTINGS, "team_webhook_url": "javascript:alert(1)", "csrf_token": token}
    )
    assert only_the_url.status_code == 422 and 'value="javascript:alert(1)"' in only_the_url.get_data(as_text=True)
    assert db_session.scalars(select(Setting)).all() == []
    assert db_session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).all() == []
