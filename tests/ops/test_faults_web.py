"""Fault tests on real web processes: duplicated webhooks, and a web process killed in the middle of calls.

Each starts Hotline under gunicorn (deploy/gunicorn.conf.py, production settings)
against a database of its own, and plays Twilio with signed webhooks.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import pytest
import requests
from flask import Flask

from scripts.bench import harness
from tests.ops.conftest import call_form, post, rows
from tests.support.ports import free_port

pytestmark = pytest.mark.timeout(180)
APOLOGY = "很抱歉，系统暂时出现问题"  # what the database-free fallback TwiML says
POSITION = re.compile(r"您前面还有(\d+)位")


def answered_properly(response: requests.Response) -> bool:
    """Return whether a webhook got a real answer (2xx, not the fallback that means something failed)."""
    return response.ok and APOLOGY not in response.text


def events_by_call(database_url: str, prefix: str) -> dict[str, Counter]:
    """Return each call's event kinds, counted."""
    found: dict[str, Counter] = {}
    query = "SELECT c.call_sid, e.kind FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.call_sid LIKE :p"
    for call_sid, kind in rows(database_url, query, p=prefix + "%"):
        found.setdefault(call_sid, Counter())[kind] += 1
    return found


def burst(server: harness.Server, path: str, forms: list[dict[str, str]], copies: int = 5) -> list[Any]:
    """Deliver every webhook `copies` times, shuffled, 25 at a time (Twilio may deliver one twice at once)."""
    deliveries = forms * copies
    random.Random(8).shuffle(deliveries)
    with ThreadPoolExecutor(25) as pool:
        return list(pool.map(lambda form: post(server, path, form), deliveries))


def test_a_burst_of_duplicated_webhooks_duplicates_nothing_and_loses_nothing(
    fault_database: str, start_server: Any
) -> None:
    server = start_server(fault_database)
    sids = [f"CAdup{number:04d}" for number in range(20)]
    answers = burst(server, "/twilio/voice/incoming", [call_form(sid, n) for n, sid in enumerate(sids)])
    ended = {"CallStatus": "completed", "SequenceNumber": "4", "CallDuration": "95"}
    answers += burst(server, "/twilio/voice/status", [call_form(sid, n, **ended) for n, sid in enumerate(sids)])

    assert [r.status_code for r in answers if not answered_properly(r)] == []
    calls = rows(fault_database, "SELECT call_sid, status FROM calls WHERE call_sid LIKE 'CAdup%' ORDER BY call_sid")
    assert calls == [(sid, "completed") for sid in sids]
    events = events_by_call(fault_database, "CAdup")
    assert {sid: (events[sid]["created"], events[sid]["status"]) for sid in sids} == {sid: (1, 1) for sid in sids}


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_a_burst_of_duplicated_menu_choices_queues_each_caller_once(
    app: Flask, fault_database: str, start_server: Any, worker_class: str
) -> None:
    # Found by this test: duplicated menu webhooks raced on PostgreSQL until the call row was locked;
    # under gthread on SQLite, a transaction that read before writing failed at once with "database is
    # locked" until SQLite transactions began IMMEDIATE.
    server = start_server(fault_database, worker_class=worker_class)
    prefix = f"CAmenu{worker_class[1]}"
    sids = [f"{prefix}{number:04d}" for number in range(20)]
    answers = burst(server, "/twilio/voice/incoming", [call_form(sid, n) for n, sid in enumerate(sids)], copies=1)
    answers += burst(server, "/twilio/voice/menu", [call_form(sid, n, Digits="1") for n, sid in enumerate(sids)])

    assert [r.status_code for r in answers if not answered_properly(r)] == []
    query = "SELECT count(*) FROM calls WHERE call_sid LIKE :p AND status = 'queued'"
    assert rows(fault_database, query, p=prefix + "%") == [(len(sids),)]
    events = events_by_call(fault_database, prefix)
    found = {sid: (events[sid]["menu-choice"], events[sid]["queued"]) for sid in sids}
    assert found == {sid: (1, 1) for sid in sids}


def test_a_killed_web_process_loses_no_call_and_the_queue_goes_on(fault_database: str, start_server: Any) -> None:
    port = free_port()
    server = start_server(fault_database, port=port)
    sids = [f"CAkill{number:04d}" for number in range(40)]

    def call_and_choose(number: int) -> bool:
        """Play one caller: arrive, press 1; return whether both answers came back."""
        sid = sids[number]
        try:
            arrived = post(server, "/twilio/voice/incoming", call_form(sid, number), timeout=5)
            chose = post(server, "/twilio/voice/menu", call_form(sid, number, Digits="1"), timeout=5)
        except requests.RequestException:
            return False
        return answered_properly(arrived) and answered_properly(chose)

    with ThreadPoolExecutor(6) as pool:
        futures = {pool.submit(call_and_choose, number): sids[number] for number in range(len(sids))}
        answered: list[str] = []
        for done in as_completed(futures):
            if done.result():
                answered.append(futures[done])
            if len(answered) == 12:
                server.kill()  # SIGKILL mid-burst: requests in flight are cut off
        outcome = {futures[future]: future.result() for future in futures}
    interrupted = [sid for sid, ok in outcome.items() if not ok]
    assert interrupted, "the kill came after every call had finished: nothing was tested"

    restarted = start_server(fault_database, port=port)
    # Every caller who was answered is recorded once, waiting in the queue.
    queued = dict(rows(fault_database, "SELECT call_sid, status FROM calls WHERE call_sid LIKE 'CAkill%'"))
    assert {sid: queued.get(sid) for sid in answered} == {sid: "queued" for sid in answered}
    # Twilio re-delivers what was cut off; those callers join the queue too, nobody twice.
    for sid in interrupted:
        number = sids.index(sid)
        assert answered_properly(post(restarted, "/twilio/voice/incoming", call_form(sid, number)))
        assert answered_properly(post(restarted, "/twilio/voice/menu", call_form(sid, number, Digits="1")))
    statuses = rows(fault_database, "SELECT status, count(*) FROM calls WHERE call_sid LIKE 'CAkill%' GROUP BY status")
    assert statuses == [("queued", len(sids))]
    assert all(kinds["queued"] == 1 for kinds in events_by_call(fault_database, "CAkill").values())
    # The waiting callers are still handled: each hears its own place in one consistent line
    # (behind the callers other tests of this module left waiting).
    earlier = rows(fault_database, "SELECT count(*) FROM calls WHERE status = 'queued' AND call_sid NOT LIKE 'CAkill%'")
    places = []
    for number, sid in enumerate(sids):
        response = post(restarted, "/twilio/voice/queue/wait", call_form(sid, number, QueueTime="20"))
        assert answered_properly(response) and "<Leave" not in response.text
        match = POSITION.search(response.text)
        places.append(int(match.group(1)) if match else 0)
    assert sorted(places) == list(range(earlier[0][0], earlier[0][0] + len(sids)))
    metrics = requests.get(restarted.url + "/metrics", timeout=5).text
    waiting = rows(fault_database, "SELECT count(*) FROM calls WHERE status = 'queued'")[0][0]
    assert f"hotline_calls_waiting {float(waiting)}" in metrics
