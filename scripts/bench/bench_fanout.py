"""Benchmark live-event fan-out: a webhook's event reaching 200 consoles spread over 2 web processes via Redis.

    python scripts/bench/bench_fanout.py                    # gevent, 200 clients, 20 events
    python scripts/bench/bench_fanout.py --workers gevent gthread --clients 200 --events 20

Two gunicorn processes (deploy/gunicorn.conf.py) share a throwaway Redis as the
Socket.IO message queue. Workers created with `flask users create` log in over
HTTP; their session cookies authenticate 200 Socket.IO clients (WebSocket),
half on each process. Each incoming-call webhook goes to the first process; the
time from sending it to each client receiving its `call.updated` is one
delivery. The baseline is a bare Flask-SocketIO app (scripts/bench/baseline_fanout_app.py)
in the same arrangement: no log-in, no database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import harness
import socketio
from harness import (
    PASSWORD,
    app_env,
    free_port,
    gunicorn,
    incoming_call,
    log_in,
    migrate,
    percentile,
    postgres_url,
    ratio,
    table,
)


async def fan_out(urls: list[str], cookies: list[str], trigger_url: str, args: argparse.Namespace) -> dict:
    """Connect the clients, send the webhooks one by one, return delivery times (s) and misses."""
    received: dict[str, list[float]] = {}
    clients: list[socketio.AsyncClient] = []

    def listener(client_number: int):  # noqa: ANN202
        async def on_call(data: dict) -> None:
            received.setdefault(data.get("call_sid", ""), []).append(time.perf_counter())

        return on_call

    async def connect(number: int) -> None:
        client = socketio.AsyncClient(reconnection=False)
        client.on("call.updated", listener(number))
        headers = {"Cookie": cookies[number % len(cookies)]} if cookies else {}
        await client.connect(urls[number % len(urls)], headers=headers, transports=["websocket"], wait_timeout=20)
        clients.append(client)

    # Each account's first console connects alone: two first connections of one worker at the same
    # moment race to create its presence row (hotline.routing.presence.presence_of), and one is refused.
    first = min(len(cookies), args.clients)
    for number in range(first):
        await connect(number)
    for start in range(first, args.clients, 20):
        await asyncio.gather(*(connect(n) for n in range(start, min(start + 20, args.clients))))
    deliveries: list[float] = []
    missed = 0
    async with aiohttp.ClientSession() as session:
        for number in range(args.events + 2):
            sid = f"CAfan{time.time_ns()}"
            url, form, headers = incoming_call(trigger_url, sid)
            sent = time.perf_counter()
            async with session.post(url, data=form, headers=headers) as response:
                assert response.status == 200, response.status
            deadline = time.perf_counter() + 10
            while len(received.get(sid, [])) < args.clients and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            if number >= 2:  # the first two warm up
                deliveries += [moment - sent for moment in received.get(sid, [])]
                missed += args.clients - len(received.get(sid, []))
            await asyncio.sleep(args.pause)
    await asyncio.gather(*(client.disconnect() for client in clients))
    return {"deliveries": deliveries, "missed": missed, "connected": len(clients)}


def run_pair(name: str, target: str, env: dict[str, str], worker: str, args: argparse.Namespace, login: bool) -> dict:
    """Start two processes of `target`, fan out through them, stop them."""
    ports = [free_port(), free_port()]
    extra = {"HOTLINE_THREADS": str(args.clients // 2 + 50)} if worker == "gthread" else {}
    servers = [
        gunicorn(
            f"{name}-{port}", target, {**env, **extra, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, port, worker
        )
        for port in ports
    ]
    for server in servers:
        server.start()
    try:
        cookies = [log_in(servers[0].url, f"benchworker{n}") for n in range(args.users)] if login else []
        return asyncio.run(fan_out([s.url for s in servers], cookies, servers[0].url, args))
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", nargs="+", default=["gevent"], choices=["gevent", "gthread"])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--users", type=int, default=8, help="worker accounts the clients log in as")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between events")
    args = parser.parse_args()
    harness.exit_cleanly_on_sigterm()
    rows = [["worker", "server", "clients", "deliveries", "missed", "p50 ms", "p95 ms", "max ms", "p95 ratio"]]
    with harness.redis_server() as (_redis, redis_url):
        database_url = postgres_url("hotline_bench_fanout")
        env = app_env(database_url, "http://127.0.0.1:1", redis_url)
        migrate(env)
        harness.open_line_all_day(database_url)
        for number in range(args.users):
            harness.flask_cli(
                env, "users", "create", "--username", f"benchworker{number}", "--role", "worker", "--password", PASSWORD
            )
        for worker in args.workers:
            base = run_pair("fanout-baseline", "baseline_fanout_app:app", env, worker, args, login=False)
            real = run_pair("fanout-hotline", "wsgi:app", env, worker, args, login=True)
            base_p95 = percentile(base["deliveries"], 95)
            for label, result in (("baseline", base), ("hotline", real)):
                values = result["deliveries"]
                rows.append(
                    [
                        worker,
                        label,
                        result["connected"],
                        len(values),
                        result["missed"],
                        f"{percentile(values, 50) * 1000:.1f}",
                        f"{percentile(values, 95) * 1000:.1f}",
                        f"{max(values, default=float('nan')) * 1000:.1f}",
                        ratio(percentile(values, 95), base_p95),
                    ]
                )
    print(f"\nlive event fan-out: {args.clients} Socket.IO clients over 2 processes via Redis, {args.events} events:\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
