"""Profile the incoming-call webhook in-process: CPU per webhook and where it goes (cProfile).

    python scripts/bench/profile_webhook.py --database-url postgresql://postgres@127.0.0.1:5432/NAME \
        --redis-url redis://127.0.0.1:6379/N

The database is migrated and the line opened all day; then the production app
(`wsgi:app`, the Socket.IO middleware included) is called directly as WSGI with
signed incoming-call webhooks, each a new CallSid: first without a profiler
(CPU time per webhook from `time.process_time()`), then under cProfile, whose
functions are grouped by where their time is spent. No HTTP server and no load
generator: this is the application's own cost, one request at a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import harness
from werkzeug.test import EnvironBuilder

BASE_URL = "http://127.0.0.1:8999"
# Where a function's own time is counted: the first fragment of its file or name that matches.
GROUPS = (
    ("signature check", ("request_validator", "telephony/security")),
    ("database driver and pool", ("psycopg", "sqlalchemy/pool", "sqlalchemy/engine", "sqlite3")),
    ("SQLAlchemy statement", ("sqlalchemy/sql", "sqlalchemy/orm")),
    ("encryption and hashing", ("cryptography", "fernet", "hmac", "privacy", "hashlib")),
    ("phone number parsing", ("phonenumbers",)),
    ("live event (Socket.IO, Redis)", ("socketio", "engineio", "redis", "kombu", "pickle")),
    ("TwiML", ("twiml", "xml/etree", "ElementTree")),
    ("logging", ("logging", "request_log")),
    ("form parsing", ("formparser", "urllib/parse", "multipart", "datastructures")),
    ("Flask and werkzeug", ("flask", "werkzeug", "blinker", "contextvars")),
    ("the rest of hotline", ("hotline",)),
)


RUN = f"{int(time.time()):x}"
"""Part of every CallSid, so that runs against the same database never collide."""


def webhooks(count: int, first: int, with_call_sid: bool = True) -> Iterable[dict[str, Any]]:
    """Yield WSGI environs of signed incoming-call webhooks, a new CallSid each (or none: the database-free answer)."""
    for number in range(first, first + count):
        call_sid = f"CAprof{RUN}{number:08d}" if with_call_sid else ""
        url, form, headers = harness.incoming_call(BASE_URL, call_sid, caller=f"+86138{number % 100_000_000:08d}")
        yield EnvironBuilder(url, method="POST", data=form, headers=headers).get_environ()


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any], expected: bytes = b"<Gather") -> bytes:
    """Call the WSGI app once; fail on anything but 200 with the expected TwiML (the menu by default)."""
    status: list[str] = []
    body = b"".join(app(environ, lambda code, headers, exc_info=None: status.append(code)))
    if not status or not status[0].startswith("200") or expected not in body:
        raise RuntimeError(f"unexpected answer {status}: {body[:200]!r}")
    return body


def group_of(filename: str, name: str) -> str:
    """Return the group a function's own time belongs to."""
    where = f"{filename}:{name}"
    for group, fragments in GROUPS:
        if any(fragment in where for fragment in fragments):
            return group
    return "other (Python, gevent, builtins)"


def grouped(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Return each group's share of the profiled own time, largest first."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        group = group_of(filename, name)
        totals[group] = totals.get(group, 0.0) + own
    whole = sum(totals.values()) or 1.0
    return sorted(((group, own / whole) for group, own in totals.items()), key=lambda item: -item[1])


def cpu_per_webhook(app: Callable[..., Iterable[bytes]], environs: list[dict[str, Any]], expected: bytes) -> float:
    """Return the CPU time (ms, every thread of the process) per webhook of calling the app with `environs`."""
    started = time.process_time()
    for environ in environs:
        call(app, environ, expected)
    return (time.process_time() - started) * 1000 / len(environs)


class DatabaseCounts:
    """Count the statements SQLAlchemy sends, the round trips to the server and the new connections.

    A round trip is a psycopg wait that waited on the socket at least once (a
    query and its result, a commit); switching autocommit also goes through the
    driver's wait but touches no socket and is not counted. `connections`
    counts the pool's new connections (a pool too small for the concurrency
    opens and closes them).
    """

    def __init__(self, engine: Any) -> None:
        import psycopg
        from sqlalchemy import event

        self.statements = self.round_trips = self.connections = self.checkouts = 0
        self._counting = False
        original_wait = psycopg.Connection.wait

        def wait(connection: Any, generator: Any, *args: Any, **kwargs: Any) -> Any:
            return original_wait(connection, self._waited(generator), *args, **kwargs)

        psycopg.Connection.wait = wait  # type: ignore[method-assign]
        event.listen(engine, "before_cursor_execute", lambda *_: self._add("statements"))
        event.listen(engine, "connect", lambda *_: self._add("connections"))
        event.listen(engine, "checkout", lambda *_: self._add("checkouts"))

    def _waited(self, generator: Any) -> Any:
        """Pass a psycopg generator through, counting a round trip when it first waits on the socket."""
        sent, waited = None, False
        while True:
            try:
                wanted = generator.send(sent)
            except StopIteration as stop:
                return stop.value
            if not waited:
                waited = True
                self._add("round_trips")
            sent = yield wanted

    def _add(self, name: str) -> None:
        if self._counting:
            setattr(self, name, getattr(self, name) + 1)

    def count(self, app: Callable[..., Iterable[bytes]], environs: list[dict[str, Any]], expected: bytes) -> str:
        """Call the app with `environs` and return the counts per webhook, as a sentence."""
        self._counting = True
        for environ in environs:
            call(app, environ, expected)
        self._counting = False
        each = {
            name: getattr(self, name) / len(environs)
            for name in ("statements", "round_trips", "checkouts", "connections")
        }
        return ", ".join(f"{value:.2f} {name}" for name, value in each.items())


def main() -> int:
    """Migrate, warm up, measure, profile, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25, help="functions listed by cumulative time")
    args = parser.parse_args()
    env = harness.app_env(args.database_url, BASE_URL, args.redis_url)
    harness.migrate(env)
    harness.open_line_all_day(args.database_url)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(harness.ROOT))
    from hotline.extensions import db
    from wsgi import app

    with app.app_context():
        counts = DatabaseCounts(db.engine)
    for environ in webhooks(200, 0):
        call(app, environ)
    per_webhook = counts.count(app, list(webhooks(100, 100_000)), b"<Gather")
    cpu_ms = cpu_per_webhook(app, list(webhooks(args.calls, 200)), b"<Gather")
    no_db_ms = cpu_per_webhook(app, list(webhooks(args.calls, 0, with_call_sid=False)), b"<Enqueue")
    profile = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
    profiled = list(webhooks(args.calls, 200 + args.calls))
    profile.enable()
    for environ in profiled:
        call(app, environ)
    profile.disable()
    print(f"\nincoming-call webhook, in-process, {args.calls} webhooks: {cpu_ms:.2f} ms of CPU a webhook;")
    print(f"without a CallSid (no database, no event): {no_db_ms:.2f} ms")
    print(f"database, a webhook: {per_webhook}\n")
    print("own time by group (cProfile):")
    for group, share in grouped(profile):
        print(f"  {share:6.1%}  {group}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
