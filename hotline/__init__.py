"""Hotline: a social-work hotline and case-intake system."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from config import Config, load_config

# Each domain package exposes init_app(app); order matters only for navigation.
PACKAGES = (
    "home",
    "accounts",
    "telephony",
    "rota",
    "routing",
    "console",
    "cases",
    "directory",
    "sms",
    "knowledge",
    "escalation",
    "workorders",
    "callbacks",
    "reports",
    "wallboard",
    "manage",
    "ops",
)


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application for an environment, with optional setting overrides."""
    app = Flask(__name__, instance_relative_config=False)
    from hotline import inputs

    inputs.register_converter(app)
    settings: Config = load_config(config_name)
    app.config.from_object(settings)
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app.config["DATABASE_URL"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories(app)

    from hotline import access, api, caching, commands, extensions, i18n, nav, privacy, request_log, web

    request_log.init_app(app)
    privacy.init_app(app)
    extensions.db.init_app(app)
    database_pragmas(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(migrations_directory()))
    extensions.csrf.init_app(app)
    extensions.throttle_counters.init_app(app)
    i18n.init_app(app)
    nav.init_app(app)
    access.init_app(app)
    inputs.init_app(app)
    caching.init_app(app)
    init_socketio(app)
    web.init_app(app)
    api.init_app(app)
    commands.init_app(app)
    import hotline.models  # noqa: F401  (every mapper, before the first query)

    for name in PACKAGES:
        importlib.import_module(f"hotline.{name}").init_app(app)
    api.register_openapi(app)
    from hotline import scheduler

    scheduler.init_app(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the TRUSTED_PROXY_HOPS proxies in front (outermost layer)."""
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_socketio(app: Flask) -> None:
    """Bind Socket.IO, with Redis as message queue when REDIS_URL is set."""
    from hotline.extensions import socketio

    kwargs: dict[str, Any] = {"async_mode": app.config.get("SOCKETIO_ASYNC_MODE", "threading")}
    if app.config.get("REDIS_URL") and not app.config.get("SOCKETIO_NO_QUEUE"):
        kwargs["message_queue"] = app.config["REDIS_URL"]
    socketio.init_app(app, **kwargs)


def database_pragmas(app: Flask) -> None:
    """Turn on WAL and foreign keys for SQLite connections; requests and jobs begin transactions IMMEDIATE.

    On PostgreSQL, a connection idle in the pool is tested before use (`db.ping_idle_connections`).
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from hotline.db import ping_idle_connections
        from hotline.extensions import db

        with app.app_context():
            ping_idle_connections(db.engine, app.config["DATABASE_PING_IDLE_MS"] / 1000)
        return
    from sqlalchemy import event

    from hotline.db import begins_immediate
    from hotline.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin,
        # so SAVEPOINTs and BEGIN IMMEDIATE work (SQLAlchemy's pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock when the transaction begins, so a second writer waits
        # (busy_timeout) instead of failing at once with "database is locked" when a transaction
        # that began reading tries to write (SQLite cannot wait then: its snapshot may be stale).
        connection.exec_driver_sql("BEGIN IMMEDIATE" if begins_immediate() else "BEGIN")


def translation_directories(app: Flask) -> str:
    """Return the translation folders: the app's and each package's own."""
    from pathlib import Path

    root = Path(app.root_path)
    folders = ["translations"]
    folders += [f"{name}/translations" for name in PACKAGES if (root / name / "translations").is_dir()]
    return ";".join(folders)


def migrations_directory() -> Any:
    """Return the migrations/ folder beside the package."""
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
