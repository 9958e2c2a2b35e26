"""Live updates: Socket.IO refuses anonymous consoles, joins rooms, and carries events across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from flask import Flask

from hotline.accounts.models import User
from hotline.accounts.services import hash_password
from hotline.extensions import db
from tests.conftest import TEST_PASSWORD, truncate_all
from tests.support.ports import free_port
from tests.support.waiting import until

ROOT = Path(__file__).resolve().parents[2]


def staff_session(base_url: str, username: str) -> requests.Session:
    """Log in over HTTP like a browser; return the session carrying the cookie and the CSRF header."""
    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=10).text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    answer = session.post(
        f"{base_url}/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}, timeout=10
    )
    assert answer.status_code in (200, 302)
    console = session.get(f"{base_url}/console", timeout=10).text
    session.headers["X-CSRFToken"] = console.split('name="csrf-token" content="')[1].split('"')[0]
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def committed_user(app: Flask, username: str, role: str = "worker") -> int:
    with app.app_context():
        user = User(username=username, display_name=username, password_hash=hash_password(TEST_PASSWORD), role=role)
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


class Listener:
    """A python-socketio client that records the events it receives."""

    def __init__(self) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.client.on("*", self._record)

    def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    def wait_for(self, name: str, timeout: float = 10.0) -> Any:
        """Return the data of the first `name` event, waiting for it to arrive."""

        def arrived() -> list[Any]:
            return [data for event, data in self.events if event == name][:1]

        return until(arrived, timeout=timeout, interval=0.05)[0]


def test_an_anonymous_console_is_refused(live_server: Any, real_socketio: None) -> None:
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live_server.url, transports=["polling"], wait_timeout=5)
    assert not client.connected


def test_a_logged_in_console_joins_its_rooms_and_gets_events(app: Flask, live_server: Any, real_socketio: None) -> None:
    user_id = committed_user(app, "live-worker")
    session = staff_session(live_server.url, "live-worker")
    listener = Listener()
    listener.client.connect(
        live_server.url, transports=["polling"], headers={"Cookie": cookie_header(session)}, wait_timeout=10
    )
    try:
        assert listener.client.call("console.heartbeat", timeout=10)["ok"] is True
        from hotline import push

        with app.app_context():
            push.offer_made(user_id, {"offer_id": 7, "worker_id": user_id})
            push.offer_made(user_id + 1000, {"offer_id": 8, "worker_id": user_id + 1000})
        assert listener.wait_for("offer.new")["offer_id"] == 7
        answer = session.post(f"{live_server.url}/api/v1/routing/presence", json={"state": "break"}, timeout=10)
        assert answer.status_code == 200
        assert listener.wait_for("presence.updated") == {"user_id": user_id, "state": "break"}
        assert all(data.get("offer_id") != 8 for event, data in listener.events if event == "offer.new")
    finally:
        listener.client.disconnect()


SERVER = """
import sys
from hotline import create_app
from hotline.extensions import socketio
url, port = sys.argv[1], int(sys.argv[2])
app = create_app("testing", {"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url})
socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)
"""


@pytest.fixture
def two_servers(app: Flask, tmp_path: Path) -> Iterator[list[str]]:
    """Two web processes on the test database, sharing Redis as Socket.IO's message queue."""
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs REDIS_URL: the cross-process test runs two servers that share Redis as message queue")
    env = dict(os.environ, REDIS_URL=redis_url, HOTLINE_INSTANCE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    urls, processes = [], []
    for _ in range(2):
        port = free_port()
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", SERVER, database, str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            until(
                lambda url=url: requests.get(f"{url}/healthz", timeout=2).status_code == 200,
                timeout=60,
                interval=0.3,
                ignoring=(requests.RequestException,),
            )
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        truncate_all(app)


def test_an_event_emitted_by_another_process_reaches_the_browser(app: Flask, two_servers: list[str]) -> None:
    first, second = two_servers
    user_id = committed_user(app, "two-process-worker")
    session = staff_session(first, "two-process-worker")
    listener = Listener()
    listener.client.connect(first, transports=["polling"], headers={"Cookie": cookie_header(session)}, wait_timeout=10)
    try:
        listener.client.call("console.heartbeat", timeout=10)
        # The same login, used on the second process: it changes the state and emits there.
        page = session.get(f"{second}/console", timeout=10).text
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        answer = session.post(
            f"{second}/api/v1/routing/presence", json={"state": "break"}, headers={"X-CSRFToken": token}, timeout=10
        )
        assert answer.status_code == 200
        assert listener.wait_for("presence.updated", timeout=15) == {"user_id": user_id, "state": "break"}
    finally:
        listener.client.disconnect()
