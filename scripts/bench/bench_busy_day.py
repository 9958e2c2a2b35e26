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

Real pieces: gunicorn (deploy/gunicorn.conf.py, gevent) serving the app, the scheduler
process, a throwaway Redis as Socket.IO queue, SQLite or PostgreSQL. Twilio is played by
the TwiML network (hotline/telephony/twiml_runner.py) and the Twilio-compatible REST server
(tests/support/fake_twilio.py), so the app's redirects and hang-ups act on the simulated calls.

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
import heapq
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import aiohttp  # noqa: E402
import harness  # noqa: E402
import requests  # noqa: E402
import socketio  # noqa: E402
from harness import ACCOUNT_SID, AUTH_TOKEN, CSRF_META, HOTLINE_NUMBER, PASSWORD, table  # noqa: E402

from hotline.rota.staffing import erlang_c, service_level  # noqa: E402
from hotline.telephony.twiml_model import CallerScript, GatherPrompt, RecordingInput  # noqa: E402
from hotline.telephony.twiml_runner import Network  # noqa: E402
from tests.support.fake_twilio import FakeTwilio  # noqa: E402

MENU_KEYS = ["1", "2", "3", "4", "5"]  # hotline.telephony.line_settings.DEFAULT_MENU without crisis ("0")
HEARTBEAT_SECONDS = 15  # the console's (hotline/static/js/console.js)

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


class TimedSession(requests.Session):
    """The network's HTTP session, timing every webhook it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.latencies: list[float] = []

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send a request and note how long the app took to answer."""
        started = time.perf_counter()
        try:
            return super().request(*args, **kwargs)
        finally:
            self.latencies.append(time.perf_counter() - started)


class BusyNetwork(Network):
    """The simulated phone network, noting which legs it dials to each worker's softphone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.legs: dict[str, list[Any]] = {}
        self.connected: set[str] = set()
        self.lags: list[float] = []

    def create_leg(self, parent: Any, target: Any, caller_id: str) -> Any:
        """Ring a party for a <Dial>, remembering the leg by address and its caller as connected."""
        leg = super().create_leg(parent, target, caller_id)
        self.legs.setdefault(target.address, []).append(leg)
        self.connected.add(parent.sid)
        return leg

    def _step(self, call: Any, budget: float) -> int:
        """Resume a call, noting how late (simulated seconds) the loop got to it."""
        due = min(t for t in (call._wake_at, call._alarm_at, self.now) if t is not None)
        self.lags.append(self.now - due)
        return super()._step(call, budget)


class World:
    """The simulated day: the network, the callers' patience, the workers' consoles."""

    def __init__(self, args: argparse.Namespace, network: BusyNetwork, base_url: str) -> None:
        self.args = args
        self.network = network
        self.base_url = base_url
        self.rng = random.Random(args.seed)
        self.patience: list[tuple[float, str]] = []
        self.patience_lock = threading.Lock()
        self.hung_up = 0
        self.api: dict[str, int] = {}
        self.talk: list[float] = []

    def caller(self) -> CallerScript:
        """Script a caller: a menu key, then (after a maximum wait) silence, which leaves a voicemail."""
        key, patience = self.rng.choice(MENU_KEYS), self.rng.expovariate(1 / self.args.patience)
        gathers = []

        def on_gather(prompt: GatherPrompt) -> str | None:
            gathers.append(prompt)
            if len(gathers) > 1:
                return None
            with self.patience_lock:
                heapq.heappush(self.patience, (self.network.now + patience, prompt.call_sid))
            return key

        return CallerScript(on_gather=on_gather, recordings=[RecordingInput(10.0)])

    def count(self, name: str) -> None:
        """Count an API answer."""
        self.api[name] = self.api.get(name, 0) + 1

    async def arrivals(self) -> None:
        """Dial the calls in at their moments."""
        span = self.args.hours * 3600
        moments = sorted(self.rng.uniform(0, span) for _ in range(self.args.calls))
        started = time.monotonic()
        for moment in moments:
            await asyncio.sleep(max(0.0, started + moment / self.args.speed - time.monotonic()))
            number = f"+86138{self.rng.randint(0, 99_999_999):08d}"
            self.network.dial_in(number, HOTLINE_NUMBER, self.caller())

    async def impatience(self, stop: asyncio.Event) -> None:
        """Hang up the callers whose patience ran out while they still wait in the queue."""
        network = self.network
        while not stop.is_set():
            await asyncio.sleep(0.02)
            now = network.now
            with self.patience_lock:
                due = []
                while self.patience and self.patience[0][0] <= now:
                    due.append(heapq.heappop(self.patience)[1])
            for sid in due:
                with network.lock:
                    call = network.calls.get(sid)
                    waiting = network.queues.find_member(sid) is not None
                    pending = call is not None and call.is_live and sid not in network.connected
                if waiting:
                    network.hang_up(sid)
                    self.hung_up += 1
                elif pending:  # not in the queue yet (still hearing the prompt): look again in a moment
                    with self.patience_lock:
                        heapq.heappush(self.patience, (now + 1.0, sid))


class Console:
    """One worker's console: a logged-in session, its CSRF token, a Socket.IO connection."""

    def __init__(self, world: World, username: str, user_id: int) -> None:
        self.world = world
        self.username = username
        self.user_id = user_id
        self.identity = f"client:worker_{user_id}"
        self.offers: asyncio.Queue[dict | None] = asyncio.Queue()
        self.rng = random.Random(f"{world.args.seed}-{username}")
        self.cookie = harness.log_in(world.base_url, username)
        page = requests.get(f"{world.base_url}/console", headers={"Cookie": self.cookie}, timeout=10)
        match = CSRF_META.search(page.text)
        if page.status_code != 200 or match is None:
            raise RuntimeError(f"{username}: no console ({page.status_code})")
        self.csrf = match.group(1)
        jar = dict(part.split("=", 1) for part in self.cookie.split("; "))
        jar.update({cookie.name: cookie.value for cookie in page.cookies})
        self.cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
        self.socket = socketio.AsyncClient(reconnection=False)
        self.socket.on("offer.new", self.on_offer)
        world.network.callees[self.identity] = CallerScript(ring_seconds=world.args.ring, talk_seconds=86_400.0)

    async def on_offer(self, payload: dict) -> None:
        """Take note of an offer ringing on this console."""
        if payload.get("worker_id") == self.user_id:
            await self.offers.put(payload)

    async def post(self, http: aiohttp.ClientSession, path: str, body: dict | None = None) -> tuple[int, Any]:
        """POST as the console does (session cookie, X-CSRFToken); return the status and the JSON, if any."""
        headers = {"Cookie": self.cookie, "X-CSRFToken": self.csrf, "Accept": "application/json"}
        async with http.post(self.world.base_url + path, json=body or {}, headers=headers, allow_redirects=False) as r:
            data = await r.json(content_type=None) if r.content_type == "application/json" else None
            return r.status, data

    async def work(self, http: aiohttp.ClientSession) -> None:
        """Answer offers until told to stop: accept, talk, hang up, wrap up, become available."""
        args, network = self.world.args, self.world.network
        while (offer := await self.offers.get()) is not None:
            await asyncio.sleep(args.accept_delay / args.speed)
            legs_before = len(network.legs.get(self.identity, []))
            status, data = await self.post(http, f"/api/v1/routing/offers/{offer['offer_id']}/accept")
            self.world.count(f"accept {status}")
            if status != 200:
                continue
            leg = await self.answered_leg(legs_before)
            if leg is not None and leg.is_live:
                talk = self.rng.expovariate(1 / args.handle)
                self.world.talk.append(talk)
                await asyncio.sleep(talk / args.speed)
            status, _ = await self.post(http, f"/console/calls/{data['call_id']}/hang-up")
            self.world.count(f"hang-up {status}")
            await asyncio.sleep(args.wrap_up / args.speed)
            await self.become_available(http)

    async def answered_leg(self, legs_before: int) -> Any:
        """Wait until the softphone leg for the accepted call has answered (or never came)."""
        network = self.world.network
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            legs = network.legs.get(self.identity, [])
            if len(legs) > legs_before and (legs[-1].answered_at is not None or not legs[-1].is_live):
                return legs[-1]
            await asyncio.sleep(0.01)
        self.world.count("leg never answered")
        return None

    async def become_available(self, http: aiohttp.ClientSession) -> None:
        """Press "available"; while the call is still ending the server answers 409: press again, less often."""
        pause = 0.05
        while True:
            status, _ = await self.post(http, "/api/v1/routing/presence", {"state": "available"})
            if status == 200:
                return
            self.world.count(f"available {status}")
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 2)

    async def heartbeat(self, stop: asyncio.Event) -> None:
        """Tell the server the console is open, as the browser does every 15 s."""
        while not stop.is_set():
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if self.socket.connected:
                await self.socket.emit("console.heartbeat")


