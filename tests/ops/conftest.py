"""Fixtures for the fault tests: a separate database built by the migrations, real servers as subprocesses.

The fault tests never touch the suite's own database (each test there runs in a
rolled-back transaction) nor the machine's shared PostgreSQL cluster and Redis:
they use a database of their own, a throwaway redis-server, and for the
PostgreSQL restart a throwaway cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy.engine import make_url

from scripts.bench import harness
from tests.support.ports import free_port


def suite_is_postgresql(app: Flask) -> bool:
    """Return whether the suite runs on PostgreSQL."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"


def needs_postgresql(app: Flask, why: str) -> None:
    """Skip the test on the SQLite pass, saying why."""
    if not suite_is_postgresql(app):
        pytest.skip(f"PostgreSQL pass only: {why}")


def build_database(app: Flask, folder: Path, suffix: str) -> str:
    """Create a fresh database beside the suite's (same engine), migrate it, open the line all day."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        database_url = harness.postgres_url(f"{url.database}_{suffix}", admin)
    else:
        database_url = f"sqlite:///{folder / f'{suffix}.sqlite3'}"
    harness.migrate(harness.app_env(database_url, "http://127.0.0.1:1"))
    harness.open_line_all_day(database_url)
    return database_url


@pytest.fixture(scope="module")
def fault_database(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database for this module's servers."""
    if "telephony.voice_incoming" not in app.view_functions:
        pytest.skip("needs the phone line's webhooks (POST /twilio/voice/incoming)")
    return build_database(app, tmp_path_factory.mktemp("faults"), "faults")


@pytest.fixture
def start_server() -> Iterator[Callable[..., harness.Server]]:
    """Start Hotline under gunicorn (production settings): start_server(database_url, redis_url=None, port=None).

    `worker_class` is gevent (the deployment's default) or gthread.
    """
    servers: list[harness.Server] = []

    def start(
        database_url: str,
        redis_url: str | None = None,
        port: int | None = None,
        worker_class: str = "gevent",
        **env: str,
    ) -> harness.Server:
        port = port or free_port()
        settings = harness.app_env(
            database_url, f"http://127.0.0.1:{port}", redis_url, SCHEDULER_HEARTBEAT_MAX_AGE="0", **env
        )
        server = harness.gunicorn(f"web-{port}", "wsgi:app", settings, port, worker_class).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def post(server: harness.Server, path: str, form: dict[str, str], timeout: float = 10) -> requests.Response:
    """Send a signed Twilio webhook to the server."""
    url, data, headers = harness.webhook(server.url, path, form)
    return requests.post(url, data=data, headers=headers, timeout=timeout)


def call_form(call_sid: str, number: int = 0, **extra: str) -> dict[str, str]:
    """Return the parameters Twilio sends about an inbound call."""
    caller = f"+86139{number:08d}"
    form = {
        "AccountSid": harness.ACCOUNT_SID,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": caller,
        "Caller": caller,
        "To": harness.HOTLINE_NUMBER,
        "Called": harness.HOTLINE_NUMBER,
    }
    form.update(extra)
    return form


def rows(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run a query against the fault database."""
    return harness.query(database_url, sql, **params)
