"""Fault tests of the services around the web processes: Redis stopped, PostgreSQL restarted.

Neither touches the machine's shared Redis or PostgreSQL: each runs its own
throwaway redis-server or PostgreSQL cluster on a free port.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
import socketio
from flask import Flask

from scripts.bench import harness
from tests.ops.conftest import call_form, needs_postgresql, post, rows
from tests.ops.test_faults_web import answered_properly
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(180)


def timed_post(server: harness.Server, path: str, form: dict[str, str]) -> tuple[requests.Response, float]:
    """Send a webhook and return the response and how long it took."""
    started = time.perf_counter()
    response = post(server, path, form, timeout=10)
    return response, time.perf_counter() - started


def console_client(server: harness.Server, username: str) -> tuple[socketio.Client, list[str]]:
    """Log a worker in and open a console (Socket.IO over WebSocket); return it and the CallSids it hears of."""
    heard: list[str] = []
    client = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
    client.on("call.updated", lambda data: heard.append(data.get("call_sid")))
    cookie = harness.log_in(server.url, username)
    client.connect(server.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    return client, heard


def test_webhooks_answer_within_a_second_while_redis_is_down(
    app: Flask, fault_database: str, start_server: Any
) -> None:
    needs_postgresql(app, "Redis is the several-process set-up's message queue; the SQLite pass has no Redis")
    harness.create_worker(fault_database, "redisworker")
    with harness.redis_server() as (redis, redis_url):
        server = start_server(fault_database, redis_url)
        console, heard = console_client(server, "redisworker")
        try:
            assert answered_properly(post(server, "/twilio/voice/incoming", call_form("CAredis0000")))
            until(lambda: "CAredis0000" in heard, timeout=10, ignoring=(requests.RequestException,))

            redis.stop()
            for number in range(1, 11):
                response, took = timed_post(server, "/twilio/voice/incoming", call_form(f"CAredis{number:04d}", number))
                assert answered_properly(response) and took < 1.0, (number, response.status_code, took)
            ready = requests.get(server.url + "/readyz", timeout=5)
            assert ready.status_code == 503 and [r.split(":")[0] for r in ready.json()["reasons"]] == ["redis"]
            assert requests.get(server.url + "/healthz", timeout=5).status_code == 200

            redis.start()

            def ready_again() -> bool:
                """/readyz answers 200 again."""
                return requests.get(server.url + "/readyz", timeout=5).status_code == 200

            until(ready_again, ignoring=(requests.RequestException,))
            response, took = timed_post(server, "/twilio/voice/incoming", call_form("CAredis0011", 11))
            assert answered_properly(response) and took < 1.0

            def console_hears_again() -> bool:
                """The open console receives live events again (the server's Redis listener reconnected)."""
                post(server, "/twilio/voice/incoming", call_form(f"CAredisx{time.monotonic_ns()}", 12))
                return console.connected and any(sid and sid.startswith("CAredisx") for sid in heard)

            until(console_hears_again, timeout=30, interval=1, ignoring=(requests.RequestException,))
        finally:
            console.disconnect()
    recorded = rows(fault_database, "SELECT count(*) FROM calls WHERE call_sid LIKE 'CAredis0%'")[0][0]
    assert recorded == 12


def test_requests_fail_cleanly_while_postgresql_restarts_then_recover(app: Flask, start_server: Any) -> None:
    needs_postgresql(app, "restarts a throwaway PostgreSQL cluster")
    if "telephony.voice_incoming" not in app.view_functions:
        pytest.skip("needs the phone line's webhooks (POST /twilio/voice/incoming)")
    with harness.postgres_cluster() as cluster:
        database_url = cluster.create_database("hotline")
        harness.migrate(harness.app_env(database_url, "http://127.0.0.1:1"))
        harness.open_line_all_day(database_url)
        server = start_server(database_url)
        for number in range(3):
            assert answered_properly(post(server, "/twilio/voice/incoming", call_form(f"CApg{number:04d}", number)))

        cluster.stop()
        # A caller still hears something sensible, fast: the database-free fallback (apology, then the queue).
        response, took = timed_post(server, "/twilio/voice/incoming", call_form("CApg0003", 3))
        assert response.status_code == 200 and "<Enqueue" in response.text and took < 2.0, (response.text, took)
        alive = requests.get(server.url + "/healthz", timeout=5)
        assert alive.status_code == 200 and alive.json()["checks"]["database"]["ok"] is False
        ready = requests.get(server.url + "/readyz", timeout=5)
        assert ready.status_code == 503 and ready.json()["reasons"][0].startswith("database:")
        metrics = requests.get(server.url + "/metrics", timeout=5)
        assert metrics.status_code == 200 and "hotline_database_up 0.0" in metrics.text

        cluster.start()

        def recorded_again() -> bool:
            """A new call is answered properly again."""
            return answered_properly(post(server, "/twilio/voice/incoming", call_form("CApg0004", 4)))

        until(recorded_again, ignoring=(requests.RequestException,))
        assert requests.get(server.url + "/readyz", timeout=5).status_code == 200
        calls = rows(database_url, "SELECT call_sid FROM calls ORDER BY call_sid")
        # Nothing committed before the restart is lost; the call that arrived during it was told to wait.
        assert [sid for (sid,) in calls if sid != "CApg0003"] == ["CApg0000", "CApg0001", "CApg0002", "CApg0004"]


def test_the_first_call_after_a_quiet_postgresql_restart_is_recorded(app: Flask, start_server: Any) -> None:
    """No request meets the restart: the pool's connections are stale, and the idle check replaces them."""
    needs_postgresql(app, "restarts a throwaway PostgreSQL cluster")
    if "telephony.voice_incoming" not in app.view_functions:
        pytest.skip("needs the phone line's webhooks (POST /twilio/voice/incoming)")
    with harness.postgres_cluster() as cluster:
        database_url = cluster.create_database("hotline")
        harness.migrate(harness.app_env(database_url, "http://127.0.0.1:1"))
        harness.open_line_all_day(database_url)
        # 0: test every idle connection, so the check does not depend on how long the restart takes.
        server = start_server(database_url, DATABASE_PING_IDLE_MS="0")
        for number in range(3):
            assert answered_properly(post(server, "/twilio/voice/incoming", call_form(f"CAq{number:04d}", number)))

        cluster.stop()
        cluster.start()
        until(lambda: rows(database_url, "SELECT 1"), ignoring=(Exception,))

        assert answered_properly(post(server, "/twilio/voice/incoming", call_form("CAq0003", 3)))
        calls = rows(database_url, "SELECT call_sid FROM calls ORDER BY call_sid")
        assert [sid for (sid,) in calls] == ["CAq0000", "CAq0001", "CAq0002", "CAq0003"]
