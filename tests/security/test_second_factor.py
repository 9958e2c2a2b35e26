"""TOTP second factor: required for supervisors and above (enrolment at log-in), optional for workers,
each code used once, recovery codes; never off in production."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import ConfigError, load_config
from tests.conftest import TEST_PASSWORD, csrf_token


@pytest.fixture
def required(app: Flask) -> Iterator[None]:
    """The production rule: supervisors, managers and admins need a second factor."""
    app.config["SECOND_FACTOR_REQUIRED"] = True
    yield
    app.config["SECOND_FACTOR_REQUIRED"] = False


def give_password(client: FlaskClient, username: str) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token})


def send_code(client: FlaskClient, path: str, code: str) -> Any:
    page = client.get(path).get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    return client.post(path, data={"code": code, "csrf_token": token})


def logged_in(client: FlaskClient) -> bool:
    return client.get("/profile").status_code == 200


def enrol(client: FlaskClient, path: str) -> tuple[str, list[str]]:
    page = client.get(path).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    assert send_code(client, path, "000000").status_code == 422
    answer = send_code(client, path, pyotp.TOTP(secret).now())
    assert answer.status_code == 200
    listing = answer.get_data(as_text=True).split('id="recovery-codes">')[1].split("</ul>")[0]
    codes = [item.split("</code>")[0] for item in listing.split("<code>")[1:]]
    return secret, codes


@pytest.mark.usefixtures("required")
def test_a_supervisor_sets_it_up_at_log_in_then_needs_a_code_each_time(app: Flask, make_user: Any) -> None:
    supervisor = make_user("supervisor")
    browser = app.test_client()
    answer = give_password(browser, supervisor.username)
    assert answer.headers["Location"].endswith("/login/code")
    assert not logged_in(browser)
    secret, codes = enrol(browser, "/login/enrol")
    assert logged_in(browser) and len(codes) == 10

    again = app.test_client()
    assert give_password(again, supervisor.username).headers["Location"].endswith("/login/code")
    assert not logged_in(again)
    used = pyotp.TOTP(secret).at(time.time() + 30)
    assert send_code(again, "/login/code", "123456").status_code == 422
    assert send_code(again, "/login/code", used).status_code == 302 and logged_in(again)

    replay = app.test_client()
    give_password(replay, supervisor.username)
    assert send_code(replay, "/login/code", used).status_code == 422 and not logged_in(replay)
    assert send_code(replay, "/login/code", codes[0]).status_code == 302 and logged_in(replay)

    spent = app.test_client()
    give_password(spent, supervisor.username)
    assert send_code(spent, "/login/code", codes[0]).status_code == 422


@pytest.mark.usefixtures("required")
def test_a_worker_may_log_in_without_one_or_turn_it_on(app: Flask, make_user: Any) -> None:
    worker = make_user("worker")
    browser = app.test_client()
    assert give_password(browser, worker.username).headers["Location"] == "/"
    assert logged_in(browser)
    secret, _codes = enrol(browser, "/profile/second-factor")
    other = app.test_client()
    assert give_password(other, worker.username).headers["Location"].endswith("/login/code")
    assert send_code(other, "/login/code", pyotp.TOTP(secret).at(time.time() + 30)).status_code == 302
    assert logged_in(other)


def test_the_code_step_needs_the_password_first(client: FlaskClient) -> None:
    assert client.get("/login/code").headers["Location"].endswith("/login")
    assert client.get("/login/enrol").headers["Location"].endswith("/login")


def test_tests_and_the_demo_may_turn_it_off_production_may_not(monkeypatch: Any) -> None:
    monkeypatch.setenv("SECOND_FACTOR_REQUIRED", "false")
    assert load_config("development").SECOND_FACTOR_REQUIRED is False
    for name, value in {
        "SECRET_KEY": "x" * 40,
        "FIELD_ENCRYPTION_KEY": "C41STp6NLqfgE5CzSgsDfYA9ohwqG1_JUaXkjVpDuLs=",
        "PUBLIC_BASE_URL": "https://hotline.example.org",
        "DATABASE_URL": "postgresql://x@127.0.0.1/x",
        "TELEPHONY": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_NUMBER": "+862288880000",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="SECOND_FACTOR_REQUIRED"):
        load_config("production")
    monkeypatch.setenv("SECOND_FACTOR_REQUIRED", "true")
    assert load_config("production").SECOND_FACTOR_REQUIRED is True


@pytest.mark.usefixtures("required")
def test_an_admin_resets_a_lost_second_factor_and_the_user_sets_up_a_new_one(
    app: Flask, make_user: Any, db_session: Any
) -> None:
    from hotline.audit import AuditEntry

    supervisor, admin, manager = make_user("supervisor"), make_user("admin"), make_user("manager")
    phone = app.test_client()
    give_password(phone, supervisor.username)
    old_secret, _codes = enrol(phone, "/login/enrol")
    assert logged_in(phone)
    reset = f"/admin/users/{supervisor.id}/second-factor/reset"

    intruder = app.test_client()
    give_password(intruder, manager.username)
    enrol(intruder, "/login/enrol")
    assert intruder.post(reset, data={"csrf_token": csrf_token(intruder, "/profile")}).status_code == 403

    desk = app.test_client()
    give_password(desk, admin.username)
    enrol(desk, "/login/enrol")
    page = desk.get(f"/admin/users/{supervisor.id}").get_data(as_text=True)
    assert "重置双重验证" in page and reset in page
    assert desk.post(reset).status_code == 400  # no CSRF token
    answer = desk.post(reset, data={"csrf_token": csrf_token(desk, f"/admin/users/{supervisor.id}")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/admin/users/{supervisor.id}")
    assert not logged_in(phone)
    entry = db_session.query(AuditEntry).filter_by(action="user.second_factor_reset").one()
    assert entry.actor_id == admin.id and entry.target == f"user:{supervisor.id}"

    again = app.test_client()
    assert give_password(again, supervisor.username).headers["Location"].endswith("/login/code")
    assert again.get("/login/code").headers["Location"].endswith("/login/enrol")  # the old app no longer counts
    assert not logged_in(again)
    new_secret, _codes = enrol(again, "/login/enrol")
    assert new_secret != old_secret and logged_in(again)
