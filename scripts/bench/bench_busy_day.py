"""Benchmark a busy day: N calls arriving at random over H hours, 16 workers, beside Erlang C.

    python scripts/bench/bench_busy_day.py                              # 2,000 calls, 8 h, 16 workers: 48 min
    python scripts/bench/bench_busy_day.py --calls 500 --hours 2        # the same load for 2 h: 13 min
    python scripts/bench/bench_busy_day.py --calls 20 --hours 0.1 --workers 3 --speed 60    # a smoke run
    python scripts/bench/bench_busy_day.py --database postgres

The world, simulated at `--speed` times real time:
- arrivals: exactly `--calls` calls at independent uniform moments over `--hours` (a Poisson
  process conditioned on its count; lambda = calls / hours);
- each caller chooses a non-crisis service in the menu (so one FCFS queue, as Erlang C has),
  and hangs up after an exponential patience (`--patience`, mean, seconds) counted from the
  menu choice, but only while still waiting in the queue;
- `--workers` duty workers on a published shift, each with a Socket.IO console (log-in
  form, session cookie, heartbeat every 15 s), accept every offer they get through
  `POST /api/v1/routing/offers/<id>/accept` after `--accept-delay`; their softphone leg rings
  `--ring` seconds; they talk for an exponential handle time (`--handle`, mean) from the
  moment the caller is connected, end the call with the console's hang-up button
  (`POST /console/calls/<id>/hang-up`), spend `--wrap-up` seconds, then press "available".

Real pieces: gunicorn (deploy/gunicorn.conf.py; gthread on SQLite, gevent on PostgreSQL,
as deployed) serving the app, the scheduler process, a throwaway Redis as Socket.IO queue,
SQLite or PostgreSQL. Twilio is played by the TwiML network (hotline/gateway/interpreter/)
and the Twilio-compatible REST server (hotline/gateway/rest/), so the app's redirects
and hang-ups act on the simulated calls. The callers and consoles are in busy_day_world.py.

Time. Everything the simulated world does (prompts, pauses, ringing, queue rounds, patience,
handle and wrap-up times) runs at `--speed`. The app's own clocks run in real seconds, so:
the wrap-up ends by the worker pressing "available" (the router's wrap-up timer is set to an
hour so that the scheduler never ends it); missed-offer breaks are off (workers never let an
offer ring out); the line's maximum wait is compared by the app with Twilio's QueueTime,
which is simulated time, so `--max-wait` is in simulated seconds as it should be. What cannot
be scaled is the app's latency: every real millisecond a webhook or an accept takes is
`speed` simulated milliseconds, which the figures include (the webhook latency is printed).
The network plays one call step at a time: when the app answers too slowly for the speed, its
steps run late and the day collapses (the loop's lag is printed). The default speed, 10, kept
the lag's p95 near 2 s on a 2-core machine; at 30 and 60 the whole day collapsed there.

The figures come from the `calls` table (real times multiplied by the speed): answer rate,
average speed of answer (queued -> worker's leg answered), mean time to accept, mean wait of
all callers, abandonment, service level (answered within `--target` s). Beside them: Erlang C
(M/M/N, nobody hangs up) and Erlang A (M/M/N+M, the same exponential patience, no maximum
wait) for the same arrival rate, handle time (talk + wrap-up) and workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import harness  # noqa: E402
from busy_day_world import BusyNetwork, Console, TimedSession, World, run_day  # noqa: E402
from harness import ACCOUNT_SID, AUTH_TOKEN, PASSWORD, table  # noqa: E402

from hotline.gateway.rest import RestServer  # noqa: E402
from hotline.rota.staffing import erlang_c, service_level  # noqa: E402

SETUP = """
import json, sys
from datetime import date, timedelta
from hotline.accounts import services as accounts
from hotline.accounts.models import Certification
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.rota.models import Shift, ShiftAssignment
from hotline.routing.settings import load_routing_settings, save_routing_settings
from hotline.telephony.line_settings import DAYS, load_line_settings, save_line_settings
from wsgi import app

