"""Behind a proxy the real client address counts: throttling per account and per address with growing
delays, so a stranger's bad tries do not lock a worker out; the audit log records the real address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from limits.storage import MemoryStorage
from sqlalchemy import select

from hotline import trust_proxies
from hotline.accounts import throttle
from hotline.audit import AuditEntry
from tests.conftest import TEST_PASSWORD, csrf_token

PROXY = "127.0.0.1"


@pytest.fixture
def behind_nginx(app: Flask) -> Iterator[None]:
    """The app as deployed behind one nginx (TRUSTED_PROXY_HOPS=1)."""
    saved_app, saved_hops = app.wsgi_app, app.config["TRUSTED_PROXY_HOPS"]
    app.config["TRUSTED_PROXY_HOPS"] = 1
    trust_proxies(app)
    yield
    app.wsgi_app, app.config["TRUSTED_PROXY_HOPS"] = saved_app, saved_hops


def through_proxy(client_address: str) -> dict[str, Any]:
    """Request arguments for a request nginx forwards from `client_address`."""
    return {
        "environ_base": {"REMOTE_ADDR": PROXY},
        "headers": {"X-Forwarded-For": client_address},
    }


def attempt(client: FlaskClient, username: str, password: str, address: str) -> int:
    """Post the log-in form from `address` through the proxy; return the status."""
    token = csrf_token(client)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data, **through_proxy(address)).status_code


@pytest.mark.usefixtures("behind_nginx")
def test_a_strangers_bad_tries_do_not_lock_out_a_worker_or_a_colleague(
    app: Flask, make_user: Any, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Waits long enough that a slow machine's 60 attempts all fall inside the first one.
    monkeypatch.setattr(throttle, "FIRST_DELAY_SECONDS", 600)
    supervisor, colleague = make_user("supervisor"), make_user("worker")
    own_browser = app.test_client()
    assert attempt(own_browser, supervisor.username, TEST_PASSWORD, "198.51.100.10") == 302
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser, "/")}, **through_proxy("198.51.100.10"))
    stranger = app.test_client()
    statuses = [attempt(stranger, supervisor.username, "wrong-password-x", "203.0.113.66") for _ in range(60)]
    assert statuses[:5] == [422] * 5 and set(statuses[5:]) == {429}
    assert attempt(own_browser, supervisor.username, TEST_PASSWORD, "198.51.100.10") == 302
    assert attempt(app.test_client(), colleague.username, TEST_PASSWORD, "198.51.100.20") == 302


@pytest.mark.usefixtures("behind_nginx")
def test_the_audit_log_records_the_real_address(app: Flask, make_user: Any, db_session: Any) -> None:
    user = make_user("worker")
    attempt(app.test_client(), user.username, "wrong-password-x", "203.0.113.9")
    attempt(app.test_client(), user.username, TEST_PASSWORD, "198.51.100.30")
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.target == f"user:{user.id}")).all()
    assert {(entry.action, entry.address) for entry in entries} == {
        ("user.log_in_failed", "203.0.113.9"),
        ("user.log_in", "198.51.100.30"),
    }


@pytest.mark.usefixtures("behind_nginx")
def test_a_waiting_attempt_is_refused_before_its_password_is_checked(app: Flask, make_user: Any) -> None:
    user = make_user("worker")
    browser = app.test_client()
    for _ in range(5):
        assert attempt(browser, user.username, "wrong-password-x", "203.0.113.5") == 422
    token = csrf_token(browser)
    answer = browser.post(
        "/login",
        data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": token},
        **through_proxy("203.0.113.5"),
    )
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
    page = answer.get_data(as_text=True)
    assert "尝试次数过多" in page and f'value="{user.username}"' in page


def test_without_trusted_proxies_forwarded_headers_are_ignored(client: FlaskClient, make_user: Any) -> None:
    user = make_user("worker")
    for forged in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"):
        assert attempt(client, user.username, "wrong-password-x", forged) == 422
    assert attempt(client, user.username, TEST_PASSWORD, "203.0.113.99") == 429


def test_delays_grow_with_each_failure_and_pass() -> None:
    storage = MemoryStorage()
    stranger = throttle.Attempt("203.0.113.7", "Worker1")
    with time_machine.travel(0, tick=False) as clock:
        for _ in range(5):
            assert throttle.wait_seconds(storage, stranger) == 0
            throttle.failed(storage, stranger)
        waits = []
        for _ in range(4):
            waits.append(throttle.wait_seconds(storage, stranger))
            clock.shift(waits[-1])
            assert throttle.wait_seconds(storage, stranger) == 0
            throttle.failed(storage, stranger)
        assert waits == [2, 4, 8, 16]


def test_an_account_attacked_from_many_addresses_slows_down_only_for_unknown_browsers() -> None:
    storage = MemoryStorage()
    with time_machine.travel(0, tick=False):
        for number in range(10):
            throttle.failed(storage, throttle.Attempt(f"203.0.113.{number}", "worker1"))
        assert throttle.wait_seconds(storage, throttle.Attempt("198.51.100.1", "worker1")) == 2
        device = throttle.read_device("k", throttle.device_cookie("k", None, "worker1"))
        assert throttle.wait_seconds(storage, throttle.Attempt("198.51.100.1", "worker1", device)) == 0
        assert throttle.read_device("other-key", throttle.device_cookie("k", None, "worker1")) is None


def test_the_hop_count_comes_from_the_environment(monkeypatch: Any) -> None:
    from config import load_config

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    assert load_config("testing").TRUSTED_PROXY_HOPS == 2
