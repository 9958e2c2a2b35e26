"""Sessions end on the server: a copied cookie dies with log-out, password or role change, "log out
everywhere", a disabled account, idle and absolute lifetimes; open Socket.IO connections close too."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import requests
import socketio
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from hotline.accounts import services
from hotline.clock import utcnow
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.console.conftest import real_socketio  # noqa: F401  (the fixture)
from tests.console.test_events import committed_user, cookie_header, staff_session
from tests.support.waiting import until


def form_log_in(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the log-in form, as a browser does."""
    token = csrf_token(client)
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Return a second client holding a copy of `client`'s session cookie (an attacker's copy)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def opens(client: FlaskClient) -> dict[str, int]:
    """Return the statuses of a page and the API for this cookie."""
    return {"page": client.get("/profile").status_code, "api": client.get("/api/v1/me").status_code}


LIVE = {"page": 200, "api": 200}
DEAD = {"page": 302, "api": 401}


def test_a_cookie_copied_before_log_out_is_dead_after_it(app: Flask, client: FlaskClient, make_user: Any) -> None:
    user = make_user("worker")
    form_log_in(client, user.username)
    stolen = copy_of(app, client)
    assert opens(stolen) == LIVE
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")}).status_code == 302
    assert opens(stolen) == DEAD
    assert stolen.get("/console").status_code == 302


