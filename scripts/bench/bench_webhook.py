"""Benchmark the incoming-call webhook against a bare Flask endpoint under the same gunicorn settings.

    python scripts/bench/bench_webhook.py                       # SQLite and PostgreSQL, gevent
    python scripts/bench/bench_webhook.py --workers gevent gthread --databases postgresql

Hotline's POST /twilio/voice/incoming (signature check, database write, live
event through Redis) and the baseline (constant TwiML, scripts/bench/baseline_app.py)
each run as one gunicorn process from deploy/gunicorn.conf.py. Every request is
signed and carries a new CallSid. Printed: requests/s, p50 and p99 at the given
concurrency, the ratio to the baseline, and whether every answered call was
recorded exactly once. On PostgreSQL new calls are answered by the fast lane
(hotline/telephony/fast_lane.py, arrivals written together); the "app only" row
is the same server with TELEPHONY_FAST_LANE=0, every webhook through Flask. The
"no-db" row loads the Hotline process with signed webhooks that carry no CallSid,
which the fast lane hands to the application for its database-free answer: the
cost of Hotline's Flask stack alone. The notes give, from the server's /metrics,
how many webhooks the fast lane answered and the average arrivals per statement.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import harness
import requests
from harness import PYTHON, app_env, free_port, gunicorn, incoming_call, migrate, postgres_url, ratio, sqlite_url, table
from loadgen import LoadResult, run_load, run_open_load

TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0


def count_calls(database_url: str, prefix: str) -> int:
    """Count the calls whose CallSid starts with `prefix`."""
    return harness.query(database_url, "SELECT count(*) FROM calls WHERE call_sid LIKE :p", p=prefix + "%")[0][0]


def measure_floor(base_url: str, args: argparse.Namespace) -> LoadResult:
    """Load the same webhook without a CallSid: signature check and the database-free answer, no write, no event.

    This is the most any webhook can do in Hotline's application stack (its middleware,
    sessions, request log, metrics, access rules) on this server: the ceiling of the ratio.
    """

    def make(number: int) -> tuple[str, dict[str, str], dict[str, str]]:
        return incoming_call(base_url, "", caller=f"+86139{number % 100_000_000:08d}")

    run_load(make, args.concurrency, args.warmup, first=0, fallback_expected=True)
    return run_load(make, args.concurrency, args.requests, first=args.warmup, fallback_expected=True)


def measure(base_url: str, sid_prefix: str, args: argparse.Namespace) -> tuple[LoadResult, LoadResult]:
    """Warm up, then load the webhook at base_url: closed loop at the concurrency, then open loop at the rate."""
    make = new_calls(base_url, sid_prefix)
    closed = measure_closed(base_url, sid_prefix, args)
    opened = run_open_load(make, args.rate, args.rate_requests, first=args.warmup + args.requests)
    return closed, opened


def measure_closed(base_url: str, sid_prefix: str, args: argparse.Namespace) -> LoadResult:
    """Warm up, then load the webhook at base_url with new calls from `concurrency` clients (closed loop)."""
    make = new_calls(base_url, sid_prefix)
    run_load(make, args.concurrency, args.warmup, first=0)
    return run_load(make, args.concurrency, args.requests, first=args.warmup)


def new_calls(base_url: str, sid_prefix: str) -> Callable[[int], tuple[str, dict[str, str], dict[str, str]]]:
    """Return a maker of signed incoming-call webhooks, a new CallSid and caller for each number."""

    def make(number: int) -> tuple[str, dict[str, str], dict[str, str]]:
        return incoming_call(base_url, f"{sid_prefix}{number:08d}", caller=f"+86138{number % 100_000_000:08d}")

    return make


def lane_figures(base_url: str) -> str:
    """Return what the server's /metrics says of the fast lane: webhooks it answered, arrivals per statement."""
    text = requests.get(f"{base_url}/metrics", timeout=10).text
    answered = harness.metric(text, "hotline_webhook_fast_lane_answers_total")
    statements = harness.metric(text, "hotline_arrival_batches_total")
    batched = harness.metric(text, "hotline_arrivals_batched_total")
    if not answered:
        return "fast lane: none"
    return f"fast lane answered {answered:.0f}, {batched / statements:.1f} arrivals a statement"


