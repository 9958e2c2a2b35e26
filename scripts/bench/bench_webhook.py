"""Benchmark the incoming-call webhook against a bare Flask endpoint under the same gunicorn settings.

    python scripts/bench/bench_webhook.py                       # SQLite and PostgreSQL, gevent
    python scripts/bench/bench_webhook.py --workers gevent gthread --databases postgresql

Hotline's POST /twilio/voice/incoming (signature check, database write, live
event through Redis) and the baseline (constant TwiML, scripts/bench/baseline_app.py)
each run as one gunicorn process from deploy/gunicorn.conf.py, side by side, and
are loaded in turn for --rounds rounds (so that the machine's drift weighs on
both alike). Every request is signed and carries a new CallSid. Printed:
requests/s, p50 and p99 at the given concurrency (all rounds pooled), the ratio
to the baseline (the median of the rounds' ratios, their range in the notes),
and whether every answered call was recorded exactly once. The "no-db" row loads
the Hotline process with signed webhooks that carry no CallSid, answered without
the database: the cost of Hotline's Flask stack alone. On PostgreSQL the run
ends with whole calls (whole_call.py: arrival, menu, enqueue, a wait round,
connect, end of the <Dial>, status callbacks) and the web process's CPU per
call, read from /proc. The target (PostgreSQL): at least 0.2 of the baseline's
requests a second with p99 under 100 ms, every call recorded once: MET / NOT MET.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import harness
import whole_call
from harness import PYTHON, app_env, free_port, gunicorn, incoming_call, migrate, postgres_url, sqlite_url, table
from loadgen import LoadResult, RequestMaker, run_load, run_open_load

TARGET_RATIO = 0.2
TARGET_P99_MS = 100.0


def count_calls(database_url: str, prefix: str) -> int:
    """Count the calls whose CallSid starts with `prefix`."""
    return harness.query(database_url, "SELECT count(*) FROM calls WHERE call_sid LIKE :p", p=prefix + "%")[0][0]


def count_created_events(database_url: str, prefix: str) -> int:
    """Count the `created` events of the calls whose CallSid starts with `prefix` (one each when recorded once)."""
    sql = (
        "SELECT count(*) FROM call_events e JOIN calls c ON c.id = e.call_id "
        "WHERE e.kind = 'created' AND c.call_sid LIKE :p"
    )
    return harness.query(database_url, sql, p=prefix + "%")[0][0]


def new_calls(base_url: str, sid_prefix: str) -> RequestMaker:
    """Return a maker of signed incoming-call webhooks, a new CallSid and caller for each number."""

    def make(number: int) -> tuple[str, dict[str, str], dict[str, str]]:
        return incoming_call(base_url, f"{sid_prefix}{number:08d}", caller=f"+86138{number % 100_000_000:08d}")

    return make


def no_call_sid(base_url: str) -> RequestMaker:
    """Return a maker of signed webhooks without a CallSid: signature check and the database-free answer.

    No write, no event: the most any webhook can do in Hotline's application stack
    (its middleware, sessions, request log, metrics, access rules) on this server,
    the ceiling of the ratio.
    """

    def make(number: int) -> tuple[str, dict[str, str], dict[str, str]]:
        return incoming_call(base_url, "", caller=f"+86139{number % 100_000_000:08d}")

    return make


@dataclass
class Load:
    """One server's load in the rounds: its requests, how many a round, and what each round measured."""

    make: RequestMaker
    per_round: int
    pid: int
    """The gunicorn process that answers (its worker's CPU is read from /proc around each round)."""
    fallback_expected: bool = False
    rounds: list[LoadResult] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """Return the server's CPU time per request sent in the rounds, in milliseconds."""
        sent = self.per_round * len(self.rounds)
        return self.cpu_seconds * 1000 / sent if sent else 0.0

    @property
    def pooled(self) -> LoadResult:
        """Return every round's figures as one run."""
        return LoadResult.pooled(self.rounds)


def run_rounds(loads: dict[str, Load], args: argparse.Namespace) -> None:
    """Warm every server up, then load them in turn, round after round (closed loop at the concurrency).

    The servers run side by side and each round loads one at a time, so that the
    machine's drift (these machines are noisy: the same server's throughput moves
    by a quarter between runs minutes apart) weighs on all of them alike.
    """
    for load in loads.values():
        run_load(load.make, args.concurrency, args.warmup, first=0, fallback_expected=load.fallback_expected)
    for number in range(args.rounds):
        for load in loads.values():
            first = args.warmup + number * load.per_round
            started = whole_call.process_cpu(load.pid)
            result = run_load(
                load.make, args.concurrency, load.per_round, first, fallback_expected=load.fallback_expected
            )
            load.cpu_seconds += whole_call.process_cpu(load.pid) - started
            load.rounds.append(result)


def round_ratios(load: Load, baseline: Load) -> list[float]:
    """Return the load's throughput over the baseline's, round by round."""
    return [mine.rps / base.rps if base.rps else 0.0 for mine, base in zip(load.rounds, baseline.rounds, strict=True)]


def figures(result: LoadResult) -> list[str]:
    """Return req/s, p50 and p99 as table cells."""
    return [f"{result.rps:.0f}", f"{result.p(50):.1f}", f"{result.p(99):.1f}"]


def ratio_cells(load: Load, baseline: Load) -> tuple[str, str]:
    """Return the median of the rounds' ratios and their range, as table cells."""
    ratios = round_ratios(load, baseline)
    return f"{statistics.median(ratios):.2f}", f"rounds {min(ratios):.2f}-{max(ratios):.2f}"


