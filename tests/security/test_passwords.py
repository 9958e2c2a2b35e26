"""The password policy: 12 characters at least, no common password in disguise, a clear message in
Chinese and English; the demo seed refuses to run in production."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.accounts import passwords, services
from hotline.accounts.exceptions import WeakPassword
from hotline.demo import DEMO_PASSWORD, DemoRefused, seed_demo
from tests.conftest import TEST_PASSWORD, csrf_token, log_in

WEAK = ["aaaaaaaaaa", "1234567890", "password12", "aaaaaaaaaaaa", "123456789012", "Password2026!", "qwertyuiop12"]
WEAK += ["1qaz2wsx3edc", "iloveyou2026", "P@ssw0rd2026", "abcabcabcabc", "monkeymonkey", "worker1-2026-x"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused(weak: str) -> None:
    assert passwords.problem(weak, "worker1") is not None
    with pytest.raises(WeakPassword):
        services.hash_password(weak, "worker1")


@pytest.mark.parametrize(
    "good", [TEST_PASSWORD, DEMO_PASSWORD, "a-much-longer-passphrase-42", "我的密码很长而且安全的吧"]
)
def test_long_uncommon_passwords_are_accepted(good: str) -> None:
    assert passwords.problem(good, "worker1") is None


def test_the_command_line_refuses_a_weak_password(app: Flask, db_session: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--username", "weakling", "--role", "worker", "--password", "aaaaaaaaaa"]
    )
    assert result.exit_code != 0 and "at least 12 characters" in result.output


def change_password(client: FlaskClient, new: str, lang: str = "zh") -> Any:
    client.get(f"/lang/{lang}?next=/profile")
    return client.post(
        "/profile/password",
        data={
            "password-current": TEST_PASSWORD,
            "password-new": new,
            "password-confirm": new,
            "csrf_token": csrf_token(client, "/profile"),
        },
    )


def test_the_profile_says_why_in_chinese_and_english(client: FlaskClient, make_user: Any) -> None:
    log_in(client, make_user("worker"))
    chinese = change_password(client, "Password2026!")
    assert chinese.status_code == 422 and "过于常见" in chinese.get_data(as_text=True)
    english = change_password(client, "short-one", lang="en")
    assert english.status_code == 422 and "At least 12 characters." in english.get_data(as_text=True)


def test_the_new_account_form_refuses_a_weak_password_and_keeps_what_was_typed(
    client: FlaskClient, make_user: Any
) -> None:
    log_in(client, make_user("admin"))
    answer = client.post(
        "/admin/users/new",
        data={
            "username": "newcomer",
            "display_name": "新同事",
            "role": "worker",
            "password": "newcomer-2026",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "密码不能包含用户名" in page
    assert 'value="newcomer"' in page and 'value="新同事"' in page


def test_the_demo_seed_refuses_to_run_in_production(app: Flask, db_session: Any) -> None:
    app.config["ENV_NAME"] = "production"
    try:
        with pytest.raises(DemoRefused):
            seed_demo(db_session)
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code != 0 and "refuses to run in production" in result.output
    finally:
        app.config["ENV_NAME"] = "testing"