def figures(result: LoadResult) -> list[str]:
    """Return req/s, p50 and p99 as table cells."""
    return [f"{result.rps:.0f}", f"{result.p(50):.1f}", f"{result.p(99):.1f}"]


def bench_one(database: str, worker: str, redis_url: str | None, args: argparse.Namespace) -> list[list[str]]:
    """Measure baseline and Hotline on one database with one worker class; return table rows."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    database_url = sqlite_url(folder) if database == "sqlite" else postgres_url("hotline_bench_webhook")
    hotline_port, baseline_port = free_port(), free_port()
    env = app_env(database_url, f"http://127.0.0.1:{hotline_port}", redis_url if database != "sqlite" else None)
    migrate(env)
    harness.open_line_all_day(database_url)
    baseline_env = app_env(database_url, f"http://127.0.0.1:{baseline_port}")
    with gunicorn("baseline", "baseline_app:app", baseline_env, baseline_port, worker) as baseline:
        base, base_open = measure(baseline.url, "CAbase", args)
    with gunicorn("hotline", "wsgi:app", env, hotline_port, worker) as hotline:
        real, real_open = measure(hotline.url, "CAbench", args)
        floor = measure_floor(hotline.url, args)
        lane = lane_figures(hotline.url)
    app_only = None
    if database == "postgresql":
        plain_port = free_port()
        plain_env = {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{plain_port}", "TELEPHONY_FAST_LANE": "0"}
        with gunicorn("hotline-app-only", "wsgi:app", plain_env, plain_port, worker) as plain:
            app_only = measure_closed(plain.url, "CAplain", args)
    recorded = count_calls(database_url, "CAbench")
    sent = args.warmup + args.requests + args.rate_requests
    label = f"{database}{' + redis' if database != 'sqlite' and redis_url else ''}"
    load = f"{args.concurrency} concurrent"
    rate = f"{args.rate:g}/s arriving"
    rows = [
        [label, worker, "baseline", load, *figures(base), "1.00", ""],
        [label, worker, "hotline", load, *figures(real), ratio(real.rps, base.rps), lane],
        [label, worker, "no-db", load, *figures(floor), ratio(floor.rps, base.rps), "no CallSid: no write, no event"],
        *(
            [[label, worker, "app only", load, *figures(app_only), ratio(app_only.rps, base.rps), "fast lane off"]]
            if app_only is not None
            else []
        ),
        [label, worker, "baseline", rate, *figures(base_open), "", ""],
        [label, worker, "hotline", rate, *figures(real_open), "", f"{recorded} of {sent} calls recorded"],
    ]
    for result in (real, real_open):
        if result.fallbacks or result.errors or set(result.statuses) - {200}:
            rows.append(
                [
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"LOST: fallbacks {result.fallbacks}, "
                    f"statuses {dict(result.statuses)}, errors {dict(result.errors)}",
                ]
            )
    if database == "postgresql":
        met = real.rps >= TARGET_RATIO * base.rps and real.p(99) < TARGET_P99_MS and real.ok > 0
        goal = ["", "", "target", load, f">= {TARGET_RATIO:.0%} of baseline", "", f"< {TARGET_P99_MS:.0f}", ""]
        rows.append([*goal, "MET" if met else "NOT MET"])
    return rows


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", nargs="+", default=["gevent"], choices=["gevent", "gthread"])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="open-loop arrivals a second (default 20)")
    parser.add_argument("--rate-requests", type=int, default=600)
    args = parser.parse_args()
    harness.exit_cleanly_on_sigterm()
    if "gevent" in args.workers and "postgresql" in args.databases:
        check = subprocess.run([PYTHON, str(harness.BENCH_DIR / "check_gevent_psycopg.py"), harness.POSTGRES_ADMIN])
        if check.returncode != 0:
            return 1
    rows = [["database", "worker", "server", "load", "req/s", "p50 ms", "p99 ms", "ratio", "notes"]]
    with harness.redis_server() as (_redis, redis_url):
        for database in args.databases:
            for worker in args.workers:
                rows += bench_one(database, worker, redis_url, args)
    print(f"\nincoming-call webhook: {args.requests} requests from {args.concurrency} concurrent clients, then")
    print(f"{args.rate_requests} arriving at random at {args.rate:g} a second (open loop):\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