options = json.loads(sys.argv[1])
with app.app_context():
    now = utcnow()
    ends = now + timedelta(hours=options["shift_hours"])
    shift = Shift(label="busy day", starts_at=now - timedelta(hours=1), ends_at=ends, status="published")
    ids = {}
    for number in range(options["workers"]):
        user = accounts.create_user(db.session, f"busy{number:02d}", "worker", options["password"])
        user.certifications.append(Certification(level="intermediate", number=f"B{number:06d}",
            issuing_body="bench", registered_on=date(2020, 1, 1), valid_until=date(2099, 12, 31)))
        shift.assignments.append(ShiftAssignment(duty="duty_worker", user_id=user.id))
        ids[user.username] = user.id
    db.session.add(shift)
    db.session.commit()
    routing = load_routing_settings(db.session)
    routing.wrap_up_seconds, routing.missed_offer_sets_break = 3600, False
    save_routing_settings(db.session, routing, None, now)
    line = load_line_settings(db.session)
    line.weekly_hours, line.open_on_holidays = {day: [["00:00", "24:00"]] for day in DAYS}, True
    line.max_wait_seconds, line.average_handle_seconds = options["max_wait"], options["handle"]
    save_line_settings(db.session, line, None, now)
    print(json.dumps(ids))
"""


def when(value: Any) -> datetime | None:
    """Read a timestamp from a raw query (SQLite gives text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def measure(database_url: str, speed: float, target: float, max_wait: float) -> dict[str, Any]:
    """Read the day's figures from the database, in simulated seconds."""
    rows = harness.query(database_url, "SELECT id, queued_at, answered_at, ended_at, outcome FROM calls")
    accepted = "SELECT call_id, MIN(responded_at) FROM call_offers WHERE status = 'accepted' GROUP BY call_id"
    accepts = dict(harness.query(database_url, accepted))
    offers = dict(harness.query(database_url, "SELECT status, COUNT(*) FROM call_offers GROUP BY status"))
    queued = [row for row in rows if row[1] is not None]
    answered = [row for row in queued if row[2] is not None]
    speeds = [(when(r[2]) - when(r[1])).total_seconds() * speed for r in answered]
    to_accept = [(when(accepts[r[0]]) - when(r[1])).total_seconds() * speed for r in answered if r[0] in accepts]
    waits = [
        (when(r[2]) - when(r[1])).total_seconds() * speed
        if r[2] is not None
        # Those who reached the maximum wait left the queue then, whatever voicemail they left after.
        else min(((when(r[3]) or when(r[1])) - when(r[1])).total_seconds() * speed, max_wait)
        for r in queued
    ]
    outcomes: dict[str, int] = {}
    for row in queued:
        if row[2] is None:
            outcomes[row[4] or "unfinished"] = outcomes.get(row[4] or "unfinished", 0) + 1
    return {
        "calls": len(rows),
        "queued": len(queued),
        "answered": len(answered),
        "asa": sum(speeds) / len(speeds) if speeds else math.nan,
        "to_accept": sum(to_accept) / len(to_accept) if to_accept else math.nan,
        "wait": sum(waits) / len(waits) if waits else math.nan,
        "within": sum(1 for s in speeds if s <= target),
        "p90": harness.percentile(speeds, 90),
        "not_answered": outcomes,
        "offers": offers,
    }


def erlang_a(agents: int, arrival: float, handle: float, patience: float, target: float) -> dict[str, float]:
    """Return M/M/N+M figures (exponential patience) from its birth-death chain, truncated far out."""
    weights = [1.0]
    for n in range(1, agents + 2000):
        death = min(n, agents) / handle + max(0, n - agents) / patience
        weights.append(weights[-1] * arrival / death)
        if weights[-1] < 1e-300:
            break
    total = sum(weights)
    probabilities = [w / total for w in weights]
    waiting = sum(p for n, p in enumerate(probabilities) if n >= agents)
    queue = sum((n - agents) * p for n, p in enumerate(probabilities) if n > agents)
    abandon = queue / patience / arrival
    return {"p_wait": waiting, "abandon": abandon, "wait": queue / arrival, "answered": 1 - abandon}


def report(args: argparse.Namespace, figures: dict[str, Any], world: World, elapsed: float, loads: list) -> None:
    """Print the figures beside Erlang C and Erlang A."""
    arrival = args.calls / (args.hours * 3600)
    handle = args.handle + args.wrap_up
    traffic = arrival * handle
    p_wait = erlang_c(args.workers, traffic)
    stable = args.workers > traffic
    asa_c = p_wait * handle / (args.workers - traffic) if stable else math.inf
    sl_c = service_level(args.workers, traffic, handle, args.target)
    a = erlang_a(args.workers, arrival, handle, args.patience, args.target)
    queued, answered = figures["queued"], figures["answered"]
    talk = world.talk
    measured_handle = (sum(talk) / len(talk) if talk else math.nan) + args.wrap_up

    def pct(value: float) -> str:
        return f"{value * 100:.1f} %"

    rows = [
        ["figure", "measured", "Erlang C", "Erlang A"],
        ["calls queued", f"{queued} of {figures['calls']}", "", ""],
        ["answer rate", pct(answered / queued) if queued else "n/a", "100.0 %", pct(a["answered"])],
        ["abandonment", pct(1 - answered / queued) if queued else "n/a", "0.0 %", pct(a["abandon"])],
        ["average speed of answer", f"{figures['asa']:.1f} s", f"{asa_c:.1f} s", ""],
        ["mean time to accept", f"{figures['to_accept']:.1f} s", "", ""],
        ["mean wait, all callers", f"{figures['wait']:.1f} s", f"{asa_c:.1f} s", f"{a['wait']:.1f} s"],
        [f"service level ({args.target:g} s)", pct(figures["within"] / queued) if queued else "n/a", pct(sl_c), ""],
        ["p90 speed of answer", f"{figures['p90']:.1f} s", "", ""],
        ["probability of waiting", "", pct(p_wait), pct(a["p_wait"])],
    ]
    latencies = world.network.webhooks.http.latencies  # type: ignore[attr-defined]
    p50, p95 = harness.percentile(latencies, 50), harness.percentile(latencies, 95)
    print(f"\nbusy day: {args.calls} calls over {args.hours:g} h, {args.workers} workers, speed {args.speed:g}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"database: {args.database}, gunicorn {args.worker_class}; load average {loads[0]} to {loads[1]}")
    print(
        f"model: lambda {arrival * 3600:.1f} calls/h, handle {args.handle:g} s talk + {args.wrap_up:g} s wrap-up "
        f"(exponential), A = {traffic:.2f} Erlang, occupancy {traffic / args.workers * 100:.0f} %, "
        f"patience {args.patience:g} s, max wait {args.max_wait} s"
    )
    print(f"real time {elapsed:.0f} s; mean talk drawn {measured_handle - args.wrap_up:.1f} s\n")
    print(table(rows))
    print(f"\nnot answered, by outcome: {figures['not_answered']}; impatient hang-ups sent: {world.hung_up}")
    print(f"offers by status: {figures['offers']}; console answers: {dict(sorted(world.api.items()))}")
    print(
        f"webhooks: {len(latencies)}, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms real "
        f"(= {p50 * args.speed:.1f} / {p95 * args.speed:.1f} s simulated); network errors: {len(world.network.errors)}"
    )
    lags = world.network.lags
    print(
        f"network loop lag (how late a call's next step ran): p50 {harness.percentile(lags, 50):.1f} s, "
        f"p95 {harness.percentile(lags, 95):.1f} s, max {max(lags, default=0.0):.1f} s simulated"
    )
    print(
        "Erlang C assumes nobody hangs up and nobody is sent to voicemail: it predicts no abandonment and an upper "
        "bound on the wait. Erlang A adds the exponential patience but not the maximum wait."
    )


def load_average() -> str:
    """Return the 1-minute load average."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> int:
    """Run the busy day and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours the arrivals spread over")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per real second")
    parser.add_argument("--handle", type=float, default=180.0, help="mean talk time, simulated seconds")
    parser.add_argument("--wrap-up", type=float, default=0.0, help="wrap-up after each call, simulated seconds")
    parser.add_argument("--patience", type=float, default=120.0, help="mean patience in the queue, seconds")
    parser.add_argument("--max-wait", type=int, default=180, help="the line's maximum wait before voicemail")
    parser.add_argument("--accept-delay", type=float, default=2.0, help="seconds a worker takes to press Accept")
    parser.add_argument("--ring", type=float, default=2.0, help="seconds the softphone rings before it answers")
    parser.add_argument("--target", type=float, default=20.0, help="service level threshold, seconds")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--worker-class",
        choices=["gevent", "gthread"],
        default=None,
        help="gunicorn's (default as deploy/gunicorn.conf.py: gthread on SQLite, gevent on PostgreSQL)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    args.worker_class = args.worker_class or ("gthread" if args.database == "sqlite" else "gevent")
    harness.exit_cleanly_on_sigterm()
    loads = [load_average()]
    folder = Path(tempfile.mkdtemp(prefix="hotline-busy-"))
    database_url = (
        harness.postgres_url("hotline_bench_busy_day") if args.database == "postgres" else harness.sqlite_url(folder)
    )
    port = harness.free_port()
    base_url = f"http://127.0.0.1:{port}"
    http = TimedSession()
    network = BusyNetwork(
        base_url,
        base_url,
        AUTH_TOKEN,
        ACCOUNT_SID,
        status_callback_url="/twilio/voice/status",
        fallback_url="/twilio/voice/fallback",
        http=http,
    )
    rest = RestServer(network).start()
    try:
        with harness.redis_server() as (_redis, redis_url):
            env = harness.app_env(database_url, base_url, redis_url, TWILIO_API_BASE_URL=rest.base_url)
            harness.migrate(env)
            shift_hours = 2 + (args.hours * 3600 / args.speed) / 3600 * 3
            options = {**vars(args), "password": PASSWORD, "shift_hours": shift_hours}
            done = subprocess.run(
                [sys.executable, "-c", SETUP, json.dumps(options)], cwd=ROOT, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise RuntimeError(f"setting up the day failed:\n{done.stdout}\n{done.stderr}")
            ids = json.loads(done.stdout.strip().splitlines()[-1])
            scheduler = harness.Server(
                "scheduler", [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"], env, port
            )
            scheduler.wait_ready = lambda timeout=60: wait_for_heartbeat(database_url, scheduler, timeout)  # type: ignore[method-assign]
            with harness.gunicorn("busy-day", "wsgi:app", env, port, args.worker_class), scheduler:
                world = World(args, network, base_url)
                consoles = [Console(world, name, user_id) for name, user_id in sorted(ids.items())]
                elapsed = asyncio.run(run_day(world, consoles))
                loads.append(load_average())
                network.stop()
            figures = measure(database_url, args.speed, args.target, args.max_wait)
    finally:
        rest.stop()
        network.close()
        http.close()
    report(args, figures, world, elapsed, loads)
    return 0


def wait_for_heartbeat(database_url: str, server: harness.Server, timeout: float) -> None:
    """Wait until the scheduler process has written its first heartbeat."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"the scheduler exited:\n{server.log_tail()}")
        if harness.query(database_url, "SELECT key FROM settings WHERE key = 'scheduler.heartbeat'"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"no scheduler heartbeat after {timeout} s:\n{server.log_tail()}")


if __name__ == "__main__":
    sys.exit(main())
