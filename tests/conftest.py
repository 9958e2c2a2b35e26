"""Shared fixtures: the app on a real database, per-test rollback, users, clients, a live server.

The database is SQLite in a temporary folder unless DATABASE_URL is set (CI runs the
suite again on PostgreSQL). The schema is built by the migrations, as in production.
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import make_server

from config import normalise_database_url
from hotline import create_app
from hotline.accounts.models import Certification, User
from hotline.db import UNMAPPED_TABLES
from hotline.extensions import db

TEST_PASSWORD = "correct-horse-battery"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def database_url(tmp_dir: Path) -> str:
    """Return the database the suite runs on."""
    return normalise_database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite3'}")


def reset_schema(app: Flask) -> None:
    """Drop everything and build the schema from the migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            else:
                db.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="heads")


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh context, as with a real server.

    Without this, a request would reuse the app context a test holds open, and with
    it `g` (the logged-in user, the CSRF token) from the previous request.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request from an empty context."""
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app_overrides() -> dict[str, Any]:
    """Settings every test app gets; a test module may override this fixture."""
    return {}


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, app_overrides: dict[str, Any]) -> Iterator[Flask]:
    """The application, its schema built by the migrations once per session."""
    tmp_dir = tmp_path_factory.mktemp("hotline")
    overrides = {"DATABASE_URL": database_url(tmp_dir), "SQLALCHEMY_DATABASE_URI": database_url(tmp_dir)}
    overrides.update(app_overrides)
    os.environ.setdefault("HOTLINE_INSTANCE_DIR", str(tmp_dir / "instance"))
    application = create_app("testing", overrides)
    application.test_client_class = IsolatedClient
    reset_schema(application)
    yield application


class TestScopedSession(scoped_session):
    """The test's session: the per-request teardown must not close it under the test."""

    def remove(self) -> None:
        """Keep the session open; the fixture closes it at the end of the test."""
        return None

    def close_for_real(self) -> None:
        """Close the session (end of test)."""
        super().remove()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """A session whose work is rolled back after the test, even if the code commits."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = TestScopedSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield db.session
        finally:
            db.session.close_for_real()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def no_simulator_gateway_left(app: Flask) -> Iterator[None]:
    """Stop the simulated line's gateway if a test started it (the app's provider starts it on first use)."""
    yield
    from hotline.telephony.simulator.gateway import stop_simulator_gateway

    stop_simulator_gateway(app)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> None:
    """Start every test with empty rate-limit counters."""
    from hotline.extensions import throttle_counters

    with app.app_context():
        throttle_counters.reset()


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    """A test client sharing the test's rolled-back session."""
    return app.test_client()


@pytest.fixture
def make_user(db_session: Any) -> Callable[..., User]:
    """Build a user: make_user(role="worker", certified=True, **fields)."""
    return user_builder(db_session)


def user_builder(session: Any) -> Callable[..., User]:
    """Return a builder of users committed in `session` (the make_user fixture's, for any session)."""
    from datetime import date

    from hotline.accounts.services import hash_password

    counter = iter(range(1, 10_000))
    password_hash = hash_password(TEST_PASSWORD)

    def build(role: str = "worker", certified: bool = True, level: str = "intermediate", **fields: Any) -> User:
        number = next(counter)
        user = User(
            username=fields.pop("username", f"{role}{number}"),
            display_name=fields.pop("display_name", f"{role.title()} {number}"),
            password_hash=password_hash,
            role=role,
            **fields,
        )
        if certified:
            user.certifications.append(
                Certification(
                    level=level,
                    number=f"T{number:06d}",
                    issuing_body="Test body",
                    registered_on=date(2020, 1, 1),
                    valid_until=date(2099, 12, 31),
                )
            )
        session.add(user)
        session.commit()
        return user

    return build


def log_in(client: FlaskClient, user: User) -> FlaskClient:
    """Log a user into a test client: start a server-side session and write the cookie, as log-in would."""
    from hotline.accounts import sessions
    from hotline.clock import utcnow

    with client.application.app_context():
        key = sessions.start(db.session, user, utcnow())
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[sessions.COOKIE_KEY] = key
    return client


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and return the CSRF token its layout carries."""
    page = client.get(path)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., FlaskClient]:
    """Log the client in as a new user with `role`: login_as("manager")."""

    def as_role(role: str, **fields: Any) -> FlaskClient:
        log_in(client, make_user(role, **fields))
        return client

    return as_role


def truncate_all(app: Flask) -> None:
    """Delete every row (for tests that commit through a live server)."""
    with app.app_context():
        with db.engine.begin() as connection:
            tables = [table.name for table in reversed(db.metadata.sorted_tables)] + list(UNMAPPED_TABLES)
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    connection.execute(text(f"DELETE FROM {name}"))


class LiveServer:
    """A WSGI app (Hotline, or a test's tiny one) served over real HTTP by werkzeug in a thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # A short poll interval: stopping waits for the serving loop's next poll.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> LiveServer:
        """Start serving."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """A real HTTP server on a free port; the data it commits is deleted afterwards."""
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
        truncate_all(app)
