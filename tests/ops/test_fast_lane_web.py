"""The incoming-call fast lane on a real web process (gunicorn, PostgreSQL, Redis): a burst of new calls.

Every call is answered with the menu, stored once with one `created` event, and
heard once by an open console, whether its arrival went out alone (`call.updated`)
or with others written in the same statement (`calls.updated`).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import socketio
from flask import Flask

from scripts.bench import harness
from tests.ops.conftest import call_form, needs_postgresql, post, rows
from tests.ops.test_faults_services import eventually
from tests.ops.test_faults_web import answered_properly, events_by_call

pytestmark = pytest.mark.timeout(180)


def sample(metrics: str, name: str) -> float:
    """Return a sample's value from Prometheus text, 0 when absent."""
    found = re.search(rf"^{name} ([0-9.e+]+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_burst_of_new_calls_is_answered_stored_and_heard_once_each(
    app: Flask, fault_database: str, start_server: Any
) -> None:
    needs_postgresql(app, "the fast lane is PostgreSQL's")
    harness.flask_cli(
        harness.app_env(fault_database, "http://127.0.0.1:1"),
        *("users", "create", "--username", "laneworker", "--role", "worker", "--password", harness.PASSWORD),
    )
    with harness.redis_server() as (_redis, redis_url):
        server = start_server(fault_database, redis_url)
        heard: list[str] = []
        console = socketio.Client()
        console.on("call.updated", lambda data: heard.append(data["call_sid"]))
        console.on("calls.updated", lambda batch: heard.extend(data["call_sid"] for data in batch))
        console.connect(
            server.url,
            headers={"Cookie": harness.log_in(server.url, "laneworker")},
            transports=["websocket"],
            wait_timeout=10,
        )
        try:
            # The first call reads the line's settings in the application; the burst finds them fresh.
            assert answered_properly(post(server, "/twilio/voice/incoming", call_form("CAlane0000")))
            sids = [f"CAlane{number:04d}" for number in range(1, 121)]
            with ThreadPoolExecutor(40) as pool:
                answers = list(
                    pool.map(
                        lambda pair: post(server, "/twilio/voice/incoming", call_form(*pair)),
                        zip(sids, range(1, 121), strict=True),
                    )
                )
            assert [answer.status_code for answer in answers if not answered_properly(answer)] == []
            assert all("<Gather" in answer.text for answer in answers)  # the menu, every one

            everyone = ["CAlane0000", *sids]
            eventually(lambda: sorted(heard) == everyone, timeout=10)
        finally:
            console.disconnect()
        metrics = requests.get(server.url + "/metrics", timeout=5).text

    stored = rows(fault_database, "SELECT call_sid FROM calls WHERE call_sid LIKE 'CAlane%' ORDER BY call_sid")
    assert stored == [(sid,) for sid in everyone]
    events = events_by_call(fault_database, "CAlane")
    assert {sid: dict(events[sid]) for sid in everyone} == {sid: {"created": 1} for sid in everyone}
    answered = sample(metrics, "hotline_webhook_fast_lane_answers_total")
    statements, batched = (
        sample(metrics, "hotline_arrival_batches_total"),
        sample(metrics, "hotline_arrivals_batched_total"),
    )
    assert answered >= 100 and batched == answered  # the lane answered (nearly) all, each through the writer
    assert statements < batched  # and calls arriving together were written together
