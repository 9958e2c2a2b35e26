"""A burst of new calls on a real web process (gunicorn, PostgreSQL, Redis).

Every call is answered with the menu, stored once with one `created` event, and
heard once by an open console (`call.updated` through the Redis message queue).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from scripts.bench import harness
from tests.ops.conftest import call_form, needs_postgresql, post, rows
from tests.ops.test_faults_services import console_client
from tests.ops.test_faults_web import answered_properly, events_by_call
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(180)


def test_a_burst_of_new_calls_is_answered_stored_and_heard_once_each(
    app: Flask, fault_database: str, start_server: Any
) -> None:
    needs_postgresql(app, "Redis is the several-process set-up's message queue; the SQLite pass has no Redis")
    harness.create_worker(fault_database, "burstworker")
    with harness.redis_server() as (_redis, redis_url):
        server = start_server(fault_database, redis_url)
        console, heard = console_client(server, "burstworker")
        try:
            assert answered_properly(post(server, "/twilio/voice/incoming", call_form("CAburst0000")))
            sids = [f"CAburst{number:04d}" for number in range(1, 121)]
            with ThreadPoolExecutor(40) as pool:
                answers = list(
                    pool.map(
                        lambda pair: post(server, "/twilio/voice/incoming", call_form(*pair)),
                        zip(sids, range(1, 121), strict=True),
                    )
                )
            assert [answer.status_code for answer in answers if not answered_properly(answer)] == []
            assert all("<Gather" in answer.text for answer in answers)  # the menu, every one

            everyone = ["CAburst0000", *sids]
            until(lambda: sorted(heard) == everyone, timeout=10)
        finally:
            console.disconnect()

    stored = rows(fault_database, "SELECT call_sid FROM calls WHERE call_sid LIKE 'CAburst%' ORDER BY call_sid")
    assert stored == [(sid,) for sid in everyone]
    events = events_by_call(fault_database, "CAburst")
    assert {sid: dict(events[sid]) for sid in everyone} == {sid: {"created": 1} for sid in everyone}
