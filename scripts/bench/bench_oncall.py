"""Benchmark "who is on duty" against a plain primary-key lookup on the same database.

Seeds 10,000 workers (5 % with a lapsed certificate) and 1,000,000 published duties
(100,000 four-hour shifts of ten people, six shifts a day: about 45 years of rota)
into DATABASE_URL, then times on_duty() and on_duty_worker_ids() at random moments
and a plain primary-key lookup of a user, and prints p50/p99 and the ratio.

    python scripts/bench/bench_oncall.py                      # a temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python scripts/bench/bench_oncall.py --reset

--reset drops and rebuilds the schema of the database given (never use it on real data).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

WORKERS = 10_000
SHIFTS = 100_000
PER_SHIFT = 10
SHIFT_HOURS = 4
START = datetime(2000, 1, 1, 16, 0, tzinfo=UTC)  # midnight in Shanghai
BATCH = 50_000


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` of the values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build_schema(app, reset: bool) -> None:  # noqa: ANN001
    """Build the schema by the migrations (dropping everything first with --reset)."""
    from sqlalchemy import inspect, text

    from hotline.extensions import db
    from tests.conftest import reset_schema

    with app.app_context():
        if inspect(db.engine).has_table("users") and not reset:
            sys.exit("the database already has tables; use an empty database or pass --reset")
        if db.engine.dialect.name == "postgresql" or reset:
            reset_schema(app)
        else:
            from flask_migrate import upgrade

            upgrade(revision="heads")
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL synchronous_commit = off"))


def rows(rng: random.Random):  # noqa: ANN201
    """Yield (table, list of row dicts) batches to insert."""
    users = [
        {
            "id": i,
            "username": f"w{i:05d}",
            "display_name": f"Worker {i}",
            "password_hash": "x",
            "role": "worker",
            "skills": ["crisis"] if i % 7 == 0 else [],
            "languages": ["zh"],
            "active": True,
            "created_at": START,
        }
        for i in range(1, WORKERS + 1)
    ]
    yield "users", users
    certificates = [
        {
            "id": i,
            "user_id": i,
            "level": ("assistant", "intermediate", "senior")[i % 3],
            "number": f"SW{i}",
            "issuing_body": "bench",
            "registered_on": date(1999, 1, 1),
            "valid_until": date(2001, 1, 1) if i % 20 == 0 else date(2099, 12, 31),
        }
        for i in range(1, WORKERS + 1)
    ]
    yield "certifications", certificates
    for first in range(0, SHIFTS, BATCH):
        shifts = []
        duties = []
        for shift_id in range(first + 1, min(SHIFTS, first + BATCH) + 1):
            starts_at = START + timedelta(hours=SHIFT_HOURS * (shift_id - 1))
            shifts.append(
                {
                    "id": shift_id,
                    "label": f"S{shift_id % 6}",
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(hours=SHIFT_HOURS),
                    "status": "published",
                    "min_duty_workers": 2,
                    "min_qualified": 1,
                    "min_supervisors": 1,
                    "updated_at": START,
                }
            )
            for n, user_id in enumerate(rng.sample(range(1, WORKERS + 1), PER_SHIFT)):
                duties.append(
                    {"shift_id": shift_id, "duty": "supervisor" if n == 0 else "duty_worker", "user_id": user_id}
                )
        yield "shifts", shifts
        yield "shift_assignments", duties


def seed(app, rng: random.Random) -> float:  # noqa: ANN001
    """Insert everything in batches (executemany; COPY on PostgreSQL); return seconds taken."""
    from sqlalchemy import text

    from hotline.extensions import db

    started = time.perf_counter()
    with app.app_context():
        tables = db.metadata.tables
        with db.engine.begin() as connection:
            for name, batch in rows(rng):
                if connection.dialect.name == "postgresql" and name == "shift_assignments":
                    raw = connection.connection.driver_connection
                    with raw.cursor().copy("COPY shift_assignments (shift_id, duty, user_id) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row((row["shift_id"], row["duty"], row["user_id"]))
                else:
                    connection.execute(tables[name].insert(), batch)
            if connection.dialect.name == "postgresql":
                for name in ("users", "certifications", "shifts", "shift_assignments"):
                    connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                    )
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def measure(app, rng: random.Random, samples: int) -> dict[str, list[float]]:  # noqa: ANN001
    """Time each lookup `samples` times at random moments / ids; return milliseconds."""
    from sqlalchemy import select

    from hotline.accounts.models import User
    from hotline.extensions import db
    from hotline.rota.services import on_duty, on_duty_worker_ids

    span = SHIFTS * SHIFT_HOURS * 3600
    timings: dict[str, list[float]] = {"primary key": [], "on_duty": [], "on_duty_worker_ids": []}
    with app.app_context():
        session = db.session
        for _ in range(samples):
            at = START + timedelta(seconds=rng.randrange(span))
            user_id = rng.randrange(1, WORKERS + 1)
            started = time.perf_counter()
            session.execute(select(User).where(User.id == user_id)).scalar_one()
            timings["primary key"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            answer = on_duty(session, at)
            timings["on_duty"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            ids = on_duty_worker_ids(session, at)
            timings["on_duty_worker_ids"].append((time.perf_counter() - started) * 1000)
            # Each moment falls in exactly one shift of ten; a few have lapsed certificates.
            assert 0 < len(answer.workers) <= PER_SHIFT and ids <= {w.user_id for w in answer.workers}
            session.expunge_all()
        db.session.remove()
    return timings


def main() -> None:
    """Seed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--reset", action="store_true", help="drop and rebuild the schema of DATABASE_URL first")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-oncall-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("HOTLINE_INSTANCE_DIR", workdir)
    from config import normalise_database_url
    from hotline import create_app

    url = normalise_database_url(url)
    app = create_app("testing", {"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    build_schema(app, options.reset)
    rng = random.Random(4)  # noqa: S311  (a benchmark, not a secret)
    seconds = seed(app, rng)
    print(f"database: {url.split('@')[-1]}")
    print(f"seeded {WORKERS:,} workers and {SHIFTS * PER_SHIFT:,} assignments ({SHIFTS:,} shifts) in {seconds:.0f} s")
    timings = measure(app, rng, options.samples)
    if not os.environ.get("DATABASE_URL"):
        shutil.rmtree(workdir, ignore_errors=True)
    baseline = statistics.median(timings["primary key"])
    print(f"{'lookup':<20} {'p50 ms':>8} {'p99 ms':>8} {'p50 / pk':>9}")
    for name, values in timings.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"{name:<20} {p50:>8.3f} {p99:>8.3f} {p50 / baseline:>9.1f}")


if __name__ == "__main__":
    main()
