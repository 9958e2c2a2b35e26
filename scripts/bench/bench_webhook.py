"""Benchmark the incoming-call webhook against a bare Flask endpoint under the same gunicorn settings.

    python scripts/bench/bench_webhook.py                       # SQLite and PostgreSQL, gevent
    python scripts/bench/bench_webhook.py --workers gevent gthread --databases postgresql

Hotline's POST /twilio/voice/incoming (signature check, database write, live
event through Redis) and the baseline (constant TwiML, scripts/bench/baseline_app.py)
each run as one gunicorn process from deploy/gunicorn.conf.py. Every request is
signed and carries a new CallSid. Printed: requests/s, p50 and p99 at the given
concurrency, the ratio to the baseline, and whether every answered call was
recorded exactly once.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import harness
from harness import PYTHON, app_env, free_port, gunicorn, incoming_call, migrate, postgres_url, ratio, sqlite_url, table
from loadgen import LoadResult, run_load

TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0


def count_calls(database_url: str, prefix: str) -> int:
    """Count the calls whose CallSid starts with `prefix`."""
    return harness.query(database_url, "SELECT count(*) FROM calls WHERE call_sid LIKE :p", p=prefix + "%")[0][0]


def measure(base_url: str, sid_prefix: str, args: argparse.Namespace) -> LoadResult:
    """Warm up, then load the webhook at base_url."""

    def make(number: int) -> tuple[str, dict[str, str], dict[str, str]]:
        return incoming_call(base_url, f"{sid_prefix}{number:08d}", caller=f"+86138{number % 100_000_000:08d}")

    run_load(make, args.concurrency, args.warmup, first=0)
    return run_load(make, args.concurrency, args.requests, first=args.warmup)


def bench_one(database: str, worker: str, redis_url: str | None, args: argparse.Namespace) -> list[list[str]]:
    """Measure baseline and Hotline on one database with one worker class; return table rows."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    database_url = sqlite_url(folder) if database == "sqlite" else postgres_url("hotline_bench_webhook")
    hotline_port, baseline_port = free_port(), free_port()
    env = app_env(database_url, f"http://127.0.0.1:{hotline_port}", redis_url if database != "sqlite" else None)
    migrate(env)
    harness.open_line_all_day(database_url)
    baseline_env = app_env(database_url, f"http://127.0.0.1:{baseline_port}")
    rows = []
    with gunicorn("baseline", "baseline_app:app", baseline_env, baseline_port, worker) as baseline:
        base = measure(baseline.url, "CAbase", args)
    with gunicorn("hotline", "wsgi:app", env, hotline_port, worker) as hotline:
        real = measure(hotline.url, "CAbench", args)
    recorded = count_calls(database_url, "CAbench")
    label = f"{database}{' + redis' if database != 'sqlite' and redis_url else ''}"
    rows.append([label, worker, "baseline", f"{base.rps:.0f}", f"{base.p(50):.1f}", f"{base.p(99):.1f}", "1.00", ""])
    note = f"{recorded} calls recorded for {real.ok} answered, of {args.warmup + args.requests} sent"
    if real.statuses.get(404):
        note = "404: POST /twilio/voice/incoming does not exist yet (phone line not merged)"
    figures = [f"{real.rps:.0f}", f"{real.p(50):.1f}", f"{real.p(99):.1f}", ratio(real.rps, base.rps)]
    rows.append([label, worker, "hotline", *figures, note])
    if real.errors or set(real.statuses) - {200}:
        rows.append(["", "", "", "", "", "", "", f"statuses {dict(real.statuses)} errors {dict(real.errors)}"])
    if database == "postgresql":
        met = real.rps >= TARGET_RATIO * base.rps and real.p(99) < TARGET_P99_MS and real.ok > 0
        goal = ["", "", "target", f">= {TARGET_RATIO:.0%} of baseline", "", f"< {TARGET_P99_MS:.0f}", ""]
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
    args = parser.parse_args()
    if "gevent" in args.workers and "postgresql" in args.databases:
        check = subprocess.run([PYTHON, str(harness.BENCH_DIR / "check_gevent_psycopg.py"), harness.POSTGRES_ADMIN])
        if check.returncode != 0:
            return 1
    rows = [["database", "worker", "server", "req/s", "p50 ms", "p99 ms", "ratio", "notes"]]
    with harness.redis_server() as (_redis, redis_url):
        for database in args.databases:
            for worker in args.workers:
                rows += bench_one(database, worker, redis_url, args)
    print(f"\nincoming-call webhook, {args.concurrency} concurrent clients, {args.requests} requests each:\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
