"""The SMS settings pages: managers only, CSRF, secrets stored encrypted and never shown, templates checked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from hotline.sms import configuration
from tests.conftest import csrf_token

PAGE = "/sms/settings"


def provider_form(token: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "provider": "alibaba",
        "alibaba_sign_name": "宝坻社工热线",
        "alibaba_access_key_id": "LTAI-key",
        "alibaba_secret": "",
        "tencent_sign_name": "",
        "tencent_sdk_app_id": "",
        "tencent_region": "ap-guangzhou",
        "tencent_secret_id": "",
        "tencent_secret": "",
        **fields,
    }


def test_only_managers_open_the_sms_settings(login_as: Any) -> None:
    assert login_as("supervisor").get(PAGE).status_code == 403


def test_a_saved_secret_is_stored_encrypted_and_never_shown_back(login_as: Any, db_session: Any) -> None:
    client = login_as("manager")
    token = csrf_token(client, PAGE)
    saved = client.post(PAGE, data=provider_form(token, alibaba_secret="very-secret-value"))
    assert saved.status_code == 302
    stored = db_session.execute(text("SELECT value FROM settings WHERE key = 'sms.provider'")).scalar()
    assert "very-secret-value" not in str(stored)
    assert configuration.credentials(db_session, "alibaba") == ("LTAI-key", "very-secret-value")
    page = client.get(PAGE).get_data(as_text=True)
    assert "very-secret-value" not in page and "已保存密钥" in page and "/sms/callbacks/alibaba/" in page
    # An empty secret field keeps the stored secret.
    client.post(PAGE, data=provider_form(csrf_token(client, PAGE), alibaba_sign_name="新签名"))
    assert configuration.credentials(db_session, "alibaba")[1] == "very-secret-value"


def test_a_form_without_its_csrf_token_is_refused(login_as: Any) -> None:
    client = login_as("manager")
    assert client.post(PAGE, data=provider_form("")).status_code == 400


def test_a_template_is_previewed_and_refused_when_it_does_not_fit_its_limits(login_as: Any, db_session: Any) -> None:
    client = login_as("manager")
    path = "/sms/settings/templates/tencent/reminder"
    token = csrf_token(client, path)
    form = {
        "csrf_token": token,
        "template_id": "2002",
        "params": "no, code",
        "text": "提醒：转介{1}仍待您回复。回复1 {2}接受。",
        "max_length": "6",
        "max_params": "1",
        "action": "save",
    }
    refused = client.post(path, data=form)
    assert refused.status_code == 422 and "最多声明 1 个参数" in refused.get_data(as_text=True)
    preview = client.post(path, data={**form, "max_params": "2", "action": "preview"})
    assert preview.status_code == 200 and "提醒：转介128仍待您回复。回复1 4821接受。" in preview.get_data(as_text=True)
    assert configuration.templates(db_session, "tencent")["reminder"]["template_id"] == ""
    linked = client.post(path, data={**form, "max_params": "2", "text": "详情 https://x.cn {1}{2}"})
    assert linked.status_code == 422 and "不允许包含链接" in linked.get_data(as_text=True)
    saved = client.post(path, data={**form, "max_params": "2"})
    assert saved.status_code == 302
    assert configuration.templates(db_session, "tencent")["reminder"]["template_id"] == "2002"