async def run_day(world: World, consoles: list[Console]) -> float:
    """Connect the consoles, run the day, wait for the last call to end; return the real seconds it took."""
    args, network = world.args, world.network
    stop = asyncio.Event()
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30)) as http:
        for console in consoles:
            headers = {"Cookie": console.cookie}
            await console.socket.connect(world.base_url, headers=headers, transports=["websocket"], wait_timeout=20)
            status, _ = await console.post(http, "/api/v1/routing/presence", {"state": "available"})
            assert status == 200, f"{console.username} could not become available: {status}"
        tasks = [asyncio.create_task(c.work(http)) for c in consoles]
        tasks += [asyncio.create_task(c.heartbeat(stop)) for c in consoles]
        tasks.append(asyncio.create_task(world.impatience(stop)))
        network.start(args.speed)
        started = time.monotonic()
        await world.arrivals()
        drain = max(60.0, 1800 / args.speed)
        while network.live_calls() and time.monotonic() - started < args.hours * 3600 / args.speed + drain:
            await asyncio.sleep(0.2)
        await asyncio.sleep(max(2.0, 30 / args.speed))  # the last status callbacks and hang-ups
        elapsed = time.monotonic() - started
        stop.set()
        for console in consoles:
            await console.offers.put(None)
        _done, pending = await asyncio.wait(tasks, timeout=10)
        for task in pending:  # workers still pressing "available" for a call whose end never came back
            task.cancel()
        world.api["consoles still busy at the end"] = sum(1 for t in pending if t in tasks[: len(consoles)])
        for console in consoles:
            await console.socket.disconnect()
    return elapsed


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
    fake = FakeTwilio(network).start()
    try:
        with harness.redis_server() as (_redis, redis_url):
            env = harness.app_env(database_url, base_url, redis_url, TWILIO_API_BASE_URL=fake.base_url)
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
        fake.stop()
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
