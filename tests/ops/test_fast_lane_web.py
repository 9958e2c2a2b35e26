"""The incoming-call fast lane on a real web process (gunicorn, PostgreSQL, Redis): a burst of new calls.

Every call is answered with the menu, stored once with one `created` event, and
heard once by an open console, whether its arrival went out alone (`call.updated`)
or with others written in the same statement (`calls.updated`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask

from scripts.bench import harness
from tests.ops.conftest import call_form, needs_postgresql, post, rows
from tests.ops.test_faults_services import console_client, eventually
from tests.ops.test_faults_web import answered_properly, events_by_call

pytestmark = pytest.mark.timeout(180)


def test_a_burst_of_new_calls_is_answered_stored_and_heard_once_each(
    app: Flask, fault_database: str, start_server: Any
) -> None:
    needs_postgresql(app, "the fast lane is PostgreSQL's")
    harness.create_worker(fault_database, "laneworker")
    with harness.redis_server() as (_redis, redis_url):
        server = start_server(fault_database, redis_url)
        console, heard = console_client(server, "laneworker")  # hears call.updated and calls.updated
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
    answered = harness.metric(metrics, "hotline_webhook_fast_lane_answers_total")
    statements, batched = (
        harness.metric(metrics, "hotline_arrival_batches_total"),
        harness.metric(metrics, "hotline_arrivals_batched_total"),
    )
    assert answered >= 100 and batched == answered  # the lane answered (nearly) all, each through the writer
    assert statements < batched  # and calls arriving together were written together
