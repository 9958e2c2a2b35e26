"""A closed-loop load generator: N concurrent clients send requests back to back (asyncio + aiohttp)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from harness import percentile

RequestMaker = Callable[[int], tuple[str, dict[str, str], dict[str, str]]]
# What Hotline's database-free fallback TwiML says: a 200 that means the real work failed.
FALLBACK_MARKER = "很抱歉,系统暂时出现问题".encode()


@dataclass
class LoadResult:
    """What a run measured: per-request latencies (seconds), status codes, wall time."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    fallbacks: int = 0
    elapsed: float = 0.0
    fallback_expected: bool = False
    """True when the requests are meant to get the fallback answer (measuring the app without its database)."""

    @property
    def ok(self) -> int:
        """Return how many requests answered 2xx with a real answer (not the fallback, unless it was expected)."""
        answered = sum(count for status, count in self.statuses.items() if 200 <= status < 300)
        return answered if self.fallback_expected else answered - self.fallbacks

    @property
    def rps(self) -> float:
        """Return successful requests per second."""
        return self.ok / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        """Return the q-th latency percentile in milliseconds."""
        return percentile(self.latencies, q) * 1000

    @classmethod
    def pooled(cls, results: list[LoadResult]) -> LoadResult:
        """Return the results of several runs as one: latencies and counts together, wall times added."""
        total = cls(fallback_expected=any(result.fallback_expected for result in results))
        for result in results:
            total.latencies += result.latencies
            total.statuses += result.statuses
            total.errors += result.errors
            total.fallbacks += result.fallbacks
            total.elapsed += result.elapsed
        return total

    def summary(self) -> str:
        """Return the figures on one line."""
        return (
            f"{self.rps:8.1f} req/s  p50 {self.p(50):6.1f} ms  p99 {self.p(99):6.1f} ms  "
            f"statuses {dict(self.statuses)}"
            + (f"  fallbacks {self.fallbacks}" if self.fallbacks else "")
            + (f"  errors {dict(self.errors)}" if self.errors else "")
        )


async def _send(session: aiohttp.ClientSession, make: RequestMaker, number: int, result: LoadResult) -> None:
    url, form, headers = make(number)
    started = time.perf_counter()
    try:
        async with session.post(url, data=form, headers=headers) as response:
            body = await response.read()
            result.statuses[response.status] += 1
            result.fallbacks += FALLBACK_MARKER in body
    except (aiohttp.ClientError, TimeoutError) as exc:
        result.errors[type(exc).__name__] += 1
        return
    result.latencies.append(time.perf_counter() - started)


async def _run(
    make: RequestMaker, concurrency: int, total: int, first: int, timeout: float, fallback_expected: bool
) -> LoadResult:
    result = LoadResult(fallback_expected=fallback_expected)
    counter = iter(range(first, first + total))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)

    async def client(session: aiohttp.ClientSession) -> None:
        for number in counter:
            await _send(session, make, number, result)

    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result


async def _run_open(make: RequestMaker, rate: float, total: int, first: int, timeout: float) -> LoadResult:
    result = LoadResult()
    rng = random.Random(first)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        started = time.perf_counter()
        due = started
        tasks = []
        for number in range(first, first + total):
            due += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(_send(session, make, number, result)))
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - started
    return result


def run_load(
    make: RequestMaker,
    concurrency: int = 50,
    total: int = 2000,
    first: int = 0,
    timeout: float = 30,
    fallback_expected: bool = False,
) -> LoadResult:
    """Send `total` requests from `concurrency` concurrent clients; request i is make(first + i)."""
    return asyncio.run(_run(make, concurrency, total, first, timeout, fallback_expected))


def run_open_load(make: RequestMaker, rate: float, total: int, first: int = 0, timeout: float = 30) -> LoadResult:
    """Send `total` requests arriving at random (Poisson) at `rate` a second, whatever the answers' speed."""
    return asyncio.run(_run_open(make, rate, total, first, timeout))
