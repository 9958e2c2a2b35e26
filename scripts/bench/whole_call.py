"""The CPU a web process spends on a whole call's webhooks, read from /proc around a run of whole calls.

A whole call, as Twilio would send it: the arrival, the menu key, the enqueue,
one wait round, the connect to a worker, the end of the <Dial>, and the call's
status callbacks (in progress, completed). The worker is chosen by writing the
`connecting` step into the database from here, as the console's accept would
(that write is the benchmark's, not the server's). Used by bench_webhook.py.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import harness
import requests
from loadgen import FALLBACK_MARKER
from sqlalchemy import Engine, create_engine, text

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class WholeCalls:
    """What a run of whole calls cost the server."""

    calls: int
    webhooks: int
    cpu_seconds: float
    failures: list[str]

    @property
    def cpu_ms_per_call(self) -> float:
        """Return the server's CPU time per call, in milliseconds."""
        return self.cpu_seconds * 1000 / self.calls if self.calls else float("nan")


def process_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) of a process and its children alive now (gunicorn's worker)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def mark_connecting(engine: Engine, call_sid: str, worker_id: int) -> None:
    """Write what the console's accept writes (PostgreSQL): the call is being connected to a worker."""
    data = json.dumps({"identity": f"worker_{worker_id}", "number": None, "worker_id": worker_id, "attempt": 1})
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE calls SET status = 'connecting', dial_attempts = 1 WHERE call_sid = :sid"), {"sid": call_sid}
        )
        connection.execute(
            text(
                "INSERT INTO call_events (call_id, kind, at, data) "
                "SELECT id, 'connecting', now(), CAST(:data AS JSONB) FROM calls WHERE call_sid = :sid"
            ),
            {"sid": call_sid, "data": data},
        )


def one_call(base_url: str, engine: Engine, call_sid: str, caller: str, worker_id: int) -> tuple[int, list[str]]:
    """Send a whole call's webhooks in order; return how many were sent and what went wrong."""
    common = {
        "AccountSid": harness.ACCOUNT_SID,
        "CallSid": call_sid,
        "From": caller,
        "To": harness.HOTLINE_NUMBER,
        "Direction": "inbound",
    }
    steps: list[tuple[str, dict[str, str], str]] = [
        ("/twilio/voice/incoming", {"CallStatus": "ringing"}, "<Gather"),
        ("/twilio/voice/menu", {"Digits": "1"}, "<Enqueue"),
        ("/twilio/voice/enqueue", {}, "<Enqueue"),
        ("/twilio/voice/queue/wait", {"QueueTime": "12", "QueuePosition": "1"}, "<Say"),
        (f"/twilio/voice/connect/{call_sid}?attempt=1", {"CallStatus": "in-progress"}, "<Dial"),
        (f"/twilio/voice/dial-result/{call_sid}", {"DialCallStatus": "completed", "DialCallDuration": "95"}, ""),
        ("/twilio/voice/status", {"CallStatus": "in-progress", "SequenceNumber": "0"}, ""),
        ("/twilio/voice/status", {"CallStatus": "completed", "SequenceNumber": "1", "CallDuration": "130"}, ""),
    ]
    failures: list[str] = []
    with requests.Session() as session:
        for path, extra, expected in steps:
            if path.startswith("/twilio/voice/connect/"):
                mark_connecting(engine, call_sid, worker_id)
            url, form = f"{base_url}{path}", {**common, **extra}
            answer = session.post(url, data=form, headers={"X-Twilio-Signature": harness.sign(url, form)}, timeout=30)
            body = answer.content
            if answer.status_code not in (200, 204) or FALLBACK_MARKER in body or expected.encode() not in body:
                failures.append(f"{path.split('?')[0]}: {answer.status_code}")
    return len(steps), failures


def measure(server: harness.Server, database_url: str, calls: int, concurrency: int, prefix: str) -> WholeCalls:
    """Run `calls` whole calls against the server (PostgreSQL), `concurrency` at a time; return its CPU for them."""
    assert server.process is not None  # noqa: S101  (started by the caller)
    worker_id = harness.query(database_url, "SELECT min(id) FROM users")[0][0] or 1
    engine = create_engine(harness.sqlalchemy_url(database_url), pool_size=concurrency)
    try:
        started = process_cpu(server.process.pid)
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(
                pool.map(
                    lambda number: one_call(
                        server.url, engine, f"{prefix}{number:08d}", f"+86137{number:08d}", worker_id
                    ),
                    range(calls),
                )
            )
        cpu = process_cpu(server.process.pid) - started
    finally:
        engine.dispose()
    failures = [failure for _sent, failed in results for failure in failed]
    return WholeCalls(calls, sum(sent for sent, _failed in results), cpu, failures)
