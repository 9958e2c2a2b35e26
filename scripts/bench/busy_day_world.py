"""The busy day's simulated world: callers on the TwiML network with their patience, and 16 worker consoles.

Used by bench_busy_day.py (which documents the model). A console logs in through the
form, holds a Socket.IO connection with the console's heartbeat, accepts the offers it
gets, lets its softphone leg ring, talks, hangs up and becomes available again.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import threading
import time
from typing import Any

import aiohttp
import harness
import requests
import socketio
from harness import CSRF_META, HOTLINE_NUMBER

from hotline.gateway.interpreter import CallerScript, GatherPrompt, Network, RecordingInput

MENU_KEYS = ["1", "2", "3", "4", "5"]  # hotline.telephony.line_settings.DEFAULT_MENU without crisis ("0")
HEARTBEAT_SECONDS = 15  # the console's (hotline/static/js/console.js)


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