def bench_one(database: str, worker: str, redis_url: str | None, args: argparse.Namespace) -> list[list[str]]:
    """Measure baseline and Hotline on one database with one worker class; return table rows."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    database_url = sqlite_url(folder) if database == "sqlite" else postgres_url(args.pg_database)
    hotline_port, baseline_port = free_port(), free_port()
    env = app_env(database_url, f"http://127.0.0.1:{hotline_port}", redis_url if database != "sqlite" else None)
    migrate(env)
    harness.open_line_all_day(database_url)
    baseline_env = app_env(database_url, f"http://127.0.0.1:{baseline_port}")
    per_round = max(1, args.requests // args.rounds)
    with contextlib.ExitStack() as servers:
        baseline = servers.enter_context(gunicorn("baseline", "baseline_app:app", baseline_env, baseline_port, worker))
        hotline = servers.enter_context(gunicorn("hotline", "wsgi:app", env, hotline_port, worker))
        assert baseline.process is not None and hotline.process is not None  # noqa: S101  (started above)
        base_pid, hotline_pid = baseline.process.pid, hotline.process.pid
        loads = {
            "baseline": Load(new_calls(baseline.url, "CAbase"), per_round, base_pid),
            "hotline": Load(new_calls(hotline.url, "CAbench"), per_round, hotline_pid),
            "no-db": Load(no_call_sid(hotline.url), per_round, hotline_pid, fallback_expected=True),
        }
        run_rounds(loads, args)
        first_open = args.warmup + args.rounds * per_round
        base_open = run_open_load(loads["baseline"].make, args.rate, args.rate_requests, first=first_open)
        real_open = run_open_load(loads["hotline"].make, args.rate, args.rate_requests, first=first_open)
        whole = None
        if database == "postgresql" and args.whole_calls:
            whole = whole_call.measure(hotline, database_url, args.whole_calls, 10, "CAwhole")
    recorded = count_calls(database_url, "CAbench")
    created = count_created_events(database_url, "CAbench")
    sent = first_open + args.rate_requests
    label = f"{database}{' + redis' if database != 'sqlite' and redis_url else ''}"
    load = f"{args.concurrency} concurrent"
    rate = f"{args.rate:g}/s arriving"
    base, real = loads["baseline"].pooled, loads["hotline"].pooled
    real_ratio, real_rounds = ratio_cells(loads["hotline"], loads["baseline"])
    floor_ratio, floor_rounds = ratio_cells(loads["no-db"], loads["baseline"])
    cpu = {name: f"; CPU {load.cpu_ms_per_request:.2f} ms a request" for name, load in loads.items()}
    rows = [
        [label, worker, "baseline", load, *figures(base), "1.00", cpu["baseline"].lstrip("; ")],
        [label, worker, "hotline", load, *figures(real), real_ratio, real_rounds + cpu["hotline"]],
        [
            label,
            worker,
            "no-db",
            load,
            *figures(loads["no-db"].pooled),
            floor_ratio,
            f"{floor_rounds}; no CallSid" + cpu["no-db"],
        ],
    ]
    stored = f"{recorded} of {sent} calls recorded, {created} created events"
    rows += [
        [label, worker, "baseline", rate, *figures(base_open), "", ""],
        [label, worker, "hotline", rate, *figures(real_open), "", stored],
    ]
    for result in (real, real_open):
        if result.fallbacks or result.errors or set(result.statuses) - {200}:
            lost = f"LOST: fallbacks {result.fallbacks}, statuses {dict(result.statuses)}, errors {dict(result.errors)}"
            rows.append(["", "", "", "", "", "", "", "", lost])
    if database == "postgresql":
        median = statistics.median(round_ratios(loads["hotline"], loads["baseline"]))
        once = recorded == sent == created
        met = median >= TARGET_RATIO and real.p(99) < TARGET_P99_MS and real.ok > 0 and once
        goal = ["", "", "target", load, f">= {TARGET_RATIO:.0%} of baseline", "", f"< {TARGET_P99_MS:.0f}", ""]
        rows.append([*goal, "MET" if met else "NOT MET"])
    if whole is not None:
        per_call = whole.webhooks / whole.calls
        note = f"{per_call:.0f} webhooks a call; {len(whole.failures)} failed" + (
            f" ({', '.join(sorted(set(whole.failures)))})" if whole.failures else ""
        )
        rows.append([label, worker, "whole call", f"{whole.calls} calls", "", "", "", "", note])
        rows.append(["", "", "", "", f"CPU {whole.cpu_ms_per_call:.1f} ms a call", "", "", "", "web process, /proc"])
    return rows


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", nargs="+", default=["gevent"], choices=["gevent", "gthread"])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10000, help="closed-loop requests to each server, all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="rounds that load the servers in turn (default 5)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="open-loop arrivals a second (default 20)")
    parser.add_argument("--rate-requests", type=int, default=600)
    parser.add_argument("--whole-calls", type=int, default=300, help="whole calls for the CPU a call (PostgreSQL)")
    parser.add_argument("--pg-database", default="hotline_bench_webhook", help="dropped and created (PostgreSQL)")
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
    print(f"\nincoming-call webhook: {args.requests} requests from {args.concurrency} concurrent clients to each")
    print(f"server in {args.rounds} rounds (ratio: the median of the rounds' ratios), then")
    print(f"{args.rate_requests} arriving at random at {args.rate:g} a second (open loop):\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