def test_log_out_everywhere_ends_every_session(app: Flask, make_user: Any, db_session: Any) -> None:
    user = make_user("worker")
    desk, phone = app.test_client(), app.test_client()
    form_log_in(desk, user.username)
    form_log_in(phone, user.username)
    assert "退出所有登录" in desk.get("/profile").get_data(as_text=True)
    answer = desk.post("/profile/sessions/end", data={"csrf_token": csrf_token(desk, "/profile")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    assert opens(desk) == DEAD and opens(phone) == DEAD


def test_a_password_change_ends_the_other_sessions_and_renews_this_one(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user("worker")
    form_log_in(client, user.username)
    other, stolen = app.test_client(), copy_of(app, client)
    form_log_in(other, user.username)
    new = "a-much-longer-passphrase-42"
    answer = client.post(
        "/profile/password",
        data={
            "password-current": TEST_PASSWORD,
            "password-new": new,
            "password-confirm": new,
            "csrf_token": csrf_token(client, "/profile"),
        },
    )
    assert answer.status_code == 302
    assert opens(client) == LIVE
    assert opens(other) == DEAD and opens(stolen) == DEAD


def test_a_role_change_or_a_disabled_account_ends_every_session(app: Flask, make_user: Any, db_session: Any) -> None:
    worker, other = make_user("worker"), make_user("worker")
    browser_one, browser_two = app.test_client(), app.test_client()
    form_log_in(browser_one, worker.username)
    form_log_in(browser_two, other.username)
    services.update_user(db_session, worker, "supervisor", True, worker.display_name)
    services.update_user(db_session, other, "worker", False, other.display_name)
    assert opens(browser_one) == DEAD and opens(browser_two) == DEAD


def test_an_idle_session_ends_and_so_does_an_old_one(app: Flask, make_user: Any, db_session: Any) -> None:
    user = make_user("worker")
    start = utcnow()
    idle, absolute = app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_MAX_HOURS"]
    with time_machine.travel(start, tick=False) as clock:
        idle_browser, busy_browser = app.test_client(), app.test_client()
        form_log_in(idle_browser, user.username)
        form_log_in(busy_browser, user.username)
        used = timedelta()
        while used < timedelta(hours=absolute) - timedelta(minutes=idle):
            step = timedelta(minutes=idle - 1)
            clock.shift(step)
            used += step
            assert opens(busy_browser) == LIVE
        assert opens(idle_browser) == DEAD
        clock.shift(timedelta(minutes=idle))
        assert opens(busy_browser) == DEAD


def test_lifetimes_come_from_the_environment(monkeypatch: Any) -> None:
    from config import load_config

    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("SESSION_MAX_HOURS", "9")
    settings = load_config("testing")
    assert (settings.SESSION_IDLE_MINUTES, settings.SESSION_MAX_HOURS) == (15, 9)


@pytest.mark.usefixtures("real_socketio")
def test_an_open_console_connection_closes_within_seconds_of_log_out(app: Flask, live_server: Any) -> None:
    committed_user(app, "socket-worker")
    browser = staff_session(live_server.url, "socket-worker")
    stolen = requests.Session()
    stolen.headers["Cookie"] = cookie_header(browser)
    consoles = [socketio.Client(reconnection=False) for _ in range(2)]
    app.config["SESSION_SOCKET_CHECK_SECONDS"] = 1
    try:
        for console in consoles:
            console.connect(
                live_server.url,
                transports=["websocket"],
                headers={"Cookie": cookie_header(browser)},
                wait_timeout=10,
            )
        assert all(console.connected for console in consoles)
        assert consoles[0].call("console.heartbeat", timeout=10)["ok"] is True
        ended_at = time.monotonic()
        assert browser.post(f"{live_server.url}/logout", timeout=10).status_code in (200, 302)
        until(lambda: not any(console.connected for console in consoles), timeout=10, interval=0.05)
        assert time.monotonic() - ended_at < 5
        assert stolen.get(f"{live_server.url}/api/v1/me", timeout=10).status_code == 401
        again = socketio.Client(reconnection=False)
        try:
            again.connect(live_server.url, transports=["websocket"], headers=stolen.headers, wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            pass
        assert not again.connected
    finally:
        app.config["SESSION_SOCKET_CHECK_SECONDS"] = 0
        for console in consoles:
            console.disconnect()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_password_change_role_change_disabling_and_log_out_everywhere_revoke_api_tokens(
    app: Flask, client: FlaskClient, make_user: Any, db_session: Any
) -> None:
    changes = {
        "password": lambda user: services.set_password(db_session, user, "a-much-longer-passphrase-42"),
        "role": lambda user: services.update_user(db_session, user, "supervisor", True, user.display_name),
        "disabled": lambda user: services.update_user(db_session, user, "worker", False, user.display_name),
        "everywhere": lambda user: services.end_every_session(db_session, user, utcnow()),
    }
    for name, change in changes.items():
        user = make_user("worker")
        tokens = [services.issue_token(db_session, user, "laptop"), services.issue_token(db_session, user, "phone")]
        assert all(client.get("/api/v1/me", headers=bearer(token)).status_code == 200 for token in tokens), name
        change(user)
        assert [client.get("/api/v1/me", headers=bearer(token)).status_code for token in tokens] == [401, 401], name
        assert all(row.revoked_at is not None for row in services.list_tokens(db_session, user)), name


def test_the_password_form_revokes_the_tokens(client: FlaskClient, make_user: Any, db_session: Any) -> None:
    user = make_user("worker")
    token = services.issue_token(db_session, user, "laptop")
    form_log_in(client, user.username)
    new = "a-much-longer-passphrase-42"
    answer = client.post(
        "/profile/password",
        data={
            "password-current": TEST_PASSWORD,
            "password-new": new,
            "password-confirm": new,
            "csrf_token": csrf_token(client, "/profile"),
        },
    )
    assert answer.status_code == 302
    assert client.application.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


@pytest.mark.usefixtures("real_socketio")
def test_a_console_connected_by_an_api_token_closes_within_seconds_of_its_revocation(
    app: Flask, live_server: Any
) -> None:
    from hotline.accounts.models import User
    from hotline.extensions import db

    user_id = committed_user(app, "token-worker")
    with app.app_context():
        user = db.session.get(User, user_id)
        tokens = {name: services.issue_token(db.session, user, name) for name in ("revoked", "password")}
        revoked_id = services.list_tokens(db.session, user)[-1].id
        db.session.remove()
    consoles = {name: socketio.Client(reconnection=False) for name in tokens}
    app.config["SESSION_SOCKET_CHECK_SECONDS"] = 1
    try:
        for name, console in consoles.items():
            console.connect(live_server.url, transports=["websocket"], headers=bearer(tokens[name]), wait_timeout=10)
        assert all(console.connected for console in consoles.values())
        assert consoles["revoked"].call("console.heartbeat", timeout=10)["ok"] is True
        with app.app_context():
            assert services.revoke_token(db.session, db.session.get(User, user_id), revoked_id)
            db.session.remove()
        started = time.monotonic()
        until(lambda: not consoles["revoked"].connected, timeout=10, interval=0.05)
        assert time.monotonic() - started < 5 and consoles["password"].connected
        with app.app_context():
            services.set_password(db.session, db.session.get(User, user_id), "a-much-longer-passphrase-42")
            db.session.remove()
        until(lambda: not consoles["password"].connected, timeout=10, interval=0.05)
        assert (
            requests.get(f"{live_server.url}/api/v1/me", headers=bearer(tokens["password"]), timeout=10).status_code
            == 401
        )
        again = socketio.Client(reconnection=False)
        try:
            again.connect(live_server.url, transports=["websocket"], headers=bearer(tokens["password"]), wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            pass
        assert not again.connected
    finally:
        app.config["SESSION_SOCKET_CHECK_SECONDS"] = 0
        for console in consoles.values():
            console.disconnect()
