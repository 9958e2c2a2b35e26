"""/healthz says the process is alive; /readyz says whether it can take traffic, and why not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from flask import Flask

from hotline.scheduler import HEARTBEAT_KEY, beat
from hotline.settings import Setting
from tests.support.ports import free_port

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_healthz_answers_200_and_reports_the_database(client: Any) -> None:
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["checks"]["database"]["ok"] is True


def test_healthz_does_not_depend_on_redis(app: Flask, client: Any) -> None:
    original = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    try:
        response = client.get("/healthz")
    finally:
        app.config["REDIS_URL"] = original
    assert response.status_code == 200
    assert "redis" not in response.get_json()["checks"]


def test_readyz_is_ready_with_a_fresh_heartbeat(client: Any, db_session: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        beat()
        response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready" and body["reasons"] == []
    assert body["checks"]["scheduler"]["age_seconds"] == 0


def test_readyz_refuses_without_any_heartbeat(client: Any, db_session: Any) -> None:
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] is True
    assert body["reasons"] == ["scheduler: no heartbeat yet: is `flask --app wsgi scheduler run` running?"]


def test_readyz_refuses_a_stale_heartbeat(app: Flask, client: Any, db_session: Any) -> None:
    db_session.add(Setting(key=HEARTBEAT_KEY, value={"at": (NOW - timedelta(seconds=61)).isoformat()}))
    db_session.commit()
    with time_machine.travel(NOW, tick=False):
        response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["scheduler"] == {
        "ok": False,
        "age_seconds": 61.0,
        "max_age_seconds": app.config["SCHEDULER_HEARTBEAT_MAX_AGE"],
        "error": "heartbeat too old: the scheduler is stopped or stuck",
    }


def test_readyz_names_redis_when_it_is_down(app: Flask, client: Any, db_session: Any) -> None:
    original = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    try:
        with time_machine.travel(NOW, tick=False):
            beat()
            response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = original
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False
    assert [reason.split(":")[0] for reason in body["reasons"]] == ["redis"]


def test_readyz_checks_redis_when_configured(app: Flask, client: Any, db_session: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        beat()
        body = client.get("/readyz").get_json()
    assert ("redis" in body["checks"]) == bool(app.config.get("REDIS_URL"))
